"""Study-axis reports (SPEC 11): every comparison against statsmodels/scipy, sections only where
the run has the axis, and the HTML charts in headless Chromium."""
import os
import shutil
from statistics import mean

import numpy as np
import pytest
from scipy.stats import permutation_test
from statsmodels.stats.contingency_tables import mcnemar
from statsmodels.stats.multitest import multipletests
from statsmodels.stats.proportion import proportion_confint

from pytest_arbitrage.cell import CellKey
from pytest_arbitrage.reports import StatsOptions, build_summary, render_terminal
from pytest_arbitrage.reports.html import render_html
from pytest_arbitrage.reports.markdown import render_markdown
from pytest_arbitrage.reports.synthetic import synthetic_run

LOCAL, API, QWEN = "llamacpp/smollm2-135m", "openai/gpt-4o-mini", "llamacpp/qwen"
MODELS = {LOCAL: "local", API: "api"}
NEW_KEYS = ("modules", "demos", "train", "optimizer_pairs", "depth", "models_vs_tasks", "learning_curves")


def run(specs, *, n=60, tasks=("math",), models=MODELS, continuous=(), meta=None, patch=None, info=None):
    """The summary of a run with one synthetic cell per (optimizer, axes, true score) spec, task and
    model; each spec draws independently (its own seed) on the same example ids. `patch` and `info`
    add fields to each record and each cell info."""
    records, cells = [], []
    for seed, (optimizer, axes, p) in enumerate(specs):
        score = (lambda t, m, o, p=p: p(t, m)) if callable(p) else (lambda t, m, o, p=p: p)
        r, c = synthetic_run(score, optimizers=(optimizer,), axes=axes, seed=seed, n=n, tasks=tasks,
                             models=models, continuous=continuous)
        records, cells = records + r, cells + c
    for r in records:
        r |= (patch or (lambda record: {}))(r)
    for c in cells:
        c |= (info or (lambda cell: {}))(c)
    summary = build_summary(records, cells, meta=meta or {"run_id": "axes"}, options=StatsOptions())
    return summary, scores_of(records)


def scores_of(records) -> dict:
    scores = {}
    for r in records:
        scores.setdefault(CellKey.of(r).id, {})[r["example_id"]] = r["score"]
    return scores


def cell_id(task, model, optimizer, axes=None) -> str:
    return CellKey(task, model, optimizer, axes or {}).id


def paired(ref: dict | None, new: dict) -> dict:
    """n, delta and p of new - ref from the scores alone: statsmodels' exact McNemar for 0/1, scipy's
    exact permutation test of the paired differences otherwise."""
    ids = sorted((ref or {}).keys() & new.keys())
    if not ids:
        return {"n": 0, "delta": None, "p": None, "testable": False}
    r, x = np.array([ref[i] for i in ids]), np.array([new[i] for i in ids])
    d = x - r
    if set(np.unique(np.concatenate([r, x]))) <= {0.0, 1.0}:
        table = [[int(np.sum((x == 1) & (r == 1))), int(np.sum((x == 1) & (r == 0)))],
                 [int(np.sum((x == 0) & (r == 1))), int(np.sum((x == 0) & (r == 0)))]]
        p = mcnemar(table, exact=True).pvalue
    else:
        nz = d[d != 0]
        p = 1.0 if nz.size == 0 else permutation_test((nz, np.zeros_like(nz)), lambda u, v: np.mean(u - v),
                                                      permutation_type="samples", n_resamples=np.inf).pvalue
    return {"n": len(ids), "delta": d.mean(), "p": p, "testable": 2.0 ** (1 - len(ids)) < 0.05}


def check_family(rows: list[dict], scores: dict, expected_pairs: list[tuple[str, str]], family: str):
    """Each row is the expected pair, with statsmodels' p, Holm's p adj over the testable rows, its verdict."""
    assert sorted((r["ref_id"] or r["note"], r["new_id"]) for r in rows) == sorted(expected_pairs)
    values = [paired(scores.get(r["ref_id"]), scores[r["new_id"]]) for r in rows]
    tested = [v["p"] for v in values if v["testable"]]
    adjusted = iter(multipletests(tested, method="holm")[1])
    for row, v in zip(rows, values):
        p_adj = next(adjusted) if v["testable"] else None
        assert row["n_paired"] == v["n"]
        if not v["testable"]:
            assert (row["verdict"], row["p_adj"]) == ("untestable", None)
            continue
        assert row["delta"] == pytest.approx(v["delta"]) and row["p"] == pytest.approx(v["p"], rel=1e-9)
        assert row["p_adj"] == pytest.approx(p_adj, rel=1e-9)
        assert row["family"] == f"{family} ({len(tested)} tests, holm)"
        expected = ("not distinguishable" if p_adj >= 0.05 else
                    "significantly better" if v["delta"] > 0 else "significantly worse")
        assert row["verdict"] == expected, row
    return values


