"""Command-line options and ini keys, parsed into one validated `Settings`.

Every option `--arb-<name>` is also the ini key `arbitrage_<name>`; the command
line wins. Parsing is plain Python (no pytest objects) so it can be unit-tested
and reused by the CLI; bad values raise `SettingsError` naming the bad value and
the valid choices.
"""
from __future__ import annotations

import math
from dataclasses import dataclass, field
from pathlib import Path
from typing import Callable

from pytest_arbitrage.optimizers import OPTIMIZERS  # the registry's names (no DSPy import)
from pytest_arbitrage.providers.specs import EMBEDDED_MODELS as _EMBEDDED
from pytest_arbitrage.axes import AXES, DEPTHS, FORMS as MODULE_FORMS, parse_values
from pytest_arbitrage.stats.levels import CORRECTIONS, MCNEMAR_METHODS, parse_alpha, parse_correction

FAIL_ON = ("regression", "inconclusive")
DATA_KINDS = ("offline", "hub", "hub-or-offline")
EMBEDDED_MODELS = tuple(f"llamacpp/{key}" for key in _EMBEDDED)
# The default sweep: both embedded models, the larger playing the api tier so the scoreboard has
# a reference, on tasks quick enough for 2 cores at an n that can conclude something.
DEFAULT_MODELS = "llamacpp/smollm2-135m,llamacpp/gemma3-270m@api"
QUICK_TASKS = ("arithmetic", "extraction", "heart_disease", "rag", "sentiment")


