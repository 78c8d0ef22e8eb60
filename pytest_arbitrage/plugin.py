"""The pytest glue: options, the grid as parametrized items, fixtures, and the run writer.

Everything substantial lives in plain modules; each hook here calls one of them.

The plugin is lazy: a pytest run that never asks for a cell (an unrelated test file in the
same virtualenv) imports neither DSPy nor the tasks and creates no folder. The session
behind the hooks is built the first time the grid is collected or an `arb_*` fixture is
used — or at configure time when an `--arb-*` option or `arbitrage_*` ini key was given,
so that a bad value is a usage error before anything runs. Under xdist the controller
builds it when it starts the workers.
"""
from __future__ import annotations

import os
from pathlib import Path

os.environ.setdefault("LITELLM_LOCAL_MODEL_COST_MAP", "true")  # no metadata download at import

import pytest

from pytest_arbitrage import hooks
from pytest_arbitrage.options import OPTIONS, Settings, SettingsError, load_settings

SESSION_KEY = pytest.StashKey[object]()
LAZY_ERROR_KEY = pytest.StashKey[str]()
OPTION_BY_NAME = {option.name: option for option in OPTIONS}
RUN_ID_INPUT = "arbitrage_run_id"
COMPARE_INPUT = "arbitrage_compare_dir"
RESUME_INPUT = "arbitrage_resume_dir"


def pytest_addoption(parser: pytest.Parser) -> None:
    group = parser.getgroup("arbitrage", "pytest-arbitrage: DSPy program benchmarks")
    for option in OPTIONS:
        switch = {"nargs": "?", "const": "true"} if option.default == "false" else {}  # `--arb-sequential` alone
        group.addoption(option.flag, dest=option.ini, default=None, help=f"{option.help} (ini: {option.ini})",
                        **switch)
        parser.addini(option.ini, help=option.help, default=option.default)


def pytest_addhooks(pluginmanager: pytest.PytestPluginManager) -> None:
    pluginmanager.add_hookspecs(hooks)


@pytest.hookimpl(trylast=True)
def pytest_configure(config: pytest.Config) -> None:
    if _asked_for(config):
        session_of(config)


def _asked_for(config: pytest.Config) -> bool:
    """An `--arb-*` option on the command line or an `arbitrage_*` key in the ini file."""
    return any(config.getoption(o.ini) is not None or _in_ini(config, o) for o in OPTIONS)


def _in_ini(config: pytest.Config, option) -> bool:
    """Whether the ini file sets the option (to anything but its default: the same thing then)."""
    return (config.getini(option.ini) or None) != (option.default or None)


def session_of(config: pytest.Config):
    """The run's session (built and registered on first use)."""
    if SESSION_KEY not in config.stash:
        config.stash[SESSION_KEY] = session = _new_session(config, _settings(config))
        config.pluginmanager.register(session, "arbitrage-session")
    return config.stash[SESSION_KEY]


@pytest.hookimpl(tryfirst=True)
def pytest_collection_modifyitems(config: pytest.Config) -> None:
    """A bad setting met while collecting the grid ends the run as a usage error (exit 4): raised in
    a collector it would read as a collection error."""
    if LAZY_ERROR_KEY in config.stash:
        pytest.exit(f"ERROR: {config.stash[LAZY_ERROR_KEY]}", returncode=pytest.ExitCode.USAGE_ERROR)


def _new_session(config: pytest.Config, settings: Settings):
    from pytest_arbitrage.session import ControllerSession, WorkerSession

    workerinput = getattr(config, "workerinput", None)
    if workerinput is None:
        return ControllerSession(config, settings)
    compare_dir, resume_dir = workerinput.get(COMPARE_INPUT), workerinput.get(RESUME_INPUT)
    return WorkerSession(config, settings, run_id=workerinput[RUN_ID_INPUT],
                         compare_dir=Path(compare_dir) if compare_dir else None,
                         resume_dir=Path(resume_dir) if resume_dir else None)


@pytest.hookimpl(tryfirst=True)
def pytest_cmdline_main(config: pytest.Config):
    """`--arb-study=list` prints the study presets and ends the run (like `--markers`)."""
    if config.getoption("arbitrage_study") == "list":
        from pytest_arbitrage.studies import listing

        print(listing())
        return 0
    return None


