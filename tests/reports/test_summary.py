"""build_summary on synthetic runs with known effects."""
import json

import pytest

from pytest_arbitrage.pricing import load_prices
from pytest_arbitrage.reports import StatsOptions, build_summary, find_regressions
from pytest_arbitrage.reports.synthetic import synthetic_run

LOCAL, API = "llamacpp/smollm2-135m", "openai/gpt-4o-mini"


def lifted(task, model, optimizer):
    """Local model: 30% -> 85% when optimized; api model: 60% either way."""
    if model == LOCAL:
        return 0.85 if optimizer != "none" else 0.3
    return 0.6


def summarise(records, cells, **options):
    return build_summary(records, cells, meta={"run_id": "t"}, options=StatsOptions(**options))


@pytest.fixture(scope="module")
def summary():
    records, cells = synthetic_run(lifted, n=120, continuous=("qa",))
    return summarise(records, cells)


def by(rows, **match):
    found = [r for r in rows if all(r[k] == v for k, v in match.items())]
    assert len(found) == 1, (match, found)
    return found[0]


def test_summary_is_strict_json_and_keeps_meta(summary):
    again = json.loads(json.dumps(summary, allow_nan=False))
    assert again["meta"] == {"run_id": "t"}
    assert again["options"]["correction"] == "holm"
    assert len(again["cells"]) == 8


def test_cell_entries_use_wilson_for_binary_and_bootstrap_otherwise(summary):
    math = by(summary["cells"], task="math", model=LOCAL, optimizer="none")
    qa = by(summary["cells"], task="qa", model=LOCAL, optimizer="none")
    assert (math["binary"], math["ci_method"], math["n"]) == (True, "wilson", 120)
    assert (qa["binary"], qa["ci_method"]) == (False, "bootstrap-bca")
    for cell in (math, qa):
        assert cell["ci_low"] < cell["mean"] < cell["ci_high"]


def test_real_lift_is_significant_and_flat_api_is_not(summary):
    local = by(summary["deltas"], task="math", model=LOCAL, optimizer="bootstrap")
    api = by(summary["deltas"], task="math", model=API, optimizer="bootstrap")
    assert local["significant"] and local["delta"] > 0.3 and local["test"] == "mcnemar-exact"
    assert local["ci_low"] > 0 and local["p_adj"] >= local["p"]
    assert not api["significant"]
    assert local["family_size"] == 4


def test_continuous_delta_uses_sign_flip(summary):
    row = by(summary["deltas"], task="qa", model=LOCAL, optimizer="bootstrap")
    assert row["test"].startswith("sign-flip") and row["significant"]


def test_lift_by_model_counts_significant_apart_from_raw(summary):
    local = by(summary["lift_by_model"], model=LOCAL)
    api = by(summary["lift_by_model"], model=API)
    assert (local["improved_significant"], local["n_tasks"]) == (2, 2)
    assert api["improved_significant"] == 0
    assert api["improved_raw"] >= api["improved_significant"]
    assert local["avg_delta"] == pytest.approx(local["avg_optimized"] - local["avg_baseline"])


def test_inversions_claimed_only_when_significant(summary):
    inversions = summary["inversions"]
    claimed = [r for r in inversions["rows"] if r["inversion"]]
    assert inversions["claimed"] == len(claimed) and inversions["pairs"] == len(inversions["rows"]) == 4
    assert {(r["task"], r["kind"]) for r in claimed} == {
        ("math", "optimized vs baseline"), ("math", "optimized vs optimized"),
        ("qa", "optimized vs baseline"), ("qa", "optimized vs optimized"),
    }
    assert all(r["significant"] and r["delta"] > 0 for r in claimed)
    row = by(claimed, task="math", kind="optimized vs baseline")
    assert row["swing"] == pytest.approx(row["delta"] - row["baseline_gap"])
    assert row["baseline_gap"] < 0  # the local model started behind


def test_small_local_lead_is_listed_as_not_distinguishable():
    def close(task, model, optimizer):
        return 0.62 if model == LOCAL and optimizer != "none" else 0.6

    records, cells = synthetic_run(close, n=40, noise=0.1, seed=3)
    inversions = summarise(records, cells)["inversions"]
    assert inversions["claimed"] == 0
    leads = [r for r in inversions["rows"] if r["delta"] > 0]
    assert leads and all(r["verdict"] == "not distinguishable" and not r["significant"] for r in leads)
    assert all(r["why"].startswith("MDE ") for r in leads)


def test_arbitrage_scoreboard_verdicts_and_costs(summary):
    row = by(summary["arbitrage"], task="math")
    assert (row["api_model"], row["local_model"]) == (API, LOCAL)
    assert row["verdict"] == "significantly better"
    assert row["local_cost_per_1k"] == 0.0
    price = load_prices(None)["gpt-4o-mini"]
    assert row["api_cost_per_1k"] == pytest.approx((100 * price["input"] + 20 * price["output"]) / 1000)


def test_arbitrage_says_significantly_worse_when_api_wins():
    records, cells = synthetic_run(lambda t, m, o: 0.9 if m == API else 0.3, n=80)
    rows = summarise(records, cells)["arbitrage"]
    assert {r["verdict"] for r in rows} == {"significantly worse"}