class SettingsError(ValueError):
    """A bad option value; the message names the option, the value and the valid choices.

    `option` is the option's name (e.g. "n"); `str()` names it as a flag, `named(label)`
    as whatever the user wrote (the ini key when the value came from the ini file).
    """

    def __init__(self, option: str, message: str):
        super().__init__(f"{_flag(option)}: {message}")
        self.option, self.message = option, message

    def named(self, label: str) -> str:
        return f"{label}: {self.message}"


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
    Option("study", "", "a study preset (list: print them); any other --arb-* option wins over it"),
    Option("models", DEFAULT_MODELS, f"model specs to sweep, comma-separated (embedded: {', '.join(EMBEDDED_MODELS)})"),
    Option("optimizers", "none,labeled", f"optimizers to sweep: {', '.join(OPTIMIZERS)}"),
    Option("tasks", "quick", f"tasks to sweep, comma-separated, 'all', or 'quick' ({', '.join(QUICK_TASKS)}; "
                             "with -k and no task option: all)"),
    Option("n", "25", "test examples per cell (the default keeps the default sweep under 10 minutes on 2 cores)"),
    Option("train", "16", "training examples for compiling; a list (0,4,16) makes it an axis: nested subsets"),
    Option("dev", "16", "dev examples for selecting among candidates"),
    Option("seed", "0", "the one seed for sampling and optimizers"),
    Option("modules", "", f"inference modules as an axis: {', '.join(MODULE_FORMS)} (default: each task's own)"),
    Option("demos", "", "demo counts as an axis: keep the first k demos of each compiled predictor, e.g. 0,1,3"),
    Option("depth", "", f"pipeline depths as an axis, for tasks that declare them: {', '.join(map(str, DEPTHS))}"),
    Option("seeds", "", "optimizer seeds: one compile per seed (an axis, or with --arb-select=dev one cell)"),
    Option("select", "", "with --arb-seeds: 'dev' keeps the seed with the best dev score (test never decides)"),
    Option("optimizer_settings", "", "optimizer budgets, e.g. mipro.auto=light,gepa.max_metric_calls=300"),
    Option("repeats", "1", "samples per test example (K > 1 needs --arb-temperature > 0); stats average them"),
    Option("temperature", "0", "sampling temperature for the evaluated calls"),
    Option("teacher", None, "prompt/teacher/reflection model for optimizers (default: the cell's own model)"),
    Option("report_dir", "reports", "where run folders are written"),
    Option("cache_dir", ".arbitrage_cache", "LM cache and compiled programs"),
    Option("data", "offline", "task data: offline, hub (strict: a cell whose hub data cannot be loaded is skipped), "
                              "hub-or-offline (falls back to the offline set), or TASK=FILE.jsonl pairs"),
    Option("max_tokens", "", "max tokens an LM may generate per call (default: each task's own budget)"),
    Option("threads", "", "examples evaluated in parallel per cell (default: 8 for api models, 1 in-process)"),
    Option("max_error_rate", "0.5", "a cell whose LM-error rate is above this fails"),
    Option("tier", "", "tier overrides, SPEC=local|api pairs (comma-separated)"),
    Option("alpha", "0.05", "significance level"),
    Option("correction", "holm", f"multiple-comparison correction: {', '.join(CORRECTIONS)}"),
    Option("compare", None, "a saved run (path or 'latest') to compare against"),
    Option("fail_on", None, "fail cells (and so the session) on: regression, inconclusive (comma-separated)"),
    Option("min_effect", None, "the smallest drop the gate must be able to see; a cell whose MDE is larger is inconclusive"),
    Option("timeout", "", "seconds one LM call may take before it is an error (default: 60 for api models, none in-process)"),
    Option("include_partial", "false", "let cells cut short by an interrupt or a crash into the comparisons"),
    Option("prices", None, "JSON or TOML file extending the price table"),
    Option("resume", "", "continue a run (a run folder or 'latest'): score only the examples it lacks"),
    Option("shard", "", "run the i-th of N deterministic shards of the (cell, example) work, e.g. 1/4"),
    Option("sequential", "false", "stop scoring an optimized cell once its pair with the baseline is decided "
                                  "(an anytime-valid test, valid however often it is checked)"),
    Option("baseline", "", "the optimizer every other one is measured against (default: none)"),
    Option("reference", "", "the api model the scoreboard measures local cells against (default: the best pairable)"),
    Option("mcnemar", "exact", f"McNemar's test for 0/1 scores: {', '.join(MCNEMAR_METHODS)} (exact: the gate's default)"),
)
API_TIMEOUT_S = 60.0


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
    threads: int | None = None  # None: by provider (concurrency.threads_for)
    max_error_rate: float = 0.5
    tier_overrides: dict[str, str] = field(default_factory=dict)
    alpha: float = 0.05
    correction: str = "holm"
    compare: str | None = None
    fail_on: tuple[str, ...] = ()
    min_effect: float | None = None
    timeout: float | None = None
    include_partial: bool = False
    prices: Path | None = None
    axes: dict[str, tuple] = field(default_factory=dict)  # axis name -> values (only axes that vary cells)
    seeds: tuple[int, ...] = ()  # with select="dev": compiled per seed inside one cell
    select: str | None = None
    optimizer_settings: dict[str, dict] = field(default_factory=dict)
    repeats: int = 1
    temperature: float = 0.0
    baseline: str = "none"
    reference: str | None = None
    mcnemar: str = "exact"
    study: str | None = None
    resume: str | None = None
    sequential: bool = False
    shard: str | None = None  # "i/N", 1-based (see `shard_of`)

    def as_dict(self) -> dict:
        """JSON-friendly view for run metadata."""
        return _jsonable(self.__dict__)


