"""One three-valued verdict for every comparison row (SPEC 12), from one helper, exported in full."""
import json

import pytest
from statsmodels.stats.contingency_tables import mcnemar
from statsmodels.stats.multitest import multipletests

from pytest_arbitrage.reports import StatsOptions, build_summary
from pytest_arbitrage.reports.cells import group_cells
from pytest_arbitrage.reports.comparisons import compare
from pytest_arbitrage.reports.gate import GateRule, judge
from pytest_arbitrage.reports.synthetic import synthetic_run
from pytest_arbitrage.reports.verdicts import VERDICTS, decide, untestable_why

LOCAL, API = "llamacpp/smollm2-135m", "openai/gpt-4o-mini"


def lifted(task, model, optimizer):
    return 0.85 if model == LOCAL and optimizer != "none" else (0.3 if model == LOCAL else 0.6)


def summarise(records, cells, **options):
    return build_summary(records, cells, meta={}, options=StatsOptions(**options))


def renamed(records, model, prefix):
    """The model's records under other example ids: the cells share no example with anyone."""
    return [dict(r, example_id=f"{prefix}{r['example_id']}") if r["model"] == model else r for r in records]


def comparison_rows(summary):
    """(section, row, its three-valued verdict) for every comparison row of the summary."""
    yield from (("deltas", r, r["verdict"]) for r in summary["deltas"])
    yield from (("inversions", r, r["verdict"]) for r in summary["inversions"]["rows"])
    yield from (("arbitrage", r, r["verdict"]) for r in summary["arbitrage"])
    yield from (("comparison", r, r["finding"]) for r in (summary["comparison"] or {}).get("rows", []))


# -- the helper ------------------------------------------------------------------------------

def row(**fields):
    return {"ref_id": "a", "new_id": "b", "n_ref": 10, "n_new": 10, "n_paired": 10, "note": None,
            "test": "mcnemar-exact", "p_floor": None, "delta": 0.2, "mde": 0.31} | fields


@pytest.mark.parametrize("fields, why", [
    ({"note": "no reference cell"}, "no reference cell"),
    ({"n_new": 0, "n_paired": 0}, "b has no scored example"),
    ({"n_paired": 0}, "no shared examples"),
    ({"n_paired": 0, "n_hash_mismatch": 10}, "examples differ by example_hash (all 10 shared example ids)"),
    ({"n_paired": 5}, "too few pairs: n=5, smallest possible p = 0.0625 ≥ 0.05"),
    ({"n_paired": 4, "test": "mcnemar-midp"}, "too few pairs: n=4, smallest possible p = 0.0625 ≥ 0.05"),
    ({"p_floor": 1 / 101, "test": "sign-flip-monte-carlo"},
     "Monte Carlo floor: p ≥ 1/(R+1) = 0.0099 ≥ 0.005; raise the resamples"),
])
def test_each_reason_a_row_is_untestable(fields, why):
    level = 0.005 if fields.get("p_floor") else 0.05
    assert untestable_why(row(**fields), level=level) == why
    assert decide(row(**fields), p_adj=0.001, alpha=0.05, level=level) == {"verdict": "untestable", "why": why}


def test_the_fewest_pairs_that_can_reach_the_level_are_testable():
    assert untestable_why(row(n_paired=6), level=0.05) is None  # 2 * 0.5**6 = 0.031
    assert untestable_why(row(n_paired=5, test="mcnemar-midp"), level=0.05) is None  # 0.5**5 = 0.031
    assert untestable_why(row(n_paired=6), level=0.05 / 12) is not None  # the gate's level over 12 cells


def test_significant_by_the_sign_of_the_delta_and_not_distinguishable_with_its_mde():
    assert decide(row(), p_adj=0.01, alpha=0.05, level=0.05)["verdict"] == "significantly better"
    assert decide(row(delta=-0.2), p_adj=0.01, alpha=0.05, level=0.05)["verdict"] == "significantly worse"
    assert decide(row(), p_adj=0.2, alpha=0.05, level=0.05) == {
        "verdict": "not distinguishable", "why": "MDE 31.0pp at n=10"}


# -- every row of a summary --------------------------------------------------------------------

@pytest.fixture(scope="module")
def mixed():
    """A run with every kind of row: tested, no shared examples, too few pairs, a missing cell."""
    records, cells = synthetic_run(lifted, n=60, tasks=("math", "qa", "tiny"), optimizers=("none", "bootstrap"),
                                   models={LOCAL: "local", API: "api", "openai/gpt-4o": "api"})
    records = renamed(records, "openai/gpt-4o", "other-")
    records = [r for r in records if r["task"] != "tiny" or int(r["example_id"].split("-")[-1]) < 4]
    records = [r for r in records if not (r["task"] == "qa" and r["model"] == API and r["optimizer"] == "none")]
    old = [dict(r, score=1.0, correct=True) for r in records]
    return summarise(records, cells, baseline_records=old, baseline_run="old")


def test_every_comparison_row_has_one_verdict_its_family_and_why(mixed):
    for section, r, verdict in comparison_rows(mixed):
        assert verdict in VERDICTS, (section, r)
        assert (r["p_adj"] is None) == (verdict == "untestable"), (section, r)
        assert r["significant"] == (verdict in ("significantly better", "significantly worse")), (section, r)
        if verdict in ("untestable", "not distinguishable"):
            assert r["why"], (section, r)
        if r["p_adj"] is not None:
            assert f"({r['family_size']} tests, " in r["family"], (section, r)


