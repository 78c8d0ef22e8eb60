"""Hub datasets served by real `datasets` objects in place of `datasets.load_dataset`.

The hub is unreachable from tests, so each fixture is shaped like the published dataset:
the same column names, types and features (ClassLabel, nested dicts, lists of strings).
"""
from __future__ import annotations

from pathlib import Path

import datasets
from datasets import Features, Value

from pytest_arbitrage.tasks._common import PARQUET_BRANCH

Served = dict[str, tuple[dict[str, list[dict]], Features]]  # path: ({split: rows}, features)

GSM8K = Features({"question": Value("string"), "answer": Value("string")})


def gsm8k(n: int = 8) -> tuple[dict[str, list[dict]], Features]:
    rows = [{"question": f"Ann has {i} apples and buys 1,000 more. How many now?",
             "answer": f"{i} + 1000 = <<{i}+1000={i + 1000}>>{i + 1000}\n#### {i + 1000:,}"} for i in range(n)]
    return {"train": rows, "test": rows[: n // 2]}, GSM8K


def serve(monkeypatch, served: Served, *, script_only: bool = False, cache_dir: Path | None = None) -> list[dict]:
    """Replace `datasets.load_dataset`; returns the calls it gets. A path not served is unreachable;
    `script_only` refuses everything but the parquet branch, as datasets >= 4 does for script repos;
    `cache_dir` backs each split by an arrow file there, as the datasets cache does."""
    calls: list[dict] = []

    def load_dataset(path, name=None, **kwargs):
        calls.append({"path": path, "name": name, **kwargs})
        if path not in served:
            raise ConnectionError(f"Couldn't reach '{path}' on the Hub (ConnectError)")
        if script_only and kwargs.get("revision") != PARQUET_BRANCH:
            raise RuntimeError(f"Dataset scripts are no longer supported, but found {path.split('/')[-1]}.py")
        splits, features = served[path]
        return datasets.DatasetDict({split: _dataset(rows, features, cache_dir and cache_dir / f"{split}.arrow")
                                     for split, rows in splits.items()})

    monkeypatch.setattr(datasets, "load_dataset", load_dataset)
    return calls


def _dataset(rows: list[dict], features: Features, arrow_file: Path | None) -> datasets.Dataset:
    dataset = datasets.Dataset.from_list(rows, features=features)
    return dataset.map(lambda row: row, cache_file_name=str(arrow_file)) if arrow_file else dataset
