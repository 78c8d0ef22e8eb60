"""Command-line options and ini keys, parsed into one validated `Settings`.

Every option `--arb-<name>` is also the ini key `arbitrage_<name>`; the command
line wins. Parsing is plain Python (no pytest objects) so it can be unit-tested
and reused by the CLI; bad values raise `SettingsError` naming the bad value and
the valid choices.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Callable

OPTIMIZERS = ("none", "labeled", "bootstrap", "bootstrap_rs", "mipro", "gepa")
CORRECTIONS = ("holm", "bonferroni", "bh", "none")
FAIL_ON = ("regression",)
DATA_KINDS = ("offline", "hub")
EMBEDDED_MODELS = ("llamacpp/smollm2-135m", "llamacpp/gemma3-270m")
DEFAULT_MODEL = EMBEDDED_MODELS[0]  # the default sweep must finish in minutes on 2 cores


class SettingsError(ValueError):
    """A bad option value; the message names the value and the valid choices."""


@dataclass(frozen=True)
class Option:
    name: str  # e.g. "models" -> --arb-models / arbitrage_models
    default: str | None
    help: str

    @property
    def flag(self) -> str:
        return _flag(self.name)

    @property
    def ini(self) -> str:
        """The ini key, also the argparse dest, so one name reads either."""
        return f"arbitrage_{self.name}"


OPTIONS = (
    Option("models", DEFAULT_MODEL, f"model specs to sweep, comma-separated (embedded: {', '.join(EMBEDDED_MODELS)})"),
    Option("optimizers", "none,labeled", f"optimizers to sweep: {', '.join(OPTIMIZERS)}"),
    Option("tasks", "all", "tasks to sweep, comma-separated, or 'all'"),
    Option("n", "10", "test examples per cell (the default keeps the default sweep to minutes)"),
    Option("train", "16", "training examples for compiling"),
    Option("dev", "16", "dev examples for selecting among candidates"),
    Option("seed", "0", "the one seed for sampling and optimizers"),
    Option("teacher", None, "prompt/teacher/reflection model for optimizers (default: the cell's own model)"),
    Option("report_dir", "reports", "where run folders are written"),
    Option("cache_dir", ".arbitrage_cache", "LM cache and compiled programs"),
    Option("data", "offline", "task data: offline, hub, or TASK=FILE.jsonl pairs (comma-separated)"),
    Option("max_tokens", "", "max tokens an LM may generate per call (default: each task's own budget)"),
    Option("threads", "1", "examples evaluated in parallel per cell (API models)"),
    Option("max_error_rate", "0.5", "a cell whose LM-error rate is above this fails"),
    Option("tier", "", "tier overrides, SPEC=local|api pairs (comma-separated)"),
    Option("alpha", "0.05", "significance level"),
    Option("correction", "holm", f"multiple-comparison correction: {', '.join(CORRECTIONS)}"),
    Option("compare", None, "a saved run (path or 'latest') to compare against"),
    Option("fail_on", None, "fail the session on: regression"),
    Option("prices", None, "JSON or TOML file extending the price table"),
)


@dataclass(frozen=True)
class Settings:
    models: tuple[str, ...]
    optimizers: tuple[str, ...]
    tasks: tuple[str, ...]
    n: int
    train: int
    dev: int
    seed: int
    teacher: str | None
    report_dir: Path
    cache_dir: Path
    data: str
    data_files: dict[str, Path] = field(default_factory=dict)
    max_tokens: int | None = None
    threads: int = 1
    max_error_rate: float = 0.5
    tier_overrides: dict[str, str] = field(default_factory=dict)
    alpha: float = 0.05
    correction: str = "holm"
    compare: str | None = None
    fail_on: str | None = None
    prices: Path | None = None

    def as_dict(self) -> dict:
        """JSON-friendly view for run metadata."""
        return {k: (str(v) if isinstance(v, Path) else v) for k, v in self.__dict__.items()}


def parse_settings(raw: Callable[[str], str | None], *, valid_tasks: list[str], root: Path) -> Settings:
    """Build `Settings` from raw option strings (`raw(name)` returns CLI-or-ini text)."""
    data, data_files = _data(raw("data"), valid_tasks, root)
    return Settings(
        models=_list("models", raw("models")),
        optimizers=_choices("optimizers", raw("optimizers"), OPTIMIZERS),
        tasks=_tasks(raw("tasks"), valid_tasks),
        n=_int("n", raw("n"), minimum=1),
        train=_int("train", raw("train"), minimum=0),
        dev=_int("dev", raw("dev"), minimum=0),
        seed=_int("seed", raw("seed"), minimum=0),
        teacher=raw("teacher") or None,
        report_dir=root / (raw("report_dir") or "reports"),
        cache_dir=root / (raw("cache_dir") or ".arbitrage_cache"),
        data=data,
        data_files=data_files,
        max_tokens=_int("max_tokens", raw("max_tokens"), minimum=1) if raw("max_tokens") else None,
        threads=_int("threads", raw("threads"), minimum=1),
        max_error_rate=_fraction("max_error_rate", raw("max_error_rate")),
        tier_overrides=_pairs("tier", raw("tier"), valid_values=("local", "api")),
        alpha=_alpha(raw("alpha")),
        correction=_one_of("correction", raw("correction"), CORRECTIONS),
        compare=raw("compare") or None,
        fail_on=_one_of("fail_on", raw("fail_on"), FAIL_ON) if raw("fail_on") else None,
        prices=root / raw("prices") if raw("prices") else None,
    )


def _flag(name: str) -> str:
    return f"--arb-{name.replace('_', '-')}"


def _list(name: str, text: str | None) -> tuple[str, ...]:
    items = tuple(part.strip() for part in (text or "").split(",") if part.strip())
    if not items:
        raise SettingsError(f"{_flag(name)}: expected a comma-separated list, got {text!r}")
    if len(set(items)) != len(items):
        raise SettingsError(f"{_flag(name)}: {text!r} names a value twice")
    return items


def _one_of(name: str, value: str | None, valid: tuple[str, ...]) -> str:
    if value not in valid:
        raise SettingsError(f"{_flag(name)}: unknown value {value!r}; valid: {', '.join(valid)}")
    return value


def _choices(name: str, text: str | None, valid: tuple[str, ...]) -> tuple[str, ...]:
    items = _list(name, text)
    for item in items:
        _one_of(name, item, valid)
    return tuple(sorted(items, key=valid.index))


def _tasks(text: str | None, valid_tasks: list[str]) -> tuple[str, ...]:
    if (text or "").strip() == "all":
        return tuple(sorted(valid_tasks))
    items = _list("tasks", text)
    for item in items:
        if item not in valid_tasks:
            raise SettingsError(f"--arb-tasks: unknown task {item!r}; valid: {', '.join(sorted(valid_tasks))}")
    return tuple(sorted(items))


def _int(name: str, text: str | None, *, minimum: int) -> int:
    try:
        value = int(str(text).strip())
    except ValueError:
        raise SettingsError(f"{_flag(name)}: expected a whole number >= {minimum}, got {text!r}") from None
    if value < minimum:
        raise SettingsError(f"{_flag(name)}: expected a whole number >= {minimum}, got {text!r}")
    return value


def _float(name: str, text: str | None) -> float:
    try:
        return float(str(text).strip())
    except ValueError:
        raise SettingsError(f"{_flag(name)}: expected a number, got {text!r}") from None


def _fraction(name: str, text: str | None) -> float:
    value = _float(name, text)
    if not 0.0 <= value <= 1.0:
        raise SettingsError(f"{_flag(name)}: expected a number between 0 and 1, got {text!r}")
    return value


def _alpha(text: str | None) -> float:
    value = _float("alpha", text)
    if not 0.0 < value < 1.0:
        raise SettingsError(f"--arb-alpha: expected a number strictly between 0 and 1, got {text!r}")
    return value


def _pairs(name: str, text: str | None, *, valid_values: tuple[str, ...] | None = None) -> dict[str, str]:
    pairs: dict[str, str] = {}
    for part in (p.strip() for p in (text or "").split(",") if p.strip()):
        key, sep, value = part.rpartition("=")
        if not sep or not key or not value:
            raise SettingsError(f"{_flag(name)}: expected KEY=VALUE pairs, got {part!r}")
        if valid_values and value not in valid_values:
            raise SettingsError(f"{_flag(name)}: {part!r} has value {value!r}; valid: {', '.join(valid_values)}")
        pairs[key] = value
    return pairs


def _data(text: str | None, valid_tasks: list[str], root: Path) -> tuple[str, dict[str, Path]]:
    """`offline`, `hub`, or TASK=FILE pairs (those tasks read files, the rest offline)."""
    text = (text or "offline").strip()
    if text in DATA_KINDS:
        return text, {}
    if "=" not in text:
        raise SettingsError(f"--arb-data: unknown value {text!r}; valid: offline, hub, or TASK=FILE.jsonl pairs")
    files = {}
    for task, path in _pairs("data", text).items():
        if task not in valid_tasks:
            raise SettingsError(f"--arb-data: unknown task {task!r}; valid: {', '.join(sorted(valid_tasks))}")
        files[task] = (root / path).resolve()
        if not files[task].is_file():
            raise SettingsError(f"--arb-data: file {str(files[task])!r} for task {task!r} does not exist")
    return "offline", files