def test_missing_cells_and_partial_pairs_are_explicit():
    records, cells = synthetic_run(lifted, n=30, tasks=("math",))
    records = [r for r in records if not (r["model"] == API and r["optimizer"] == "bootstrap")]
    records = [r for r in records if not (r["optimizer"] == "bootstrap" and r["example_id"] == "math-0")]
    for cell in cells:
        if cell["model"] == API and cell["optimizer"] == "bootstrap":
            cell.update(status="skipped", reason="OPENAI_API_KEY is not set")
    summary = summarise(records, cells)
    skipped = by(summary["cells"], model=API, optimizer="bootstrap")
    assert (skipped["n"], skipped["mean"], skipped["ci_low"], skipped["status"]) == (0, None, None, "skipped")
    api_delta = by(summary["deltas"], model=API)
    assert api_delta["p"] is None and api_delta["significant"] is False and api_delta["p_adj"] is None
    assert (api_delta["verdict"], api_delta["why"]) == ("untestable", f"math-{API}-bootstrap has no scored example")
    local_delta = by(summary["deltas"], model=LOCAL)
    assert (local_delta["n_paired"], local_delta["n_ref"], local_delta["family_size"]) == (29, 30, 1)


def test_error_rate_duplicates_and_unknown_prices():
    records, cells = synthetic_run(lifted, n=10, tasks=("math",), optimizers=("none",),
                                   models={"mystery/model-x": "api"})
    records[0] |= {"error": "timeout", "score": 0.0, "correct": False}
    records.append(dict(records[1]))
    cell = summarise(records, cells)["cells"][0]
    assert cell["error_rate"] == pytest.approx(0.1) and cell["errors"] == 1
    assert cell["duplicates_dropped"] == 1 and cell["n"] == 10
    assert cell["cost_usd"] is None and cell["cost_per_1k"] is None
    priced = summarise(records, cells, prices={"model-x": {"input": 1.0, "output": 2.0}})
    assert priced["cells"][0]["cost_per_1k"] == pytest.approx((100 + 40) / 1000)


def test_axes_make_separate_cells_and_a_by_axis_table():
    records, cells = [], []
    for depth in (1, 3):
        r, c = synthetic_run(lifted, n=20, tasks=("chain",), axes={"depth": depth}, seed=depth)
        records += r
        cells += c
    summary = summarise(records, cells)
    assert any(c["id"].endswith("[depth:3]") for c in summary["cells"])
    rows = summary["by_axis"]["depth"]
    assert sorted({r["value"] for r in rows}) == ["1", "3"]
    assert all(r["n_tasks"] == 1 for r in rows)


def test_regressions_against_a_saved_run():
    old, _ = synthetic_run(lambda t, m, o: 0.9, n=150, seed=1)
    new, cells = synthetic_run(
        lambda t, m, o: 0.5 if (t, m, o) == ("qa", LOCAL, "bootstrap") else 0.9, n=150, seed=1
    )
    summary = summarise(new, cells, baseline_records=old, baseline_run="base")
    regressions = find_regressions(summary)
    assert [(r["task"], r["model"], r["optimizer"]) for r in regressions] == [("qa", LOCAL, "bootstrap")]
    reg = regressions[0]
    assert reg["delta"] < -0.3 and reg["p_adj"] < 0.05 and reg["ci"][1] < 0
    assert "qa-llamacpp/smollm2-135m-bootstrap" in reg["message"] and "pp" in reg["message"]
    assert find_regressions(summarise(old, cells, baseline_records=old)) == []


def test_no_comparison_without_saved_run(summary):
    assert summary["comparison"] is None and find_regressions(summary) == []


def test_summary_does_not_depend_on_record_order():
    """Records arrive in any order under xdist; the summary must not change."""
    import random

    records, cells = synthetic_run(lifted, n=40, continuous=("qa",), seed=9)
    shuffled = records[:]
    random.Random(1).shuffle(shuffled)
    assert summarise(shuffled, cells[::-1]) == summarise(records, cells)


def test_partial_cells_stay_out_of_comparisons_unless_asked_for():
    records, cells = synthetic_run(lifted, n=60)
    for cell in cells:
        if (cell["task"], cell["model"], cell["optimizer"]) == ("qa", LOCAL, "bootstrap"):
            cell.update(status="partial", reason="cut short after 60 examples: the run was interrupted")
    default = summarise(records, cells)
    assert not [r for r in default["deltas"] if (r["task"], r["model"]) == ("qa", LOCAL)]
    assert by(default["cells"], id="qa-llamacpp/smollm2-135m-bootstrap")["status"] == "partial"
    included = summarise(records, cells, include_partial=True)
    assert by(included["deltas"], task="qa", model=LOCAL)["significant"]


def test_the_gate_verdict_is_the_same_in_the_summary_as_in_the_cell(summary):
    """The cell's item and the summary apply one rule: alpha / m over the m cells."""
    from pytest_arbitrage.reports.cells import group_cells
    from pytest_arbitrage.reports.comparisons import compare
    from pytest_arbitrage.reports.gate import GateRule, judge

    old, _ = synthetic_run(lambda t, m, o: 0.9, n=150, seed=1)
    new, cells = synthetic_run(lambda t, m, o: 0.8 if (t, o) == ("qa", "bootstrap") else 0.9, n=150, seed=1)
    options = StatsOptions(baseline_records=old, baseline_run="base")
    rows = {r["id"]: r for r in build_summary(new, cells, meta={}, options=options)["comparison"]["rows"]}
    old_cells, new_cells = group_cells(old, []), group_cells(new, [])
    rule = GateRule(family_size=len(new_cells), against="base")
    for key, cell in new_cells.items():
        verdict = judge(old_cells[key], cell, compare(old_cells[key], cell, options), rule)
        row = rows[key.id]
        assert (row["verdict"], row["p_adj"]) == (verdict["verdict"], verdict["p_adj"])
    assert {r["verdict"] for r in rows.values()} >= {"pass"}
