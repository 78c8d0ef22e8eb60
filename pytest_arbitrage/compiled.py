"""A cell's program: compiled once, saved as DSPy JSON, reused while its inputs are unchanged."""
from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import dspy

from pytest_arbitrage.grid import Cell
from pytest_arbitrage.optimizers import OPTIMIZER_SETTINGS, CompileJob, compile_program, is_noop
from pytest_arbitrage.options import Settings
from pytest_arbitrage.program_cache import load_or_compile, program_key
from pytest_arbitrage.providers import MODEL_ID_KEY, adapter_for


@dataclass(frozen=True)
class CompiledProgram:
    program: dspy.Module
    noop: bool | None  # None for the baseline itself
    path: Path | None
    from_cache: bool


def compiled_program(cell: Cell, task, cell_data, *, lm, teacher_lm, settings: Settings) -> CompiledProgram:
    if cell.optimizer == "none":
        return CompiledProgram(task.make_program(), noop=None, path=None, from_cache=False)
    job = CompileJob(task=task, optimizer=cell.optimizer, student_lm=lm, teacher_lm=teacher_lm,
                     trainset=cell_data.train, devset=cell_data.dev, seed=settings.seed, threads=settings.threads)
    path = _program_path(cell, cell_data, lm=lm, teacher_lm=teacher_lm, settings=settings)
    with dspy.context(adapter=adapter_for(cell.model)):
        program, cached = load_or_compile(path, make_program=task.make_program, compile_fn=lambda: compile_program(job))
    return CompiledProgram(program, noop=is_noop(program, task.make_program()), path=path, from_cache=cached)


def _program_path(cell: Cell, cell_data, *, lm, teacher_lm, settings: Settings) -> Path:
    key = program_key(
        task=cell.task, optimizer=cell.optimizer, settings=OPTIMIZER_SETTINGS[cell.optimizer],
        model_identity=lm_identity(lm), teacher_identity=lm_identity(teacher_lm),
        trainset=cell_data.train, devset=cell_data.dev, seed=settings.seed,
        extra={"max_tokens": lm.kwargs.get("max_tokens"), "adapter": type(adapter_for(cell.model)).__name__},
    )
    return settings.cache_dir / "programs" / cell.task / f"{cell.optimizer}-{key}.json"


def lm_identity(lm) -> str:
    """The LM's model string plus the model-file fingerprint providers put in its metadata."""
    metadata = (getattr(lm, "kwargs", {}) or {}).get("metadata") or {}
    return f"{lm.model}|{metadata.get(MODEL_ID_KEY, '')}"
