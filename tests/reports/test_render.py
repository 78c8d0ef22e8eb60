"""Markdown, terminal and HTML renderings of a summary, and the files a run gets."""
import json
import os
import shutil
from html.parser import HTMLParser

import pytest

from pytest_arbitrage.run_folder import write_run_reports
from pytest_arbitrage.reports import (
    StatsOptions, build_summary, render_terminal,
)
from pytest_arbitrage.reports.html import render_html
from pytest_arbitrage.reports.markdown import render_markdown
from pytest_arbitrage.reports.synthetic import synthetic_run

LOCAL = "llamacpp/smollm2-135m"
CHROMIUM = shutil.which("chromium") or shutil.which("chromium-browser") or shutil.which("google-chrome")


def lifted(task, model, optimizer):
    return 0.85 if model == LOCAL and optimizer != "none" else (0.3 if model == LOCAL else 0.6)


@pytest.fixture(scope="module")
def summary():
    records, cells = synthetic_run(lifted, n=80, optimizers=("none", "bootstrap", "mipro"),
                                   continuous=("qa",))
    old = [dict(r, score=1.0, correct=True) for r in records]
    return build_summary(records, cells, meta={"run_id": "run-<1>"},
                         options=StatsOptions(baseline_records=old, baseline_run="old"))


READING_ORDER = ("## Headline", "## Gate: this run vs old", "## Arbitrage scoreboard", "## Optimization delta",
                 "## Optimization lift by model", "## Rank inversions", "## Local vs api: every other pair",
                 "## Cells", "## Methods")


def test_markdown_has_every_section_in_reading_order(summary):
    text = render_markdown(summary)
    positions = [text.index(title) for title in READING_ORDER]
    assert positions == sorted(positions), "headline, gate, scoreboard and deltas first; the cells last"
    assert "significant of" not in text.split("## Headline")[0]
    headline = text.split("## Headline")[1].split("## Gate")[0]
    assert "4 of 8 deltas tested significant (4 better, 0 worse)" in headline
    assert "8 inversions claimed of 8 local-vs-api pairs tested" in headline
    assert "local significantly beats the reference api on 2 of 2 tasks" in headline
    assert "0 pairs untestable" in headline
    assert "gate: 12 regressions, 0 inconclusive, 0 untestable of 12 cells" in headline
    assert "| math " in text and "★" in text and "McNemar" in text
    assert text.count("significantly worse than the saved run old") == 12  # every cell dropped from 100%


def test_terminal_shows_the_key_tables(summary):
    text = render_terminal(summary)
    assert "Optimization delta" in text and "Arbitrage scoreboard" in text
    assert "significantly better" in text and "REGRESSION" in text
    first = summary["deltas"][0]
    assert f"{first['delta'] * 100:+.1f}pp" in text


def test_write_run_reports_writes_three_files(tmp_path, summary):
    write_run_reports(tmp_path, summary)
    assert json.loads((tmp_path / "summary.json").read_text()) == json.loads(
        json.dumps(summary))
    assert (tmp_path / "report.md").read_text().startswith("# pytest-arbitrage report run-<1>")
    assert not list(tmp_path.glob("*.tmp"))


class TagCounter(HTMLParser):
    def __init__(self):
        super().__init__()
        self.tags, self.stack, self.external = [], [], []

    def handle_starttag(self, tag, attrs):
        attrs = dict(attrs)
        self.tags.append((tag, attrs.get("class", "")))
        if tag in ("script", "link", "img") and (attrs.get("src") or attrs.get("href")):
            self.external.append(tag)


def test_html_is_self_contained_and_escapes_text(summary):
    html = render_html(summary)
    parser = TagCounter()
    parser.feed(html)
    assert parser.external == [] and "http://" not in html.replace("http://www.w3.org", "")
    assert "run-&lt;1&gt;" in html and "run-<1>" not in html
    heatmaps = [t for t in parser.tags if t == ("table", "heatmap")]
    assert len(heatmaps) == 2  # bootstrap and mipro
    assert sum(1 for t in parser.tags if t == ("svg", "lift-chart")) == 2
    h2 = [line.split("</h2>")[0] for line in html.split("<h2>")[1:]]
    assert h2[:4] == ["Headline", "Gate: this run vs old (paired, this − saved)",
                      "Arbitrage scoreboard (local − reference api)", "Optimization delta heatmap"]
    assert h2[-2:] == ["Cells", "Methods"]


class HeatCells(HTMLParser):
    def __init__(self):
        super().__init__()
        self.cells = []

    def handle_starttag(self, tag, attrs):
        attrs = dict(attrs)
        if tag == "td" and "delta" in attrs.get("class", "") and "empty" not in attrs.get("class", ""):
            self.cells.append(attrs)