def md_rows(text: str, title: str) -> list[dict]:
    block = text.split(f"## {title}")[1].split("\n## ")[0]
    lines = [line for line in block.splitlines() if line.startswith("|")]
    split = lambda line: [c.strip() for c in line.strip("|").split("|")]  # noqa: E731
    return [dict(zip(split(lines[0]), split(line))) for line in lines[2:]]


# -- modules -----------------------------------------------------------------------------------

CALLS = {"predict": 1, "cot": 1, "bestof3": 3}
MODULE_SPECS = [(opt, {"module": m}, {"predict": 0.45, "cot": 0.5, "bestof3": 0.85}[m])
                for opt in ("none", "mipro") for m in CALLS]


def module_usage(record):
    calls = CALLS[record["axes"]["module"]]
    return {"lm_calls": calls, "input_tokens": 100 * calls, "output_tokens": 20 * calls}


@pytest.fixture(scope="module")
def modules():
    meta = {"run_id": "m", "options": {"axes": {"module": ["cot", "predict", "bestof3"]}}}
    return run(MODULE_SPECS, n=80, meta=meta, patch=module_usage)


def test_each_module_against_the_first_listed_with_cost_and_calls(modules):
    summary, scores = modules
    section = summary["modules"]
    assert (section["order"], section["reference"]) == (["cot", "predict", "bestof3"], "cot")
    expected = [(cell_id("math", model, opt, {"module": "cot"}), cell_id("math", model, opt, {"module": m}))
                for model in MODELS for opt in ("none", "mipro") for m in ("predict", "bestof3")]
    check_family(section["rows"], scores, expected, "modules vs cot")
    for row in section["rows"]:
        assert row["calls_ratio"] == pytest.approx(CALLS[row["value"]])
        assert row["new_cell"]["calls_per_example"] == CALLS[row["value"]]
        if row["model"] == API:  # priced from tokens, three times the tokens: three times the cost
            assert row["cost_ratio"] == pytest.approx(CALLS[row["value"]])
            assert row["new_cell"]["cost_per_example"] > 0
        else:
            assert row["cost_ratio"] is None and row["new_cell"]["cost_per_example"] == 0
    assert {r["verdict"] for r in section["rows"] if r["value"] == "bestof3"} == {"significantly better"}


def test_the_module_table_shows_the_reference_and_every_module(modules):
    summary, scores = modules
    rows = md_rows(render_markdown(summary), "Modules (accuracy, calls and cost per example)")
    assert [r["module"] for r in rows] == ["cot", "predict", "bestof3"] * 4
    for r in rows:
        cell = scores[cell_id(r["task"], r["model"], r["optimizer"], {"module": r["module"]})]
        assert r["accuracy"] == f"{mean(cell.values()) * 100:.1f}%" and r["calls/ex"] == str(CALLS[r["module"]])
        assert r["vs cot"] == "reference" if r["module"] == "cot" else r["vs cot"].endswith("pp")
    api_bestof3 = next(r for r in rows if r["model"] == API and r["module"] == "bestof3")
    assert api_bestof3["cost ratio"] == "×3.00" and api_bestof3["$/ex"] == "$0.0000810"  # 300 + 60 tokens


def test_without_the_run_settings_the_modules_are_in_sorted_order():
    summary, _ = run(MODULE_SPECS[:3], n=20)
    assert (summary["modules"]["order"], summary["modules"]["reference"]) == (["bestof3", "cot", "predict"], "bestof3")


