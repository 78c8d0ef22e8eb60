"""A cell's program: compiled once, saved as DSPy JSON, reused while its inputs are unchanged."""
from __future__ import annotations

import inspect
from dataclasses import dataclass
from pathlib import Path

import dspy

from pytest_arbitrage.grid import GridCell
from pytest_arbitrage.optimizers import OPTIMIZER_SETTINGS, CompileJob, compile_program, is_noop
from pytest_arbitrage.options import Settings
from pytest_arbitrage.program_cache import ProgramKey, digest, load_or_compile
from pytest_arbitrage.providers import MODEL_ID_KEY, adapter_for


@dataclass(frozen=True)
class CompiledProgram:
    program: dspy.Module
    noop: bool | None  # None for the baseline itself
    path: Path | None
    from_cache: bool
    program_hash: str  # of the baseline program's definition
    reuse: str | None = None


def compiled_program(cell: GridCell, task, cell_data, *, lm, teacher_lm, settings: Settings) -> CompiledProgram:
    baseline = task.make_program()
    definition = program_definition(baseline)
    if cell.optimizer == "none":
        return CompiledProgram(baseline, noop=None, path=None, from_cache=False, program_hash=digest(definition))
    job = CompileJob(task=task, optimizer=cell.optimizer, student_lm=lm, teacher_lm=teacher_lm,
                     trainset=cell_data.train, devset=cell_data.dev, seed=settings.seed, threads=settings.threads)
    key = _program_key(cell, cell_data, lm=lm, teacher_lm=teacher_lm, settings=settings, definition=definition)
    path = settings.cache_dir / "programs" / cell.task / f"{cell.optimizer}-{key.hex}.json"
    with dspy.context(adapter=adapter_for(cell.model)):
        loaded = load_or_compile(path, make_program=task.make_program, compile_fn=lambda: compile_program(job), key=key)
    return CompiledProgram(loaded.program, noop=is_noop(loaded.program, baseline), path=path,
                           from_cache=loaded.from_cache, program_hash=digest(definition), reuse=loaded.reuse)


def program_definition(program: dspy.Module) -> dict:
    """Everything about an unoptimized program that an optimizer's output depends on."""
    return {
        "class": f"{type(program).__module__}.{type(program).__qualname__}",
        "code": _source(type(program)),
        "modules": [[name, type(module).__name__] for name, module in program.named_sub_modules()],
        "signatures": {name: _signature(p.signature) for name, p in program.named_predictors()},
        "state": program.dump_state(),
    }


def _signature(signature) -> dict:
    return {
        "instructions": signature.instructions,
        "fields": {name: [str(f.annotation), f.json_schema_extra] for name, f in signature.fields.items()},
    }


def _source(cls) -> str | None:
    """The class's code (a changed `forward` is a changed program); None for built-in modules."""
    try:
        return inspect.getsource(cls)
    except (OSError, TypeError):
        return None


def _program_key(cell: GridCell, cell_data, *, lm, teacher_lm, settings: Settings, definition: dict) -> ProgramKey:
    return ProgramKey.of(
        task=cell.task, optimizer=cell.optimizer, settings=OPTIMIZER_SETTINGS[cell.optimizer],
        model_identity=lm_identity(lm), teacher_identity=lm_identity(teacher_lm),
        trainset=cell_data.train, devset=cell_data.dev, seed=settings.seed,
        extra={"max_tokens": lm.kwargs.get("max_tokens"), "adapter": type(adapter_for(cell.model)).__name__,
               "axes": cell.key.axes_dict},
        program=definition,
    )


def lm_identity(lm) -> str:
    """The LM's model string plus the model-file fingerprint providers put in its metadata."""
    metadata = (getattr(lm, "kwargs", {}) or {}).get("metadata") or {}
    return f"{lm.model}|{metadata.get(MODEL_ID_KEY, '')}"
