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
    assert all("too few pairs: 4 shared examples" in c["title"] for c in parser.cells)


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