def test_a_missing_reference_module_is_untestable_and_outside_the_family():
    specs = [s for s in MODULE_SPECS if s[:2] != ("none", {"module": "cot"})]
    summary, scores = run(specs, n=40, meta={"options": {"axes": {"module": ["cot", "predict", "bestof3"]}}})
    rows = summary["modules"]["rows"]
    missing = [r for r in rows if r["optimizer"] == "none"]
    assert len(missing) == 4 and {r["verdict"] for r in missing} == {"untestable"}
    assert {r["why"] for r in missing} == {f"no {cell_id('math', m, 'none', {'module': 'cot'})} cell" for m in MODELS}
    expected = [(r["note"] if r["optimizer"] == "none" else cell_id("math", r["model"], "mipro", {"module": "cot"}),
                 r["new_id"]) for r in rows]
    check_family(rows, scores, expected, "modules vs cot")
    assert {r["family_size"] for r in rows} == {4}


# -- demos -------------------------------------------------------------------------------------

def demo_score(k):
    return lambda task, model: (0.2 if model == LOCAL else 0.45) if k == 0 else 0.3 + 0.15 * k


@pytest.fixture(scope="module")
def demos():
    specs = [("none", {}, 0.5)] + [("mipro", {"demos": k}, demo_score(k)) for k in (0, 1, 2, 3)]
    return run(specs, n=80, tasks=("math", "qa"))


def test_each_k_against_k0_and_k0_against_the_baseline(demos):
    summary, scores = demos
    groups = [(t, m) for t in ("math", "qa") for m in MODELS]
    effect = [(cell_id(t, m, "mipro", {"demos": 0}), cell_id(t, m, "mipro", {"demos": k}))
              for t, m in groups for k in (1, 2, 3)]
    check_family(summary["demos"]["effect"], scores, effect, "demos vs k=0")
    instruction = [(cell_id(t, m, "none"), cell_id(t, m, "mipro", {"demos": 0})) for t, m in groups]
    check_family(summary["demos"]["instruction"], scores, instruction, "demos: k=0 vs baseline")
    local = [r for r in summary["demos"]["instruction"] if r["model"] == LOCAL]
    assert {r["verdict"] for r in local} == {"significantly worse"}  # instruction damage: 50% -> 20%


def test_the_decomposition_quotes_each_familys_row(demos):
    summary, _ = demos
    families = {"instruction": summary["demos"]["instruction"], "demo": summary["demos"]["effect"],
                "total": summary["deltas"]}
    assert len(summary["demos"]["decomposition"]) == 4
    for d in summary["demos"]["decomposition"]:
        assert d["k_max"] == 3
        for part, rows in families.items():
            [row] = [r for r in rows if (r["ref_id"], r["new_id"]) == (d[part]["ref_id"], d[part]["new_id"])]
            assert {k: row[k] for k in d[part]} == d[part]
        assert d["total"]["family"].startswith("deltas (")
        assert d["instruction"]["delta"] + d["demo"]["delta"] == pytest.approx(d["total"]["delta"])


def test_the_demo_curve_has_every_k_with_its_wilson_interval(demos):
    summary, scores = demos
    curves = summary["demos"]["curves"]
    assert len(curves) == 4
    for curve in curves:
        assert [p["value"] for p in curve["points"]] == [0, 1, 2, 3] and curve["points"][0]["vs_reference"] is None
        base = scores[cell_id(curve["task"], curve["model"], "none")]
        assert curve["baseline"]["mean"] == pytest.approx(mean(base.values()))
        for p in curve["points"]:
            values = scores[cell_id(curve["task"], curve["model"], "mipro", {"demos": p["value"]})].values()
            low, high = proportion_confint(sum(values), len(values), method="wilson")
            assert (p["mean"], p["ci_low"], p["ci_high"]) == pytest.approx((mean(values), low, high))


# -- train sizes -------------------------------------------------------------------------------

def train_score(m):
    return lambda task, model: {0: 0.3, 1: 0.3, 4: 0.8, 8: 0.85}[m] if model == LOCAL else 0.6


@pytest.fixture(scope="module")
def train():
    specs = [("none", {}, lambda t, m: 0.3 if m == LOCAL else 0.6)]
    return run(specs + [("bootstrap", {"train": m}, train_score(m)) for m in (0, 1, 4, 8)], n=80)


