"""The pytest glue: options, the grid as parametrized items, fixtures, and the run writer.

Everything substantial lives in plain modules; each hook here calls one of them.
"""
from __future__ import annotations

import os
from pathlib import Path

os.environ.setdefault("LITELLM_LOCAL_MODEL_COST_MAP", "true")  # no metadata download at import

import pytest

from pytest_arbitrage import hooks
from pytest_arbitrage.options import OPTIONS, Settings, SettingsError, load_settings
from pytest_arbitrage.session import ControllerSession, WorkerSession
from pytest_arbitrage.tasks import DataUnavailable, all_tasks, get_task

SETTINGS_KEY = pytest.StashKey[Settings]()
SESSION_KEY = pytest.StashKey[object]()
RUN_ID_INPUT = "arbitrage_run_id"
COMPARE_INPUT = "arbitrage_compare_dir"


def pytest_addoption(parser: pytest.Parser) -> None:
    group = parser.getgroup("arbitrage", "pytest-arbitrage: DSPy program benchmarks")
    for option in OPTIONS:
        group.addoption(option.flag, dest=option.ini, default=None, help=f"{option.help} (ini: {option.ini})")
        parser.addini(option.ini, help=option.help, default=option.default)


def pytest_addhooks(pluginmanager: pytest.PytestPluginManager) -> None:
    pluginmanager.add_hookspecs(hooks)


@pytest.hookimpl(trylast=True)
def pytest_configure(config: pytest.Config) -> None:
    settings = _settings(config)
    config.stash[SETTINGS_KEY] = settings
    workerinput = getattr(config, "workerinput", None)
    if workerinput is not None:
        compare_dir = workerinput.get(COMPARE_INPUT)
        session = WorkerSession(config, settings, run_id=workerinput[RUN_ID_INPUT],
                                compare_dir=Path(compare_dir) if compare_dir else None)
    else:
        session = ControllerSession(config, settings)
    config.stash[SESSION_KEY] = session
    config.pluginmanager.register(session, "arbitrage-session")


def _settings(config: pytest.Config) -> Settings:
    from_ini: set[str] = set()

    def raw(name: str) -> str | None:
        option = f"arbitrage_{name}"
        value = config.getoption(option)
        if value is None:
            from_ini.add(name)
            return config.getini(option)
        return value

    try:
        settings = load_settings(raw, valid_tasks=list(all_tasks()), root=config.rootpath)
    except SettingsError as exc:
        # Name the option as the user wrote it: the ini key when the value came from the ini file.
        label = f"ini key arbitrage_{exc.option}" if exc.option in from_ini else _flag_of(exc.option)
        raise pytest.UsageError(exc.named(label)) from None
    return settings


def _flag_of(name: str) -> str:
    return next(option.flag for option in OPTIONS if option.name == name)


@pytest.hookimpl(optionalhook=True)
def pytest_configure_node(node) -> None:
    """xdist: hand the controller's run id and resolved compared run to each worker."""
    session = node.config.stash[SESSION_KEY]
    node.workerinput[RUN_ID_INPUT] = session.run_id
    node.workerinput[COMPARE_INPUT] = str(session.compare_dir) if session.compare_dir else None


def pytest_generate_tests(metafunc: pytest.Metafunc) -> None:
    if "arb_cell" in metafunc.fixturenames:
        cells = metafunc.config.stash[SESSION_KEY].grid()
        metafunc.parametrize("arb_cell", cells, ids=[cell.id for cell in cells])


# -- fixtures: each one provisions one thing for the cell -------------------------------------


@pytest.fixture(scope="session")
def arb_settings(pytestconfig: pytest.Config) -> Settings:
    return pytestconfig.stash[SETTINGS_KEY]


@pytest.fixture
def arb_session(pytestconfig: pytest.Config):
    return pytestconfig.stash[SESSION_KEY]


@pytest.fixture
def arb_task(arb_cell):
    return get_task(arb_cell.task)


@pytest.fixture
def arb_data(arb_session, arb_cell):
    """The cell's seeded splits; the cell is skipped with the reason when its hub data cannot be had."""
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
