"""A cell's program: compiled once, saved as DSPy JSON, reused while its inputs are unchanged."""
from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import dspy

from pytest_arbitrage.grid import Cell
from pytest_arbitrage.optimizers import OPTIMIZER_SETTINGS, CompileJob, compile_program, is_noop
from pytest_arbitrage.options import Settings
from pytest_arbitrage.program_cache import load_or_compile, program_key


@dataclass(frozen=True)
class CompiledProgram:
    program: dspy.Module
    noop: bool | None  # None for the baseline itself
    path: Path | None
    from_cache: bool


def compiled_program(cell: Cell, task, cell_data, *, lm, teacher_lm, settings: Settings) -> CompiledProgram:
    if cell.optimizer == "none":
        return CompiledProgram(task.make_program(), noop=None, path=None, from_cache=False)
    from pytest_arbitrage.providers import adapter_for

    job = CompileJob(task=task, optimizer=cell.optimizer, student_lm=lm, teacher_lm=teacher_lm,
                     trainset=cell_data.train, devset=cell_data.dev, seed=settings.seed, threads=settings.threads)
    path = _program_path(cell, cell_data, settings)
    with dspy.context(adapter=adapter_for(cell.model)):
        program, cached = load_or_compile(path, make_program=task.make_program, compile_fn=lambda: compile_program(job))
    return CompiledProgram(program, noop=is_noop(program, task.make_program()), path=path, from_cache=cached)


def _program_path(cell: Cell, cell_data, settings: Settings) -> Path:
    key = program_key(
        task=cell.task, optimizer=cell.optimizer, settings=OPTIMIZER_SETTINGS[cell.optimizer],
        model_identity=model_identity(cell.model.spec, settings),
        teacher_identity=model_identity(settings.teacher or cell.model.spec, settings),
        trainset=cell_data.train, devset=cell_data.dev, seed=settings.seed,
        extra={"max_tokens": settings.max_tokens},
    )
    return settings.cache_dir / "programs" / cell.task / f"{cell.optimizer}-{key}.json"


def model_identity(spec: str, settings: Settings) -> str:
    """The spec plus, for a local GGUF file, its size and modification time."""
    from pytest_arbitrage.providers import parse_model_spec

    model = parse_model_spec(spec, tier_overrides=settings.tier_overrides)
    path = getattr(model, "path", None)
    if path and Path(path).exists():
        stat = Path(path).stat()
        return f"{spec}|{stat.st_size}|{int(stat.st_mtime)}"
    return spec
