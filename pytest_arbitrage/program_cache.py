"""Compiled programs saved as DSPy JSON, reused while nothing they depend on changed.

The key hashes each thing a compiled program depends on — the program's own
definition (signatures, instructions, field descriptions, module structure and
code), task data, model identity, teacher, optimizer settings, seed and DSPy
version. Beside each program a `.key` file keeps the digest of every part, so when
a saved program is not reused the cache can say which part changed. A `.curve` file
keeps the optimizer's learning curve, so a reused program still has it.

A file lock per key makes two xdist workers that need the same program compile it
once; files are written to a temporary name and renamed, so a reader never sees
half a program.
"""
from __future__ import annotations

import hashlib
import json
import os
import tempfile
from dataclasses import dataclass
from pathlib import Path
from typing import Callable

import dspy
from filelock import FileLock

KEY_SUFFIX = ".key"  # beside `<name>.json`; not a program, so not `*.json`
CURVE_SUFFIX = ".curve"  # beside it too: the optimizer's learning curve (JSON), when it reported one
PART_NAMES = {  # key part -> how a user would say it changed
    "program": "the program definition", "train": "the training data", "dev": "the dev data",
    "model": "the model", "teacher": "the teacher model", "settings": "the optimizer settings",
    "seed": "the seed", "dspy": "the DSPy version", "extra": "the generation settings or adapter",
    "task": "the task", "optimizer": "the optimizer",
}


def digest(value) -> str:
    return hashlib.sha256(json.dumps(value, sort_keys=True, default=str).encode()).hexdigest()[:20]


@dataclass(frozen=True)
class ProgramKey:
    parts: dict[str, str]  # part name -> digest

    @classmethod
    def of(cls, *, task: str, optimizer: str, settings: dict, model_identity: str, teacher_identity: str,
           trainset: list[dspy.Example], devset: list[dspy.Example], seed: int, extra: dict,
           program: dict) -> "ProgramKey":
        values = {
            "task": task, "optimizer": optimizer, "settings": settings, "model": model_identity,
            "teacher": teacher_identity, "seed": seed, "dspy": dspy.__version__, "extra": extra,
            "train": [_example_payload(e) for e in trainset], "dev": [_example_payload(e) for e in devset],
            "program": program,
        }
        return cls({name: digest(value) for name, value in values.items()})

    @property
    def hex(self) -> str:
        return digest(self.parts)


def _example_payload(example: dspy.Example) -> dict:
    return {k: example[k] for k in sorted(example.keys())}


@dataclass(frozen=True)
class Loaded:
    program: dspy.Module
    from_cache: bool
    reuse: str  # in words: reused, or why not
    learning_curve: list | None = None  # the dev score per step of the search that made it


def load_or_compile(path: Path, *, make_program: Callable[[], dspy.Module],
                    compile_fn: Callable[[], dspy.Module], key: ProgramKey | None = None,
                    curve_of: Callable[[dspy.Module], list | None] | None = None) -> Loaded:
    """The program at `path`, compiling and saving it first if absent or unreadable; with `curve_of`,
    the learning curve read off the freshly compiled program is saved beside it and read back with it."""
    path.parent.mkdir(parents=True, exist_ok=True)
    with FileLock(str(path) + ".lock"):
        program, problem = _load(path, make_program)
        if program is not None:
            return Loaded(program, True, f"reused {path.name}", _load_curve(path))
        reuse = problem or _why_new(path, key)
        program = compile_fn()
        curve = curve_of(program) if curve_of else None
        _save_curve(path, curve)  # before the program: a program on disk never lacks the curve it had
        _save_atomically(path, program.save)
        if key is not None:
            _save_atomically(_key_path(path), lambda tmp: Path(tmp).write_text(json.dumps(key.parts, indent=1)))
        return Loaded(program, False, reuse, curve)


def _load(path: Path, make_program: Callable[[], dspy.Module]) -> tuple[dspy.Module | None, str | None]:
    if not path.exists():
        return None, None
    program = make_program()
    try:
        program.load(str(path))
    except Exception as exc:  # a damaged or foreign file is recompiled, not fatal
        return None, (f"compiled anew: the saved program {path.name} does not fit this program "
                      f"({type(exc).__name__}: {exc})")
    return program, None


def _why_new(path: Path, key: ProgramKey | None) -> str:
    """Compare with the newest saved key of the same task and optimizer: which parts changed."""
    prefix = path.name.split("-", 1)[0]
    others = sorted(path.parent.glob(f"{prefix}-*{KEY_SUFFIX}"), key=lambda p: p.stat().st_mtime)
    if key is None or not others:
        return "compiled anew: no saved program yet"
    try:
        previous = json.loads(others[-1].read_text())
    except (OSError, ValueError):
        return "compiled anew: no readable saved program"
    changed = [PART_NAMES.get(name, name) for name in key.parts if previous.get(name) != key.parts[name]]
    return f"compiled anew: {', '.join(changed) or 'the key'} changed since the last saved program"


def _save_curve(path: Path, curve: list | None) -> None:
    if curve is None:
        _curve_path(path).unlink(missing_ok=True)  # a stale curve must not outlive its program
    else:
        _save_atomically(_curve_path(path), lambda tmp: Path(tmp).write_text(json.dumps(curve)))


def _load_curve(path: Path) -> list | None:
    """The saved curve; None when there is none (compiled before curves were kept) or it is unreadable."""
    try:
        return json.loads(_curve_path(path).read_text())
    except (OSError, ValueError):
        return None


def _curve_path(path: Path) -> Path:
    return path.with_name(path.stem + CURVE_SUFFIX)


def _key_path(path: Path) -> Path:
    return path.with_name(path.stem + KEY_SUFFIX)


def _save_atomically(path: Path, write: Callable[[str], object]) -> None:
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=path.stem, suffix=".tmp.json")
    os.close(fd)
    try:
        write(tmp)
        os.replace(tmp, path)
    finally:
        if os.path.exists(tmp):
            os.remove(tmp)