def _jsonable(value):
    if isinstance(value, Path):
        return str(value)
    if isinstance(value, dict):
        return {str(k): _jsonable(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [_jsonable(v) for v in value]
    return value


def parse_settings(raw: Callable[[str], str | None], *, valid_tasks: list[str], root: Path) -> Settings:
    """Build `Settings` from raw option strings (`raw(name)` returns CLI-or-ini text)."""
    data, data_files = _data(raw("data"), valid_tasks, root)
    axes = _axes(raw)
    select = _select(raw("select"), axes)
    seeds = axes.pop("seed", ()) if select else ()
    return Settings(
        models=_list("models", raw("models")),
        optimizers=_choices("optimizers", raw("optimizers"), OPTIMIZERS),
        tasks=_tasks(raw("tasks"), valid_tasks),
        n=_int("n", raw("n"), minimum=1),
        train=max(_axis_values("train", raw("train")) or (16,)),
        dev=_int("dev", raw("dev"), minimum=0),
        seed=_int("seed", raw("seed"), minimum=0),
        teacher=raw("teacher") or None,
        report_dir=root / (raw("report_dir") or "reports"),
        cache_dir=root / (raw("cache_dir") or ".arbitrage_cache"),
        data=data,
        data_files=data_files,
        max_tokens=_int("max_tokens", raw("max_tokens"), minimum=1) if raw("max_tokens") else None,
        threads=_int("threads", raw("threads"), minimum=1) if raw("threads") else None,
        max_error_rate=_fraction("max_error_rate", raw("max_error_rate")),
        tier_overrides=_pairs("tier", raw("tier"), valid_values=("local", "api")),
        alpha=_checked("alpha", parse_alpha, raw("alpha")),
        correction=_checked("correction", parse_correction, raw("correction")),
        compare=raw("compare") or None,
        fail_on=_fail_on(raw("fail_on"), raw("compare")),
        min_effect=_fraction("min_effect", raw("min_effect")) if raw("min_effect") else None,
        timeout=_positive("timeout", raw("timeout")) if raw("timeout") else None,
        include_partial=_bool("include_partial", raw("include_partial")),
        prices=root / raw("prices") if raw("prices") else None,
        axes=axes,
        seeds=seeds,
        select=select,
        optimizer_settings=_checked("optimizer_settings", _optimizer_settings, raw("optimizer_settings")),
        repeats=_repeats(raw("repeats"), raw("temperature")),
        temperature=_temperature(raw("temperature")),
        baseline=_baseline(raw("baseline"), raw("optimizers")),
        reference=raw("reference") or None,
        mcnemar=_one_of("mcnemar", raw("mcnemar") or "exact", MCNEMAR_METHODS),
        study=raw("study") or None,
        resume=raw("resume") or None,
        sequential=_bool("sequential", raw("sequential")),
        shard=_shard(raw("shard")),
    )


def _shard(text: str | None) -> str | None:
    if not (text or "").strip():
        return None
    index, sep, total = text.strip().partition("/")
    if not (sep and index.isdigit() and total.isdigit() and 1 <= int(index) <= int(total)):
        raise SettingsError("shard", f"expected i/N with 1 <= i <= N (e.g. 1/4), got {text!r}")
    return f"{int(index)}/{int(total)}"


def shard_of(settings: Settings) -> tuple[int, int] | None:
    """(i, N) of `--arb-shard=i/N`, or None for the whole sweep."""
    if not settings.shard:
        return None
    index, total = settings.shard.split("/")
    return int(index), int(total)


def _baseline(text: str | None, optimizers: str | None) -> str:
    value = (text or "").strip()
    if not value:
        return "none"
    swept = _choices("optimizers", optimizers, OPTIMIZERS)
    if value not in swept:
        raise SettingsError("baseline", f"{value!r} is not one of the swept optimizers: {', '.join(swept)}")
    return value


def _axis_values(name: str, text: str | None) -> tuple:
    option = AXES[name].option
    try:
        return parse_values(name, text or "")
    except ValueError as exc:
        raise SettingsError(option, str(exc)) from None


def _axes(raw: Callable[[str], str | None]) -> dict[str, tuple]:
    """The axes that vary cells; `--arb-train` with one value keeps its old meaning (no axis)."""
    axes = {name: _axis_values(name, raw(axis.option)) for name, axis in AXES.items()}
    if len(axes["train"]) < 2:
        axes["train"] = ()
    return {name: values for name, values in axes.items() if values}


def _select(text: str | None, axes: dict) -> str | None:
    value = (text or "").strip() or None
    if value not in (None, "dev"):
        raise SettingsError("select", f"unknown value {text!r}; valid: dev")
    if value and len(axes.get("seed", ())) < 2:
        raise SettingsError("select", "--arb-select=dev chooses among seeds: give two or more with --arb-seeds")
    return value


def _optimizer_settings(text: str | None) -> dict:
    from pytest_arbitrage.optimizers import parse_optimizer_settings  # inspects DSPy's optimizers

    return parse_optimizer_settings(text) if (text or "").strip() else {}


def _temperature(text: str | None) -> float:
    value = _float("temperature", text or "0")
    if not 0.0 <= value <= 2.0:
        raise SettingsError("temperature", f"expected a number from 0 to 2, got {text!r}")
    return value


def _repeats(text: str | None, temperature: str | None) -> int:
    value = _int("repeats", text or "1", minimum=1)
    if value > 1 and _temperature(temperature) == 0:
        raise SettingsError("repeats", f"{value} samples at temperature 0 are one answer {value} times: "
                                       "add --arb-temperature (e.g. 0.7)")
    return value


def _flag(name: str) -> str:
    return f"--arb-{name.replace('_', '-')}"


def _list(name: str, text: str | None) -> tuple[str, ...]:
    items = tuple(part.strip() for part in (text or "").split(",") if part.strip())
    if not items:
        raise SettingsError(name, f"expected a comma-separated list, got {text!r}")
    if len(set(items)) != len(items):
        raise SettingsError(name, f"{text!r} names a value twice")
    return items


def _one_of(name: str, value: str | None, valid: tuple[str, ...]) -> str:
    if value not in valid:
        raise SettingsError(name, f"unknown value {value!r}; valid: {', '.join(valid)}")
    return value


def _choices(name: str, text: str | None, valid: tuple[str, ...]) -> tuple[str, ...]:
    items = _list(name, text)
    for item in items:
        _one_of(name, item, valid)
    return tuple(sorted(items, key=valid.index))


def _tasks(text: str | None, valid_tasks: list[str]) -> tuple[str, ...]:
    if (text or "").strip() == "all":
        return tuple(sorted(valid_tasks))
    if (text or "").strip() == "quick":
        return tuple(sorted(t for t in QUICK_TASKS if t in valid_tasks)) or tuple(sorted(valid_tasks))
    items = _list("tasks", text)
    for item in items:
        if item not in valid_tasks:
            raise SettingsError("tasks", f"unknown task {item!r}; valid: {', '.join(sorted(valid_tasks))}")
    return tuple(sorted(items))


def _int(name: str, text: str | None, *, minimum: int) -> int:
    try:
        value = int(str(text).strip())
    except ValueError:
        raise SettingsError(name, f"expected a whole number >= {minimum}, got {text!r}") from None
    if value < minimum:
        raise SettingsError(name, f"expected a whole number >= {minimum}, got {text!r}")
    return value


def _float(name: str, text: str | None) -> float:
    try:
        value = float(str(text).strip())
    except ValueError:
        raise SettingsError(name, f"expected a number, got {text!r}") from None
    if not math.isfinite(value):
        raise SettingsError(name, f"expected a finite number, got {text!r}")
    return value


def _fraction(name: str, text: str | None) -> float:
    value = _float(name, text)
    if not 0.0 <= value <= 1.0:
        raise SettingsError(name, f"expected a number between 0 and 1, got {text!r}")
    return value


def _positive(name: str, text: str | None) -> float:
    value = _float(name, text)
    if value <= 0:
        raise SettingsError(name, f"expected a number of seconds > 0, got {text!r}")
    return value


def _bool(name: str, text: str | None) -> bool:
    value = str(text or "false").strip().lower()
    if value not in ("true", "false", "1", "0", "yes", "no"):
        raise SettingsError(name, f"expected true or false, got {text!r}")
    return value in ("true", "1", "yes")


def _checked(name: str, parse: Callable, text: str | None):
    """A value parsed by the statistics layer's own check, its error named after the option."""
    try:
        return parse(text)
    except ValueError as exc:
        raise SettingsError(name, str(exc)) from None


def _fail_on(text: str | None, compare: str | None) -> tuple[str, ...]:
    if not text:
        return ()
    choices = _choices("fail_on", text, FAIL_ON)
    if not compare:
        raise SettingsError("fail_on", f"{text!r} needs a run to compare with: add --arb-compare=RUN|latest")
    return choices


def _pairs(name: str, text: str | None, *, valid_values: tuple[str, ...] | None = None) -> dict[str, str]:
    pairs: dict[str, str] = {}
    for part in (p.strip() for p in (text or "").split(",") if p.strip()):
        key, sep, value = part.rpartition("=")
        if not sep or not key or not value:
            raise SettingsError(name, f"expected KEY=VALUE pairs, got {part!r}")
        if valid_values and value not in valid_values:
            raise SettingsError(name, f"{part!r} has value {value!r}; valid: {', '.join(valid_values)}")
        pairs[key] = value
    return pairs


def _data(text: str | None, valid_tasks: list[str], root: Path) -> tuple[str, dict[str, Path]]:
    """`offline`, `hub`, or TASK=FILE pairs (those tasks read files, the rest offline)."""
    text = (text or "offline").strip()
    if text in DATA_KINDS:
        return text, {}
    if "=" not in text:
        raise SettingsError("data", f"unknown value {text!r}; valid: {', '.join(DATA_KINDS)}, or TASK=FILE.jsonl pairs")
    files = {}
    for task, path in _pairs("data", text).items():
        if task not in valid_tasks:
            raise SettingsError("data", f"unknown task {task!r}; valid: {', '.join(sorted(valid_tasks))}")
        files[task] = (root / path).resolve()
        if not files[task].is_file():
            raise SettingsError("data", f"file {str(files[task])!r} for task {task!r} does not exist")
    return "offline", files


def load_settings(raw: Callable[[str], str | None], *, valid_tasks: list[str], root: Path) -> Settings:
    """Parse and check everything, before any LM is called: values, model specs, paths, files."""
    settings = parse_settings(raw, valid_tasks=valid_tasks, root=root)
    check_models(settings)
    check_paths(settings)
    check_axes(settings)
    return settings


def check_axes(settings: Settings) -> None:
    """Every task of the sweep can take every axis value asked for, before any LM call."""
    from pytest_arbitrage.axes import unsupported
    from pytest_arbitrage.tasks import get_task

    for name in settings.tasks:
        found = unsupported(get_task(name), settings.axes)
        if found:
            axis, why = found
            raise SettingsError(axis.option, f"{why}; drop the task from --arb-tasks or the value from {_flag(axis.option)}")


def check_models(settings: Settings) -> None:
    """Model specs are parsed (no I/O), so a typo fails before any LM is called."""
    from pytest_arbitrage.providers import UsageError, parse_model_spec, parse_model_specs

    try:
        models = parse_model_specs(",".join(settings.models), tier_overrides=settings.tier_overrides)
    except UsageError as exc:
        raise SettingsError("models", str(exc)) from None
    if settings.teacher:
        try:
            parse_model_spec(settings.teacher, tier_overrides=settings.tier_overrides)
        except UsageError as exc:
            raise SettingsError("teacher", str(exc)) from None
    known = {m.spec for m in models} | {m.spec.rpartition("@")[0] or m.spec for m in models}
    known |= {settings.teacher} if settings.teacher else set()
    for spec in settings.tier_overrides:
        if spec not in known:
            raise SettingsError("tier", f"{spec!r} is not a model of this sweep; models: {', '.join(settings.models)}")


def check_paths(settings: Settings) -> None:
    """Everything a run will read or write, checked before the first LM call."""
    from pytest_arbitrage.pricing import load_prices

    for name in ("report_dir", "cache_dir"):
        path = getattr(settings, name)
        if path.exists() and not path.is_dir():
            raise SettingsError(name, f"{str(path)!r} is a file, not a folder")
    latest = settings.report_dir / "latest"
    if latest.is_dir() and not latest.is_symlink():
        raise SettingsError("report_dir", f"{str(latest)!r} is a real folder; move it away so 'latest' "
                                          "can point at the newest run")
    try:
        load_prices(settings.prices)
    except ValueError as exc:
        raise SettingsError("prices", str(exc)) from None
    _check_data_files(settings.data_files)


def _check_data_files(files: dict[str, Path]) -> None:
    """Every line of every data file, so a bad row is a usage error and not a failed cell later."""
    from pytest_arbitrage.tasks import DataFileError, check_data_file

    for task, path in files.items():
        try:
            check_data_file(task, path)
        except DataFileError as exc:
            raise SettingsError("data", str(exc)) from None