def _settings(config: pytest.Config) -> Settings:
    from_ini: set[str] = set()
    study = _study(config)

    def raw(name: str) -> str | None:
        """What the user wrote (command line, then ini file), else the study's value, else the default."""
        option = f"arbitrage_{name}"
        value = config.getoption(option)
        if value is None:
            if _in_ini(config, OPTION_BY_NAME[name]):
                from_ini.add(name)
            elif name in study:
                return study[name]
            elif name == "tasks" and config.getoption("keyword"):
                return "all"  # `pytest benchmarks -k math` selects from every task, not the quick default
            return config.getini(option)
        return value

    from pytest_arbitrage.tasks import all_tasks

    try:
        settings = load_settings(raw, valid_tasks=list(all_tasks()), root=config.rootpath)
    except SettingsError as exc:
        # Name the option as the user wrote it: the ini key when the value came from the ini file.
        raise pytest.UsageError(exc.named(f"ini key {OPTION_BY_NAME[exc.option].ini}") if exc.option in from_ini
                                else str(exc)) from None
    return settings


def _study(config: pytest.Config) -> dict[str, str]:
    from pytest_arbitrage.studies import preset

    try:
        return preset(config.getoption("arbitrage_study") or config.getini("arbitrage_study"))
    except ValueError as exc:
        raise pytest.UsageError(f"--arb-study: {exc}") from None


@pytest.hookimpl(optionalhook=True)
def pytest_configure_node(node) -> None:
    """xdist: hand the controller's run id, resolved compared run and resumed run to each worker."""
    session = session_of(node.config)
    node.workerinput[RUN_ID_INPUT] = session.run_id
    node.workerinput[COMPARE_INPUT] = str(session.compare_dir) if session.compare_dir else None
    node.workerinput[RESUME_INPUT] = str(session.runner.resume_dir) if session.runner.resume_dir else None


def pytest_generate_tests(metafunc: pytest.Metafunc) -> None:
    if "arb_cell" in metafunc.fixturenames:
        try:
            cells = session_of(metafunc.config).grid()
        except pytest.UsageError as exc:
            metafunc.config.stash[LAZY_ERROR_KEY] = str(exc)
            return
        metafunc.parametrize("arb_cell", cells, ids=[cell.id for cell in cells])


# -- fixtures: each one provisions one thing for the cell -------------------------------------


@pytest.fixture(scope="session")
def arb_settings(pytestconfig: pytest.Config) -> Settings:
    return session_of(pytestconfig).settings


@pytest.fixture
def arb_session(pytestconfig: pytest.Config):
    return session_of(pytestconfig)


@pytest.fixture
def arb_task(arb_cell):
    from pytest_arbitrage.tasks import get_task

    return get_task(arb_cell.task)


@pytest.fixture
def arb_data(arb_session, arb_cell):
    """The cell's seeded splits; the cell is skipped with the reason when its hub data cannot be had."""
    from pytest_arbitrage.tasks import DataUnavailable

    try:
        return arb_session.cell_data(arb_cell)
    except DataUnavailable as exc:
        arb_session.unavailable("data", exc.reason)


@pytest.fixture
def arb_lm(arb_session, arb_cell, arb_task):
    """The cell's LM; the cell is skipped with a reason when the model cannot be reached."""
    return arb_session.for_task(arb_session.lm_or_skip(arb_cell.model.spec), arb_task)


@pytest.fixture
def arb_teacher_lm(arb_session, arb_settings, arb_task, arb_lm):
    """The optimizers' prompt/teacher/reflection model: `--arb-teacher`, else the cell's own LM."""
    if not arb_settings.teacher:
        return arb_lm
    return arb_session.for_task(arb_session.lm_or_skip(arb_settings.teacher), arb_task)


@pytest.fixture
def arb_program(request, arb_session, arb_cell, arb_task, arb_data, arb_lm, arb_teacher_lm):
    """The cell's program: the task's baseline module, compiled by the cell's optimizer."""
    return arb_session.program(request.node, arb_cell, arb_task, arb_data, arb_lm, arb_teacher_lm)


@pytest.fixture
def arb_evaluate(request, arb_session, arb_cell, arb_task, arb_data, arb_lm):
    """Call with a program: scores it on the cell's test examples and records every example."""

    def evaluate(compiled):
        return arb_session.evaluate(request.node, arb_cell, arb_task, arb_data, arb_lm, compiled)

    return evaluate