def test_pairs_with_no_shared_examples_are_exported_as_untestable_not_api_ahead(mixed):
    rows = [r for r in mixed["inversions"]["rows"] if r["api_model"] == "openai/gpt-4o"]
    assert len(rows) == 6  # 3 tasks x (optimized vs baseline, optimized vs optimized)
    assert {(r["verdict"], r["why"]) for r in rows} >= {("untestable", "no shared examples")}
    assert not any("ahead" in json.dumps(r) for r in mixed["inversions"]["rows"])
    assert mixed["inversions"]["untestable"] == sum(r["verdict"] == "untestable" for r in mixed["inversions"]["rows"])


def test_too_few_pairs_is_untestable_in_every_section(mixed):
    for section, r, verdict in comparison_rows(mixed):
        if r["task"] == "tiny" and r.get("n_paired"):
            assert verdict == "untestable" and r["why"].startswith("too few pairs: n=4,"), section


def test_untestable_rows_stay_out_of_the_family_and_holm_matches_statsmodels(mixed):
    for rows in (mixed["deltas"], mixed["inversions"]["rows"]):
        tested = [r for r in rows if r["verdict"] != "untestable"]
        expected = multipletests([r["p"] for r in tested], method="holm")[1]
        assert [r["p_adj"] for r in tested] == pytest.approx(list(expected), rel=1e-12)
        assert {r["family_size"] for r in tested} == {len(tested)} and len(tested) < len(rows)


def test_the_headline_counts_the_rows(mixed):
    headline = mixed["headline"]
    deltas = headline["deltas"]
    assert deltas["rows"] == len(mixed["deltas"]) and deltas["tested"] == mixed["deltas"][0]["family_size"]
    assert sum(deltas[v] for v in VERDICTS) == deltas["rows"]
    assert headline["inversions"]["significantly better"] == mixed["inversions"]["claimed"]
    untestable = [v for s, _, v in comparison_rows(mixed) if s != "arbitrage" and v == "untestable"]
    assert headline["untestable_pairs"] == len(untestable) > 0


def test_one_pair_has_one_verdict_in_the_whole_report(mixed):
    """The scoreboard's pairs are the inversion family's: the same test, the same p_adj."""
    seen = {}
    for section, r, verdict in comparison_rows(mixed):
        if section != "comparison" and r["ref_id"] and r["new_id"]:
            pair = (r["ref_id"], r["new_id"])
            got = (verdict, r["p"], r["p_adj"], r["family"])
            assert seen.setdefault(pair, got) == got, (section, pair)


# -- pairing by content ----------------------------------------------------------------------

def test_equal_ids_with_different_example_hashes_are_never_paired():
    records, cells = synthetic_run(lifted, n=40, tasks=("math",))
    hashed = [dict(r, example_hash=f"h{r['example_id']}" + ("-v2" if r["model"] == API and
                                                          r["example_id"] < "math-2" else "")) for r in records]
    summary = summarise(hashed, cells)
    inversion = [r for r in summary["inversions"]["rows"] if r["kind"] == "optimized vs baseline"][0]
    assert (inversion["n_paired"], inversion["n_hash_mismatch"]) == (40 - 12, 12)  # math-0, math-1, math-10..19
    differ = [dict(r, example_hash="v2") if r["model"] == API else dict(r, example_hash="v1") for r in records]
    row = [r for r in summarise(differ, cells)["inversions"]["rows"]][0]
    assert (row["verdict"], row["why"]) == ("untestable", "examples differ by example_hash (all 40 shared "
                                                          "example ids)")


# -- the gate uses the same helper -----------------------------------------------------------------

def test_the_gate_calls_too_few_pairs_untestable_and_carries_the_paired_finding():
    old, _ = synthetic_run(lambda *cell: 0.9, n=5, tasks=("math",), optimizers=("none",), seed=1)
    new, _ = synthetic_run(lambda *cell: 0.2, n=5, tasks=("math",), optimizers=("none",), seed=1)
    old_cells, new_cells = group_cells(old, []), group_cells(new, [])
    rule = GateRule(family_size=len(new_cells))
    for key, cell in new_cells.items():
        result = judge(old_cells[key], cell, compare(old_cells[key], cell, StatsOptions()), rule)
        assert (result["verdict"], result["finding"], result["fails"]) == ("untestable", "untestable", True)
        assert "cannot be compared with the saved run: too few pairs: n=5," in result["message"]


def test_the_gate_finding_matches_mcnemar_in_statsmodels():
    old, _ = synthetic_run(lambda *cell: 0.9, n=150, tasks=("math",), optimizers=("none",), seed=1)
    new, cells = synthetic_run(lambda *cell: 0.6, n=150, tasks=("math",), optimizers=("none",), seed=1)
    rows = summarise(new, cells, baseline_records=old)["comparison"]["rows"]
    for r in rows:
        d = r["discordant"]
        both = r["n_paired"] - d["only_new"] - d["only_ref"]
        p = mcnemar([[both, d["only_ref"]], [d["only_new"], 0]], exact=True).pvalue
        assert r["p"] == pytest.approx(p, rel=1e-12) and r["p_adj"] == pytest.approx(min(1, 2 * p), rel=1e-12)
        assert (r["verdict"], r["finding"]) == ("regression", "significantly worse")