def test_each_size_against_the_baseline_and_the_tipping_point(train):
    summary, scores = train
    expected = [(cell_id("math", m, "none"), cell_id("math", m, "bootstrap", {"train": s}))
                for m in MODELS for s in (0, 1, 4, 8)]
    values = check_family(summary["train"]["rows"], scores, expected, "train vs baseline")
    tipping = {t["model"]: t for t in summary["train"]["tipping"]}
    assert (tipping[LOCAL]["tipping_point"], tipping[LOCAL]["text"]) == (4, "m=4")
    assert (tipping[API]["tipping_point"], tipping[API]["text"]) == (None, "none up to m=8")
    # the same answer from the independent p-values
    rows = summary["train"]["rows"]
    holm = iter(multipletests([v["p"] for v in values], method="holm")[1])
    hits = [r["value"] for r, v in zip(rows, values) if next(holm) < 0.05 and v["delta"] > 0 and r["model"] == LOCAL]
    assert min(hits) == 4


# -- optimizer pairs ---------------------------------------------------------------------------

@pytest.fixture(scope="module")
def pairs():
    specs = [("none", {}, 0.4), ("bootstrap", {}, 0.5), ("mipro", {}, 0.55), ("gepa", {}, 0.8)]
    meta = {"options": {"optimizers": ["none", "mipro", "gepa", "bootstrap"]}}
    return run(specs, n=80, tasks=("math",), meta=meta)


def test_every_pair_of_optimizers_in_the_run_order(pairs):
    summary, scores = pairs
    assert summary["optimizer_pairs"]["order"] == ["mipro", "gepa", "bootstrap"]
    expected = [(cell_id("math", m, a), cell_id("math", m, b)) for m in MODELS
                for a, b in (("mipro", "gepa"), ("mipro", "bootstrap"), ("gepa", "bootstrap"))]
    check_family(summary["optimizer_pairs"]["rows"], scores, expected, "optimizer pairs")
    gepa = [r for r in summary["optimizer_pairs"]["rows"] if (r["ref_value"], r["value"]) == ("mipro", "gepa")]
    assert {r["verdict"] for r in gepa} == {"significantly better"}


def test_continuous_pairs_use_the_exact_sign_flip_test():
    summary, scores = run([("none", {}, 0.4), ("mipro", {}, 0.5), ("gepa", {}, 0.7)], n=12, tasks=("qa",),
                          continuous=("qa",))
    rows = summary["optimizer_pairs"]["rows"]
    assert {r["test"] for r in rows} == {"sign-flip-exact"}
    check_family(rows, scores, [(cell_id("qa", m, "gepa"), cell_id("qa", m, "mipro")) for m in MODELS],
                 "optimizer pairs")


# -- depth -------------------------------------------------------------------------------------

@pytest.fixture(scope="module")
def depth():
    specs = [(opt, {"depth": d}, {1: 0.5, 3: 0.55, 5: 0.8}[d]) for opt in ("none", "mipro") for d in (1, 3, 5)]
    return run(specs, n=80, patch=lambda r: {"lm_calls": r["axes"]["depth"]})


def test_each_depth_against_depth_1_and_its_curve(depth):
    summary, scores = depth
    expected = [(cell_id("math", m, o, {"depth": 1}), cell_id("math", m, o, {"depth": d}))
                for m in MODELS for o in ("none", "mipro") for d in (3, 5)]
    check_family(summary["depth"]["rows"], scores, expected, "depth vs depth 1")
    for curve in summary["depth"]["curves"]:
        assert [(p["value"], p["calls_per_example"]) for p in curve["points"]] == [(1, 1), (3, 3), (5, 5)]
        assert curve["baseline"] is None


# -- models vs tasks ---------------------------------------------------------------------------

THREE = {LOCAL: "local", QWEN: "local", API: "api"}


def lifted_by_task(task, model):
    base = {LOCAL: 0.3, QWEN: 0.45, API: 0.6}[model]
    return min(0.95, base + {"math": 0.3, "qa": 0.0, "ner": 0.15}[task])


@pytest.fixture(scope="module")
def models():
    specs = [("none", {}, lambda t, m: {LOCAL: 0.3, QWEN: 0.45, API: 0.6}[m]), ("mipro", {}, lifted_by_task)]
    return run(specs, n=100, tasks=("math", "qa", "ner"), models=THREE)


