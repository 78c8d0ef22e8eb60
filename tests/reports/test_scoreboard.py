"""The arbitrage scoreboard: pairable cells only, a pinnable reference, every candidate tested."""
import pytest

from pytest_arbitrage.reports import StatsOptions, build_summary
from pytest_arbitrage.reports.synthetic import synthetic_run

LOCAL, TINY = "llamacpp/smollm2-135m", "llamacpp/qwen-0.5b"
MINI, BIG, ELSEWHERE = "openai/gpt-4o-mini", "openai/gpt-4o", "openai/o3"
MODELS = {LOCAL: "local", TINY: "local", MINI: "api", BIG: "api", ELSEWHERE: "api"}
TRUE = {LOCAL: 0.92, TINY: 0.6, MINI: 0.45, BIG: 0.6, ELSEWHERE: 0.95}


def summarise(reference=None, n=100, true=TRUE):
    records, cells = synthetic_run(lambda t, m, o: true[m] if o != "none" or m not in (LOCAL, TINY) else 0.3,
                                   n=n, models=MODELS, optimizers=("none", "bootstrap", "mipro"))
    # o3 was scored on other examples: the best api mean, but no pair with any local cell
    records = [dict(r, example_id=f"x{r['example_id']}") if r["model"] == ELSEWHERE else r for r in records]
    return build_summary(records, cells, meta={}, options=StatsOptions(reference=reference))


@pytest.fixture(scope="module")
def board():
    return summarise()


def test_the_default_reference_is_the_best_api_baseline_that_shares_examples(board):
    assert {r["api_model"] for r in board["arbitrage"]} == {BIG}  # not o3, whose mean is higher
    assert {r["reference"] for r in board["arbitrage"]} == {"best pairable api baseline"}


def test_every_local_candidate_is_tested_against_the_reference(board):
    candidates = {(r["task"], r["local_model"], r["local_optimizer"]) for r in board["arbitrage"]}
    assert candidates == {(t, m, o) for t in ("math", "qa") for m in (LOCAL, TINY) for o in ("bootstrap", "mipro")}
    verdicts = {(r["local_model"], r["verdict"]) for r in board["arbitrage"]}
    assert verdicts == {(LOCAL, "significantly better"), (TINY, "not distinguishable")}
    assert board["headline"]["scoreboard"].items() >= {"tasks": 2, "tasks_won": 2, "significantly better": 4}.items()


def test_the_scoreboard_reuses_the_inversion_family(board):
    inversions = {(r["ref_id"], r["new_id"]): r for r in board["inversions"]["rows"]}
    for r in board["arbitrage"]:
        pair = inversions[(r["ref_id"], r["new_id"])]
        assert (r["p"], r["p_adj"], r["verdict"], r["family"]) == (pair["p"], pair["p_adj"], pair["verdict"],
                                                                     pair["family"])
        assert r["family"].startswith("local vs api (")


def test_a_pinned_reference_is_used_and_said():
    summary = summarise(reference=MINI)
    assert {r["api_model"] for r in summary["arbitrage"]} == {MINI}
    assert summary["options"]["reference"] == MINI
    pinned_elsewhere = summarise(reference=ELSEWHERE)["arbitrage"]
    assert {(r["verdict"], r["why"]) for r in pinned_elsewhere} == {("untestable", "no shared examples")}


def test_a_reference_with_no_cell_makes_untestable_rows_not_a_silent_gap():
    rows = summarise(reference="openai/nope")["arbitrage"]
    assert len(rows) == 8 and {r["api_model"] for r in rows} == {None}
    assert {(r["verdict"], r["why"], r["p_adj"]) for r in rows} == {
        ("untestable", "the reference openai/nope has no api baseline cell here", None)}


def test_a_task_without_local_candidates_says_so():
    records, cells = synthetic_run(lambda *c: 0.6, n=20, tasks=("math",), optimizers=("none",))
    [row] = build_summary(records, cells, meta={}, options=StatsOptions())["arbitrage"]
    assert (row["api_model"], row["local_model"], row["verdict"]) == (MINI, None, "untestable")
    assert row["why"] == "no optimized local cell on this task"


def test_the_methods_no_longer_admit_a_winners_curse(board):
    text = " ".join(board["methods"].values())
    assert "optimistic" not in text and "every optimized local cell" in board["methods"]["scoreboard"]


def test_under_the_null_the_scoreboard_rarely_claims_a_win():
    """Every model equal: the family-wise rate of any scoreboard claim stays at alpha, not above."""
    models = {m: MODELS[m] for m in (LOCAL, TINY, MINI, BIG)}
    claims = 0
    for seed in range(20):
        records, cells = synthetic_run(lambda *c: 0.6, n=40, seed=seed, models=models,
                                       optimizers=("none", "bootstrap", "mipro"))
        summary = build_summary(records, cells, meta={}, options=StatsOptions(n_bootstrap=200))
        claims += any(r["significant"] for r in summary["arbitrage"])
    assert claims <= 3  # at a true rate of 0.05, 4 or more of 20 has probability 0.016
