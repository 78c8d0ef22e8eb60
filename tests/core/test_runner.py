"""The cell runner as plain Python: no pytest node, stash or skip, just values."""
from pathlib import Path

import pytest

from pytest_arbitrage.options import OPTIONS, load_settings
from pytest_arbitrage.providers import ModelUnavailable
from pytest_arbitrage.runner import CellRunner
from pytest_arbitrage.tasks import all_tasks
from pytest_arbitrage.testing import scripted_lm


def settings_in(root: Path, **given):
    values = {o.name: o.default for o in OPTIONS} | given
    return load_settings(values.get, valid_tasks=list(all_tasks()), root=root)


def supply(spec, max_tokens):
    if spec.spec.endswith("/down"):
        raise ModelUnavailable("down for the test")
    return scripted_lm(lambda prompt: "positive", model=spec.spec)


def test_a_cell_runs_end_to_end_as_plain_values(tmp_path):
    settings = settings_in(tmp_path, tasks="sentiment", models="openai/fake", optimizers="none,labeled", n="5",
                           train="4", dev="4")
    runner = CellRunner(settings, run_id="r1", supply_lm=supply)
    none, labeled = runner.grid()
    data = runner.cell_data(labeled)
    lm = runner.lm("openai/fake")
    compiled = runner.compile(labeled, data, lm, lm)
    assert compiled.compiled.noop is False and compiled.compiled.path.is_file() and compiled.seconds >= 0
    emitted = []
    scored = runner.evaluate(labeled, data, lm, compiled.compiled.program, emit=emitted.append,
                             program_hash=compiled.compiled.program_hash)
    assert scored.failure is None and scored.adapter == "LenientChatAdapter"
    assert [r.example_id for r in emitted] == [r.example_id for r in scored.outcome.records] and len(emitted) == 5
    assert {r.optimizer for r in emitted} == {"labeled"} and {r.raw_answer for r in emitted} == {"positive"}
    assert runner.judge(labeled, scored.outcome) is None, "no compared run, no verdict"


def test_an_unavailable_model_is_an_exception_asked_for_once(tmp_path):
    calls = []

    def counting_supply(spec, max_tokens):
        calls.append(spec.spec)
        return supply(spec, max_tokens)

    runner = CellRunner(settings_in(tmp_path, models="openai/down"), run_id="r1", supply_lm=counting_supply)
    for _ in range(2):
        with pytest.raises(ModelUnavailable, match="down for the test"):
            runner.lm("openai/down")
    assert calls == ["openai/down"]
