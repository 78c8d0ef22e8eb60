"""Study axes beyond task x model x optimizer (SPEC 10): one registry row each, no DSPy.

    module   --arb-modules=predict,cot,sc3   the inference module built around the task's signature
    depth    --arb-depth=1,3,5               the task as a chain of d LM steps (tasks that declare it)
    train    --arb-train=0,4,16              compile on the first m training examples (a list)
    seed     --arb-seeds=10,20               one compile per optimizer seed (unless --arb-select=dev)
    demos    --arb-demos=0,1,3               keep the first k demos of each compiled predictor

`compile_only` axes change what an optimizer produces, so the baseline (`none`) cells do not
carry them and every value of theirs pairs with the one baseline cell (`CellKey.reference`).
Adding an axis: a row here, its option in options.py, and where a cell uses its value
(compiled.py for programs, evaluation.py for scoring).
"""
from __future__ import annotations

import itertools
import re
from dataclasses import dataclass
from typing import Callable

FORMS = ("predict", "cot", "bestofN", "refineN", "mccM", "scM")
_PATTERN = re.compile(r"^(predict|cot|bestof|refine|mcc|sc)(\d*)$")
_SAMPLED = {"bestof", "refine", "mcc", "sc"}
SAMPLE_TEMPERATURE = 1.0  # DSPy's BestOfN and Refine sample at 1.0 too

# Intermediate stages by depth (the seed study's 1-, 3- and 5-step pipelines, plus 2 and 4);
# modules.STAGES holds their instructions.
DEPTHS = {
    1: (),
    2: ("analysis",),
    3: ("analysis", "reasoning"),
    4: ("analysis", "reasoning", "synthesis"),
    5: ("parse", "context", "reasoning", "synthesis"),
}


@dataclass(frozen=True)
class ModuleChoice:
    kind: str  # predict, cot, bestof, refine, mcc, sc
    n: int = 1  # samples (attempts for bestof/refine)

    @property
    def name(self) -> str:
        return self.kind + (str(self.n) if self.kind in _SAMPLED else "")


def parse_module(text: str) -> ModuleChoice:
    """`cot`, `bestof3`, `sc5`, ...; ValueError naming the value and the valid forms."""
    match = _PATTERN.match(str(text).strip())
    if not match:
        raise ValueError(f"unknown module {text!r}; valid: {', '.join(FORMS)} (N, M: sample counts, e.g. sc5)")
    kind, digits = match.groups()
    if kind not in _SAMPLED:
        if digits:
            raise ValueError(f"module {text!r} takes no count; valid: {', '.join(FORMS)}")
        return ModuleChoice(kind)
    n = int(digits or 0)
    if not 2 <= n <= 20:
        raise ValueError(f"module {text!r} needs a sample count from 2 to 20, e.g. {kind}3")
    return ModuleChoice(kind, n)


def parse_depth(value: int) -> int:
    if value not in DEPTHS:
        raise ValueError(f"unsupported pipeline depth {value}; valid: {', '.join(map(str, DEPTHS))}")
    return value




def _count(text: str) -> int:
    try:
        value = int(str(text).strip())
    except ValueError:
        raise ValueError(f"expected a whole number >= 0, got {text!r}") from None
    if value < 0:
        raise ValueError(f"expected a whole number >= 0, got {text!r}")
    return value


def _depth(text: str) -> int:
    return parse_depth(_count(text))


def _module(text: str) -> str:
    return parse_module(text).name


def _module_support(task, value: str) -> str | None:
    if task.signature is None:
        return f"task {task.name!r} has its own program (no signature to build {value!r} from)"
    return None


def _depth_support(task, value: int) -> str | None:
    if value != 1 and not task.pipeline:
        return f"task {task.name!r} does not declare pipeline depths"
    return None


@dataclass(frozen=True)
class Axis:
    name: str  # in cell ids, records' `axes` and cells.jsonl
    option: str  # --arb-<option>
    compile_only: bool
    parse: Callable[[str], object]  # one value; ValueError names the valid ones
    unsupported: Callable[[object, object], str | None] = lambda task, value: None  # why a task cannot


AXES: dict[str, Axis] = {axis.name: axis for axis in (
    Axis("module", "modules", False, _module, _module_support),
    Axis("depth", "depth", False, _depth, _depth_support),
    Axis("train", "train", True, _count),
    Axis("seed", "seeds", True, _count),
    Axis("demos", "demos", True, _count),
)}
COMPILE_AXES = frozenset(name for name, axis in AXES.items() if axis.compile_only)


def parse_values(name: str, text: str) -> tuple:
    """A comma list of one axis's values, in the order given, without repeats."""
    values = tuple(AXES[name].parse(part) for part in str(text).split(",") if part.strip())
    repeated = sorted({str(v) for v in values if values.count(v) > 1})
    if repeated:
        raise ValueError(f"{', '.join(repeated)} listed twice")
    return values


def unsupported(task, axes: dict[str, tuple]) -> tuple[Axis, str] | None:
    """The first axis value `task` cannot take, with why; None when it takes them all."""
    for name, values in axes.items():
        for value in values:
            why = AXES[name].unsupported(task, value)
            if why:
                return AXES[name], why
    return None


def cell_axes(axes: dict[str, tuple], optimizer: str) -> list[dict]:
    """Every combination of axis values one (task, model, optimizer) takes, in the order given."""
    names = [n for n in AXES if axes.get(n) and (optimizer != "none" or n not in COMPILE_AXES)]
    return [dict(zip(names, combo)) for combo in itertools.product(*(axes[n] for n in names))]