def test_variance_across_models_and_across_tasks_from_the_scores(models):
    summary, scores = models
    delta = {(t, m): paired(scores[cell_id(t, m, "none")], scores[cell_id(t, m, "mipro")])["delta"]
             for t in ("math", "qa", "ner") for m in THREE}
    across_models = np.mean([np.var([delta[(t, m)] for m in THREE], ddof=1) for t in ("math", "qa", "ner")])
    across_tasks = np.mean([np.var([delta[(t, m)] for t in ("math", "qa", "ner")], ddof=1) for m in THREE])
    [v] = summary["models_vs_tasks"]["variance"]
    assert (v["n_tasks"], v["n_models"]) == (3, 3)
    assert v["across_models_within_task"] == pytest.approx(across_models)
    assert v["across_tasks_within_model"] == pytest.approx(across_tasks)
    assert v["reading"].startswith("task-specific")  # the lift was set by the task
    for s in summary["models_vs_tasks"]["by_task"]:
        assert s["sd_across_models"] == pytest.approx(np.std([delta[(s["task"], m)] for m in THREE], ddof=1))


def test_the_gap_between_best_and_worst_model(models):
    summary, scores = models
    for g in summary["models_vs_tasks"]["gap"]:
        means = {side: {m: mean(scores[cell_id(g["task"], m, side)].values()) for m in THREE}
                 for side in ("none", "mipro")}
        ranges = {side: max(v.values()) - min(v.values()) for side, v in means.items()}
        assert (g["baseline_range"], g["optimized_range"]) == pytest.approx((ranges["none"], ranges["mipro"]))
        assert g["baseline_best"] == max(means["none"], key=means["none"].get)
        assert g["direction"] == ("narrows" if ranges["mipro"] < ranges["none"] else "widens")


# -- learning curves ---------------------------------------------------------------------------

CURVE = [{"step": 2, "score": 0.5, "kind": "trial"}, {"step": 0, "score": 0.3, "kind": "trial"},
         {"step": 1, "score": 0.6, "kind": "trial"}, {"step": 3, "score": 0.55, "kind": "trial"},
         {"step": 4, "score": None, "kind": "trial"}, {"score": 0.9}]  # the last two are not points


@pytest.fixture(scope="module")
def learning():
    records, cells = synthetic_run(lambda t, m, o: 0.5, n=30, tasks=("math",), optimizers=("none", "mipro", "gepa"))
    for c in cells:
        if c["optimizer"] == "mipro" and c["model"] == LOCAL:
            c["learning_curve"] = CURVE
        if c["optimizer"] == "gepa" and c["model"] == LOCAL:
            c["learning_curve"] = [{"step": i, "score": s, "kind": "iteration"}
                                   for i, s in enumerate((0.5, 0.67, 0.67))]
    return build_summary(records, cells, meta={}, options=StatsOptions())


def test_learning_curves_from_the_cell_infos(learning):
    rows = {r["optimizer"]: r for r in learning["learning_curves"]["rows"]}
    assert set(rows) == {"mipro", "gepa"}
    mipro = rows["mipro"]
    assert [p["step"] for p in mipro["points"]] == [0, 1, 2, 3]
    assert (mipro["steps"], mipro["first"], mipro["best"], mipro["best_step"], mipro["last"]) == (4, 0.3, 0.6, 1, 0.55)
    assert (rows["gepa"]["kind"], rows["gepa"]["best_step"]) == ("iteration", 1)
    table = md_rows(render_markdown(learning), "Optimizer learning curves")
    assert {(r["optimizer"], r["best dev (step)"], r["last dev"]) for r in table} == {
        ("mipro", "60.0% (1)", "55.0%"), ("gepa", "67.0% (1)", "67.0%")}


# -- where a section appears -------------------------------------------------------------------

def test_a_run_without_the_axes_has_none_of_their_sections():
    records, cells = synthetic_run(lambda t, m, o: 0.5, n=20, tasks=("math",), models={LOCAL: "local"})
    summary = build_summary(records, cells, meta={}, options=StatsOptions())
    assert all(summary[key] is None for key in NEW_KEYS)
    text, html = render_markdown(summary), render_html(summary)
    for title in ("Modules", "Instruction effect", "Demo curve", "Tipping point", "Optimizer pairs", "Depth curve",
                  "Task-specific", "Optimizer learning curves"):
        assert f"## {title}" not in text and f"<h2>{title}" not in html
    assert "curve-chart" not in html


def test_one_value_of_an_axis_is_not_a_study_of_it():
    summary, _ = run([("none", {"module": "cot"}, 0.5), ("mipro", {"module": "cot", "demos": 2}, 0.6)], n=20)
    assert summary["modules"] is None and summary["demos"] is None


