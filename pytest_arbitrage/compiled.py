"""A cell's program: compiled once, saved as DSPy JSON, reused while its inputs are unchanged."""
from __future__ import annotations

import inspect
from dataclasses import dataclass
from functools import partial
from pathlib import Path

import dspy

from pytest_arbitrage.grid import GridCell
from pytest_arbitrage.optimizers import CompileJob, budget, compile_program, is_noop, learning_curve
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
    seed: int | None = None  # the optimizer seed of the program kept
    dev_scores: dict | None = None  # seed -> dev score, when seeds were selected on dev
    settings: dict | None = None  # the optimizer budget it was compiled with
    learning_curve: list | None = None  # the optimizer's dev score per trial/iteration (optimizers.learning_curve)


def compiled_program(cell: GridCell, task, cell_data, *, lm, teacher_lm, settings: Settings) -> CompiledProgram:
    """The cell's program: its module and depth, compiled on its train size and seed(s), cut to its demos."""
    axes = cell.key.axes_dict
    make_program = partial(task.program, axes.get("module"), axes.get("depth"))
    baseline = make_program()
    definition = program_definition(baseline)
    program_hash = digest(definition)
    if cell.optimizer == "none":
        return CompiledProgram(baseline, noop=None, path=None, from_cache=False, program_hash=program_hash)
    trainset = cell_data.train[: axes["train"]] if "train" in axes else cell_data.train
    if not trainset:
        return CompiledProgram(baseline, noop=True, path=None, from_cache=False, program_hash=program_hash,
                               reuse="no training examples: the unoptimized program")
    budget_ = budget(cell.optimizer, settings.optimizer_settings)
    seeds = settings.seeds if settings.select else (axes.get("seed", settings.seed),)
    compile_seed = partial(_compile_one, cell, task, cell_data, trainset, make_program, definition, budget_,
                           lm=lm, teacher_lm=teacher_lm, settings=settings)
    candidates = {seed: compile_seed(seed) for seed in seeds}
    dev_scores = _dev_scores(task, candidates, cell_data.dev, lm, cell, settings) if settings.select else None
    seed = max(candidates, key=lambda s: dev_scores[s]) if dev_scores else seeds[0]  # ties: the first seed
    path, loaded = candidates[seed]
    program = keep_demos(loaded.program, axes["demos"]) if "demos" in axes else loaded.program
    return CompiledProgram(program, noop=is_noop(program, baseline), path=path, from_cache=loaded.from_cache,
                           program_hash=program_hash, reuse=loaded.reuse, seed=seed, dev_scores=dev_scores,
                           settings=budget_, learning_curve=loaded.learning_curve)


def _compile_one(cell, task, cell_data, trainset, make_program, definition: dict, budget_: dict, seed: int, *,
                 lm, teacher_lm, settings: Settings):
    job = CompileJob(task=task, optimizer=cell.optimizer, student_lm=lm, teacher_lm=teacher_lm, trainset=trainset,
                     devset=cell_data.dev, seed=seed, threads=settings.threads, settings=budget_,
                     make_program=make_program)
    key = _program_key(cell, job, lm=lm, teacher_lm=teacher_lm, definition=definition)
    path = settings.cache_dir / "programs" / cell.task / f"{cell.optimizer}-{key.hex}.json"
    with dspy.context(adapter=adapter_for(cell.model)):
        loaded = load_or_compile(path, make_program=make_program, compile_fn=lambda: compile_program(job), key=key,
                                 curve_of=learning_curve)
    return path, loaded


def _dev_scores(task, candidates: dict, devset, lm, cell, settings: Settings) -> dict:
    """Each seed's program scored on dev (never on test): the selection `--arb-select=dev` makes."""
    evaluate = dspy.Evaluate(devset=devset, metric=task.dspy_metric, num_threads=settings.threads,
                             display_progress=False, provide_traceback=False)
    with dspy.context(lm=lm, adapter=adapter_for(cell.model)):
        return {seed: round(float(evaluate(loaded.program).score) / 100, 6) for seed, (_, loaded) in candidates.items()}


def keep_demos(program: dspy.Module, k: int) -> dspy.Module:
    """A copy of the program with each predictor's demos cut to the first k (k=0: instructions only)."""
    cut = program.deepcopy()
    for predictor in cut.predictors():
        predictor.demos = predictor.demos[:k]
    return cut


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


def _program_key(cell: GridCell, job: CompileJob, *, lm, teacher_lm, definition: dict) -> ProgramKey:
    # Demos are cut after compiling, so cells that differ only in `demos` share one program.
    axes = {k: v for k, v in cell.key.axes_dict.items() if k != "demos"}
    return ProgramKey.of(
        task=cell.task, optimizer=cell.optimizer, settings=job.settings,
        model_identity=lm_identity(lm), teacher_identity=lm_identity(teacher_lm),
        trainset=job.trainset, devset=job.devset, seed=job.seed,
        extra={"max_tokens": lm.kwargs.get("max_tokens"), "adapter": type(adapter_for(cell.model)).__name__,
               "axes": axes},
        program=definition,
    )


def lm_identity(lm) -> str:
    """The LM's model string plus the model-file fingerprint providers put in its metadata."""
    metadata = (getattr(lm, "kwargs", {}) or {}).get("metadata") or {}
    return f"{lm.model}|{metadata.get(MODEL_ID_KEY, '')}"
