"""report.html: one self-contained file (inline CSS, SVG and a small script; no network)."""
from __future__ import annotations

from html import escape

from pytest_arbitrage.reports.sections import SECTIONS
from pytest_arbitrage.reports.tables import Table

CSS = """
body{font:14px/1.45 system-ui,sans-serif;margin:2rem;color:#1d1d1f}p,ul{max-width:1200px}
h1{font-size:1.5rem}h2{font-size:1.15rem;margin-top:2rem;border-bottom:1px solid #ddd}
table{border-collapse:collapse;margin:.5rem 0}
th,td{border:1px solid #ddd;padding:3px 8px;text-align:left;white-space:nowrap}
th{background:#f4f4f6;cursor:pointer}
section{overflow-x:auto}
table.heatmap td.delta{text-align:center;min-width:4.5rem;font-variant-numeric:tabular-nums}
table.heatmap td.delta.sig{font-weight:600}
table.heatmap td.delta.nd,.legend span.nd-key{background-image:repeating-linear-gradient(45deg,rgba(255,255,255,.6) 0 3px,
transparent 3px 7px);color:#444}
table.heatmap td.delta.untestable{background:#eceff1;color:#78909c;font-style:italic}
.legend span{display:inline-block;width:2.2em;height:1em;border:1px solid #ccc;vertical-align:middle;
margin:0 .3em 0 1.2em}.legend span:first-child{margin-left:0}
td.empty{color:#999;background:#f8f8f8}
.note,.methods{color:#555;font-size:.9em}
svg.lift-chart text{font:12px system-ui,sans-serif}
"""

SCRIPT = """
document.querySelectorAll("table.data th").forEach(function (th, i) {
  th.addEventListener("click", function () {
    var tbody = th.closest("table").tBodies[0];
    var rows = Array.prototype.slice.call(tbody.rows);
    var asc = th.dataset.asc !== "1";
    th.dataset.asc = asc ? "1" : "0";
    rows.sort(function (a, b) {
      var x = a.cells[th.cellIndex].textContent, y = b.cells[th.cellIndex].textContent;
      var nx = parseFloat(x), ny = parseFloat(y);
      var c = (!isNaN(nx) && !isNaN(ny)) ? nx - ny : x.localeCompare(y);
      return asc ? c : -c;
    });
    rows.forEach(function (r) { tbody.appendChild(r); });
  });
});
"""


def html_table(table: Table) -> str:
    if not table.rows:
        return "<p>(none)</p>"
    head = "".join(f"<th>{escape(h)}</th>" for h in table.headers)
    body = "".join(
        "<tr>" + "".join(f"<td>{escape(v)}</td>" for v in row) + "</tr>" for row in table.rows
    )
    return f'<table class="data" id="table-{escape(table.key)}"><thead><tr>{head}</tr></thead>' \
           f"<tbody>{body}</tbody></table>"


def _section(table: Table) -> str:
    note = f'<p class="note">{escape(table.note)}</p>' if table.note else ""
    extra = "".join(f"<li>{escape(x)}</li>" for x in table.extra)
    extra = f'<ul class="note">{extra}</ul>' if extra else ""
    return f"<section><h2>{escape(table.title)}</h2>{html_table(table)}{note}{extra}</section>"


def _sections(summary: dict) -> list[str]:
    """Each section's chart, if it has one, then its tables, in the sections' order."""
    parts = []
    for section in SECTIONS:
        if section.chart is not None and (chart := section.chart(summary)):  # "" when the run lacks it
            parts.append(f'<section id="chart-{escape(section.key)}">{chart}</section>')
        parts += [_section(t) for t in section.tables(summary)]
    return parts


def render_html(summary: dict) -> str:
    meta = summary.get("meta") or {}
    run = escape(str(meta.get("run_id", "")))
    methods = "".join(f"<li>{escape(t)}</li>" for t in summary["methods"].values())
    body = [f"<h1>pytest-arbitrage report {run}</h1>"] + _sections(summary) + [
        f'<section><h2>Methods</h2><ul class="methods">{methods}</ul></section>'
    ]
    return (
        '<!DOCTYPE html>\n<html lang="en"><head><meta charset="utf-8">'
        f"<title>pytest-arbitrage {run}</title><style>{CSS}</style></head>"
        f"<body>{''.join(body)}<script>{SCRIPT}</script></body></html>\n"
    )