def rgb(style: str) -> tuple[int, ...]:
    return tuple(int(v) for v in style.split("rgb(")[1].split(")")[0].split(","))


def test_heatmap_colour_is_saturated_only_when_significant(summary):
    parser = HeatCells()
    parser.feed(render_html(summary))
    by_kind = {}
    for cell in parser.cells:
        by_kind.setdefault(cell["class"], []).append(cell)
    verdicts = [r["verdict"] for r in summary["deltas"]]
    assert len(by_kind["delta sig"]) == verdicts.count("significantly better") + verdicts.count("significantly worse")
    assert len(by_kind["delta nd"]) == verdicts.count("not distinguishable") > 0
    for cell in by_kind["delta nd"]:  # at most a quarter of the way from white to the full colour
        assert min(rgb(cell["style"])) >= 255 - 0.25 * (255 - 26) - 1, cell
        assert cell["title"].startswith("not distinguishable: MDE ")
    for cell in by_kind["delta sig"]:  # these deltas are above 30pp: the full colour
        assert rgb(cell["style"]) == (26, 150, 65)


def test_an_untestable_delta_is_grey_and_says_why():
    records, cells = synthetic_run(lifted, n=4, tasks=("math",))
    parser = HeatCells()
    parser.feed(render_html(build_summary(records, cells, meta={}, options=StatsOptions())))
    assert {c["class"] for c in parser.cells} == {"delta untestable"}
    assert all("too few pairs: n=4," in c["title"] for c in parser.cells)


BROWSER_ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking",
                "--disable-component-update", "--no-first-run", "--disable-sync"]


@pytest.fixture(scope="module")
def browser():
    """System Chromium (or $ARB_CHROMIUM); else Playwright's own build if installed."""
    sync_api = pytest.importorskip("playwright.sync_api", reason="pip install playwright")
    executable = os.environ.get("ARB_CHROMIUM") or CHROMIUM
    with sync_api.sync_playwright() as playwright:
        try:
            browser = playwright.chromium.launch(executable_path=executable, args=BROWSER_ARGS)
        except sync_api.Error as exc:
            pytest.skip(f"no headless Chromium (apt-get install chromium, or set ARB_CHROMIUM): "
                        f"{str(exc).splitlines()[0]}")
        yield browser
        browser.close()


def test_html_renders_in_headless_chromium_without_errors(tmp_path, summary, browser):
    write_run_reports(tmp_path, summary)
    page = browser.new_page()
    errors = []
    page.on("console", lambda msg: errors.append(msg.text) if msg.type == "error" else None)
    page.on("pageerror", lambda exc: errors.append(str(exc)))
    page.goto((tmp_path / "report.html").as_uri())
    page.wait_for_load_state("load")
    significant = sum(r["significant"] for r in summary["deltas"])
    assert page.locator("table.heatmap td.delta.sig").count() == significant > 0
    hatched = page.locator("table.heatmap td.delta.nd").first
    assert "repeating-linear-gradient" in hatched.evaluate("e => getComputedStyle(e).backgroundImage")
    assert page.locator("h2").first.inner_text() == "Headline"
    assert page.locator("svg.lift-chart rect.bar").count() == len(summary["lift_by_model"])
    box = page.locator("svg.lift-chart").first.bounding_box()
    assert box["width"] > 300 and box["height"] > 20
    first_cell = page.locator("#table-cells tbody tr td").first
    before = first_cell.inner_text()
    page.locator("#table-cells th").first.click()
    page.locator("#table-cells th").first.click()  # second click sorts descending
    assert first_cell.inner_text() != before
    assert errors == []
    page.set_viewport_size({"width": 1400, "height": 1000})
    page.screenshot(path=str(tmp_path / "report.png"), full_page=True)  # for a person to look at
    page.close()


def test_empty_and_baseline_only_runs_render(tmp_path):
    records, cells = synthetic_run(lifted, n=5, optimizers=("none",))
    for recs, infos in (([], []), (records, cells)):
        summary = build_summary(recs, infos, meta={}, options=StatsOptions())
        write_run_reports(tmp_path, summary)
        assert "(no optimized cells)" in (tmp_path / "report.html").read_text()
        assert "## Cells" in (tmp_path / "report.md").read_text()
        assert "Cells" in render_terminal(summary)


def test_every_report_says_where_each_cells_data_came_from(summary):
    cells = [dict(c, data_origin="hub:PolyAI/banking77@refs/convert/parquet (commit abc)") for c in summary["cells"]]
    with_origin = dict(summary, cells=cells)
    for text in (render_markdown(with_origin), render_terminal(with_origin), render_html(with_origin)):
        assert "data hub:PolyAI/banking77@refs/convert/parquet (commit abc): " in text


# -- every rendered number against an independent computation (statsmodels, scipy) ------------