def test_every_report_has_the_new_tables(demos, train, pairs, depth, models, modules, learning):
    titles = {"demos": ["Instruction effect vs demo effect", "Demo curve (score vs k)"],
              "train": ["Tipping point", "Train size vs baseline"], "pairs": ["Optimizer pairs"],
              "depth": ["Depth curve"], "models": ["Task-specific vs model-specific", "Cross-model spread",
                                                   "Gap between the best and worst model"],
              "modules": ["Modules"], "learning": ["Optimizer learning curves"]}
    fixtures = {"demos": demos, "train": train, "pairs": pairs, "depth": depth, "models": models,
                "modules": modules, "learning": (learning, None)}
    for name, found in titles.items():
        summary = fixtures[name][0]
        md, html, terminal = render_markdown(summary), render_html(summary), render_terminal(summary)
        for title in found:
            assert f"## {title}" in md and f"<h2>{title}" in html, (name, title)
        assert found[0] in terminal, name
        assert md.index(f"## {found[0]}") < md.index("## Cells")


# -- report.html in headless Chromium ----------------------------------------------------------

CHROMIUM = shutil.which("chromium") or shutil.which("chromium-browser") or shutil.which("google-chrome")
BROWSER_ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking",
                "--disable-component-update", "--no-first-run", "--disable-sync"]


@pytest.fixture(scope="module")
def study():
    """Demos and depth together, two optimizers (pairs), three models and two tasks, learning curves."""
    specs = [("none", {"depth": d}, 0.4) for d in (1, 3)]
    specs += [(opt, {"depth": d, "demos": k}, lambda t, m, k=k, d=d: 0.3 + 0.12 * k + 0.05 * d)
              for opt in ("mipro", "gepa") for d in (1, 3) for k in (0, 1, 3)]
    curve = [{"step": i, "score": s, "kind": "trial"} for i, s in enumerate((0.3, 0.45, 0.4, 0.6, 0.55, 0.62))]
    one = {"optimizer": "mipro", "task": "math", "model": LOCAL, "axes": {"depth": 1, "demos": 3}}
    summary, _ = run(specs, n=40, tasks=("math", "qa"), models=THREE,
                     info=lambda c: {"learning_curve": curve} if all(c[k] == v for k, v in one.items()) else {})
    return summary


def test_the_charts_render_in_headless_chromium_without_errors(tmp_path, study):
    sync_api = pytest.importorskip("playwright.sync_api", reason="pip install playwright")
    assert len(study["learning_curves"]["rows"]) == 1
    (tmp_path / "report.html").write_text(render_html(study))
    with sync_api.sync_playwright() as playwright:
        try:
            browser = playwright.chromium.launch(executable_path=os.environ.get("ARB_CHROMIUM") or CHROMIUM,
                                                 args=BROWSER_ARGS)
        except sync_api.Error as exc:
            pytest.skip(f"no headless Chromium: {str(exc).splitlines()[0]}")
        page = browser.new_page(viewport={"width": 1400, "height": 1000})
        errors = []
        page.on("console", lambda msg: errors.append(msg.text) if msg.type == "error" else None)
        page.on("pageerror", lambda exc: errors.append(str(exc)))
        page.goto((tmp_path / "report.html").as_uri())
        page.wait_for_load_state("load")
        panels = {(c["task"], c["model"], tuple(c["others"].items())) for c in study["demos"]["curves"]}
        assert page.locator('svg.curve-chart[data-kind="demos"]').count() == len(panels) == 12
        assert page.locator('svg.curve-chart[data-kind="depth"]').count() == 6  # per task and model
        assert page.locator('svg.curve-chart[data-kind="learning"]').count() == 1
        points = sum(len(c["points"]) for c in study["demos"]["curves"])
        assert page.locator('svg.curve-chart[data-kind="demos"] circle.point').count() == points
        assert page.locator('svg.curve-chart[data-kind="demos"] path.error-bar').count() == points
        assert page.locator('svg.curve-chart[data-kind="demos"] line.reference').count() == 12  # the baselines
        box = page.locator("svg.curve-chart").first.bounding_box()
        assert box["width"] > 500 and box["height"] > 200
        assert errors == []
        page.screenshot(path=os.environ.get("ARB_AXIS_SCREENSHOT") or str(tmp_path / "axes.png"), full_page=True)
        browser.close()
