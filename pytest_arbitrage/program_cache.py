"""Compiled programs saved as DSPy JSON, reused while nothing they depend on changed.

The key hashes the task data, model identity, teacher, optimizer settings, seed
and DSPy version. A file lock per key makes two xdist workers that need the same
program compile it once; the file is written to a temporary name and renamed, so
a reader never sees half a program.
"""
from __future__ import annotations

import hashlib
import json
import os
import tempfile
import warnings
from pathlib import Path
from typing import Callable

import dspy
from filelock import FileLock


def program_key(*, task: str, optimizer: str, settings: dict, model_identity: str, teacher_identity: str,
                trainset: list[dspy.Example], devset: list[dspy.Example], seed: int, extra: dict) -> str:
    payload = {
        "task": task, "optimizer": optimizer, "settings": settings, "model": model_identity,
        "teacher": teacher_identity, "seed": seed, "dspy": dspy.__version__, "extra": extra,
        "train": [_example_payload(e) for e in trainset], "dev": [_example_payload(e) for e in devset],
    }
    return hashlib.sha256(json.dumps(payload, sort_keys=True, default=str).encode()).hexdigest()[:20]


def _example_payload(example: dspy.Example) -> dict:
    return {k: example[k] for k in sorted(example.keys())}


def load_or_compile(path: Path, *, make_program: Callable[[], dspy.Module],
                    compile_fn: Callable[[], dspy.Module]) -> tuple[dspy.Module, bool]:
    """The program at `path`, compiling and saving it first if absent. Returns (program, was_cached)."""
    path.parent.mkdir(parents=True, exist_ok=True)
    with FileLock(str(path) + ".lock"):
        cached = _load(path, make_program)
        if cached is not None:
            return cached, True
        program = compile_fn()
        _save_atomically(program, path)
        return program, False


def _load(path: Path, make_program: Callable[[], dspy.Module]) -> dspy.Module | None:
    if not path.exists():
        return None
    program = make_program()
    try:
        program.load(str(path))
    except Exception as exc:  # a damaged cache file is recompiled, not fatal
        warnings.warn(f"pytest-arbitrage: ignoring unreadable compiled program {path}: {exc}")
        return None
    return program


def _save_atomically(program: dspy.Module, path: Path) -> None:
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=path.stem, suffix=".tmp.json")
    os.close(fd)
    try:
        program.save(tmp)
        os.replace(tmp, path)
    finally:
        if os.path.exists(tmp):
            os.remove(tmp)