from math import sqrt  # noqa: E402

import numpy as np  # noqa: E402
from scipy.stats import norm, permutation_test  # noqa: E402
from statsmodels.stats.contingency_tables import mcnemar  # noqa: E402
from statsmodels.stats.multitest import multipletests  # noqa: E402
from statsmodels.stats.proportion import proportion_confint  # noqa: E402

MODELS4 = {LOCAL: "local", "llamacpp/qwen": "local", "openai/gpt-4o-mini": "api", "openai/o3": "api"}


def four_models(task, model, optimizer):
    return {"llamacpp/qwen": 0.65, "openai/o3": 0.7}.get(model, lifted(task, model, optimizer))


@pytest.fixture(scope="module")
def checked():
    """0/1 math (n=60), continuous qa small enough for the exact sign-flip test (n=12), tiny (n=4)."""
    records, cells = [], []
    for task, n, continuous in (("math", 60, ()), ("qa", 12, ("qa",)), ("tiny", 4, ())):
        r, c = synthetic_run(four_models, n=n, tasks=(task,), models=MODELS4, continuous=continuous, seed=n)
        records, cells = records + r, cells + c
    summary = build_summary(records, cells, meta={}, options=StatsOptions())
    scores = {}
    for r in records:
        scores.setdefault((r["task"], r["model"], r["optimizer"]), {})[r["example_id"]] = r["score"]
    return scores, render_markdown(summary)


def md_rows(text: str, title: str) -> list[dict]:
    """The rows of the markdown table under `## title...`, as {header: text}."""
    block = text.split(f"## {title}")[1].split("\n## ")[0]
    lines = [line for line in block.splitlines() if line.startswith("|")]
    split = lambda line: [c.strip() for c in line.strip("|").split("|")]  # noqa: E731
    headers = split(lines[0])
    return [dict(zip(headers, split(line))) for line in lines[2:]]


def pct(x):
    return f"{x * 100:.1f}%"


def pp(x):
    return f"{x * 100:+.1f}pp"


def pval(p):
    return "<0.0001" if p < 1e-4 else f"{p:.4f}"


def wilson(k, n):
    return proportion_confint(k, n, alpha=0.05, method="wilson")


def paired(ref: dict, new: dict) -> dict:
    """Delta, interval, p and MDE of new - ref, computed here from the scores alone."""
    ids = sorted(ref.keys() & new.keys())
    r, x = np.array([ref[i] for i in ids]), np.array([new[i] for i in ids])
    d = x - r
    out = {"n": len(ids), "ref": r.mean(), "new": x.mean(), "delta": d.mean(),
           "mde": min(1.0, (norm.ppf(0.975) + norm.ppf(0.8)) * sqrt((np.sum(d**2) + 1) / (d.size + 2) / d.size))}
    if set(np.unique(np.concatenate([r, x]))) <= {0.0, 1.0}:
        b, c = int(np.sum((x == 1) & (r == 0))), int(np.sum((x == 0) & (r == 1)))
        a, dd = int(np.sum((x == 1) & (r == 1))), int(np.sum((x == 0) & (r == 0)))
        out["p"] = mcnemar([[a, b], [c, dd]], exact=True).pvalue
        out["ci"] = newcombe(a, b, c, dd)
    else:
        nz = d[d != 0]
        out["p"] = 1.0 if nz.size == 0 else permutation_test(
            (nz, np.zeros_like(nz)), lambda u, v: np.mean(u - v), permutation_type="samples",
            n_resamples=np.inf).pvalue
        out["ci"] = None  # a seeded bootstrap: checked for shape only
    out["testable"] = len(ids) > 0 and 2.0 ** (1 - len(ids)) < 0.05
    return out


def newcombe(a, b, c, d):
    """Newcombe (1998) method 10 from Wilson limits, for p_new - p_ref of a paired 2x2 table."""
    n = a + b + c + d
    p1, p2 = (a + b) / n, (a + c) / n
    (l1, u1), (l2, u2) = wilson(a + b, n), wilson(a + c, n)
    den = (a + b) * (c + d) * (a + c) * (b + d)
    phi = (a * d - b * c) / sqrt(den) if den else 0.0
    lo = sqrt(max(0.0, (p1 - l1) ** 2 - 2 * phi * (p1 - l1) * (u2 - p2) + (u2 - p2) ** 2))
    hi = sqrt(max(0.0, (u1 - p1) ** 2 - 2 * phi * (u1 - p1) * (p2 - l2) + (p2 - l2) ** 2))
    return max(-1.0, p1 - p2 - lo), min(1.0, p1 - p2 + hi)


def holm(values: list[dict]) -> list:
    tested = [v for v in values if v["testable"]]
    adjusted = iter(multipletests([v["p"] for v in tested], method="holm")[1]) if tested else iter(())
    return [next(adjusted) if v["testable"] else None for v in values]


def verdict(v, p_adj) -> str:
    if p_adj is None:
        return "untestable"
    if p_adj < 0.05:
        return "significantly better ★" if v["delta"] > 0 else "significantly worse ★"
    return f"not distinguishable: MDE {v['mde'] * 100:.1f}pp at n={v['n']}"


def assert_comparison(row: dict, v: dict, p_adj, *, p_adj_header: str):
    assert row["n"] == str(v["n"])
    assert row["delta"] == pp(v["delta"]) and row["p"] == pval(v["p"])
    assert row[p_adj_header] == ("—" if p_adj is None else pval(p_adj))
    if v["ci"] is not None:
        assert row["95% CI"] == f"[{v['ci'][0] * 100:+.1f}, {v['ci'][1] * 100:+.1f}]"
    assert row["verdict"].startswith(verdict(v, p_adj)), (row["verdict"], verdict(v, p_adj))


def test_every_number_in_the_cells_table(checked):
    scores, text = checked
    for row in md_rows(text, "Cells"):
        task, rest = row["cell"].split("-", 1)
        model, optimizer = rest.rsplit("-", 1)
        values = list(scores[(task, model, optimizer)].values())
        assert (row["n"], row["mean"]) == (str(len(values)), pct(np.mean(values)))
        if task != "qa":
            low, high = wilson(int(sum(values)), len(values))
            assert row["95% CI"] == f"[{low * 100:.1f}, {high * 100:.1f}]"


def test_every_number_in_the_delta_table(checked):
    scores, text = checked
    rows = md_rows(text, "Optimization delta")
    values = [paired(scores[(t, m, "none")], scores[(t, m, o)]) for t, m, o in
              [(r["task"], r["model"], r["optimizer"]) for r in rows]]
    adjusted = holm(values)
    header = next(h for h in rows[0] if h.startswith("p adj in deltas ("))
    assert header == f"p adj in deltas ({sum(v['testable'] for v in values)} tests, holm)"
    for row, v, p_adj in zip(rows, values, adjusted):
        assert (row["baseline"], row["optimized"], row["MDE"]) == (pct(v["ref"]), pct(v["new"]), pp(v["mde"])[1:])
        assert_comparison(row, v, p_adj, p_adj_header=header)


def model_of(text: str) -> tuple[str, str]:
    """`model (optimizer): 81.2%` or `model (optimizer)` -> (model, optimizer)."""
    model, optimizer = text.split(": ")[0].rsplit(" (", 1)
    return model, optimizer.rstrip(")")


def test_every_number_of_the_inversions_and_the_scoreboard(checked):
    scores, text = checked
    claimed = [dict(r, verdict="significantly better ★") for r in md_rows(text, "Rank inversions")]
    rows = claimed + md_rows(text, "Local vs api: every other pair")
    assert claimed
    pairs = [(r["task"], model_of(r["local"]), model_of(r["api"])) for r in rows]
    values = [paired(scores[(t, *api)], scores[(t, *local)]) for t, local, api in pairs]
    family = dict(zip(pairs, zip(values, holm(values))))
    header = next(h for h in rows[0] if h.startswith("p adj in local vs api ("))
    assert header == f"p adj in local vs api ({sum(v['testable'] for v in values)} tests, holm)"
    for row, v, p_adj in zip(rows, values, holm(values)):
        assert (row["local score"], row["api score"]) == (pct(v["new"]), pct(v["ref"]))
        assert_comparison(row, v, p_adj, p_adj_header=header)
    board = md_rows(text, "Arbitrage scoreboard")
    assert len(board) == 6  # 3 tasks x 2 local candidates, against o3 (the best api baseline)
    for row in board:
        reference, reference_mean = row["reference api (baseline)"].split(": ")
        key = (row["task"], model_of(row["local candidate"]), (reference, "none"))
        v, p_adj = family[key]  # the very pair of the inversion family: the same test, the same verdict
        assert (reference_mean, row["local candidate"].split(": ")[1]) == (pct(v["ref"]), pct(v["new"]))
        assert_comparison(row, v, p_adj, p_adj_header=header)


def test_the_headline_counts_what_the_tables_show(checked):
    _, text = checked
    [deltas] = [r for r in md_rows(text, "Headline") if r["question"].startswith("deltas")]
    verdicts = [r["verdict"] for r in md_rows(text, "Optimization delta")]
    better = sum(v.startswith("significantly better") for v in verdicts)
    untestable = sum(v.startswith("untestable") for v in verdicts)
    assert (deltas["rows"], deltas["significantly better"], deltas["untestable"]) == (
        str(len(verdicts)), str(better), str(untestable))
    assert f"{better} of {len(verdicts) - untestable} deltas tested significant" in text
