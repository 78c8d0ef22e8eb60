"""Inline charts for report.html: delta heatmaps (HTML tables) and lift bars (SVG)."""
from __future__ import annotations

from html import escape

from pytest_arbitrage.reports.tables import MISSING, interval_pp, pp, pval, task_label, verdict_text
from pytest_arbitrage.reports.verdicts import UNTESTABLE

GREEN, RED, WHITE = (26, 150, 65), (215, 48, 39), (255, 255, 255)
FULL_SCALE = 0.3  # a delta of 30pp gets the full colour
PALE = 0.25  # a delta that is not significant gets at most a quarter of the colour
SIGNIFICANT_MIN = 0.45  # a significant delta, however small, gets at least this much


def colour(delta: float, *, significant: bool | None = None) -> str:
    """Green or red by the size of the delta: at least SIGNIFICANT_MIN of the colour when
    significant, at most PALE when not, the plain scale where no test is claimed (None)."""
    target = GREEN if delta >= 0 else RED
    t = min(1.0, abs(delta) / FULL_SCALE)
    if significant is not None:
        t = max(SIGNIFICANT_MIN, t) if significant else t * PALE
    r, g, b = (round(w + (c - w) * t) for w, c in zip(WHITE, target))
    return f"rgb({r},{g},{b})"


def _models(rows: list[dict]) -> list[tuple[str, str]]:
    """(model, tier), local models first, as in the study's heatmap."""
    return sorted({(r["model"], r["tier"]) for r in rows}, key=lambda m: (m[1] != "local", m[0]))


def heatmaps(summary: dict) -> str:
    """One task x model table of deltas per optimizer; ★ marks significant cells."""
    rows = summary["deltas"]
    title = "<h2>Optimization delta heatmap</h2>"
    if not rows:
        return title + "<p>(no optimized cells)</p>"
    parts = []
    for optimizer in sorted({r["optimizer"] for r in rows}):
        parts.append(_heatmap(optimizer, [r for r in rows if r["optimizer"] == optimizer]))
    legend = (f'<p class="note legend"><span style="background:{colour(0.2, significant=True)}"></span>saturated, ★: '
              f'significant after correction<span class="nd-key" style="background-color:'
              f'{colour(0.2, significant=False)}"></span>pale, hatched: not distinguishable'
              '<span style="background:#eceff1"></span>grey, italic: untestable</p>')
    note = "Hover a cell for its verdict, interval, p-values and family."
    return title + legend + "".join(parts) + f'<p class="note">{note}</p>'


def _heatmap(optimizer: str, rows: list[dict]) -> str:
    models = _models(rows)
    tasks = sorted({task_label(r) for r in rows})
    lookup = {(task_label(r), r["model"]): r for r in rows}
    head = "".join(f"<th>{escape(m)}<br><small>{escape(t)}</small></th>" for m, t in models)
    body = "".join(
        f"<tr><th>{escape(task)}</th>"
        + "".join(_heat_cell(lookup.get((task, m))) for m, _ in models) + "</tr>"
        for task in tasks
    )
    return (f'<h3>{escape(optimizer)}</h3><table class="heatmap" '
            f'data-optimizer="{escape(optimizer)}"><thead><tr><th>task</th>{head}</tr></thead>'
            f"<tbody>{body}</tbody></table>")


def _heat_cell(row: dict | None) -> str:
    if row is None:
        return '<td class="delta empty">—</td>'
    title = (f"{verdict_text(row)}; n={row['n_paired']} delta {pp(row['delta'])} "
             f"CI {interval_pp(row['ci_low'], row['ci_high'])} p={pval(row['p'])} p_adj={pval(row['p_adj'])}"
             f" in {row['family']}")
    text = MISSING if row["delta"] is None else f"{row['delta'] * 100:+.1f}"
    if row["verdict"] == UNTESTABLE:
        return f'<td class="delta untestable" title="{escape(title)}">{text}</td>'
    kind, mark = ("sig", "★") if row["significant"] else ("nd", "")
    return (f'<td class="delta {kind}" style="background-color:'
            f'{colour(row["delta"], significant=row["significant"])}" title="{escape(title)}">{text}{mark}</td>')


def lift_charts(summary: dict) -> str:
    """Horizontal bars of the average delta per model, one SVG per optimizer."""
    lift = summary["lift_by_model"]
    title = "<h2>Optimization lift by model</h2>"
    if not lift:
        return title + "<p>(no optimized cells)</p>"
    return title + "".join(_lift_svg(opt, [r for r in lift if r["optimizer"] == opt])
                   for opt in sorted({r["optimizer"] for r in lift}))


def _lift_svg(optimizer: str, rows: list[dict]) -> str:
    label_w, bar_w, row_h, text_w = 200, 360, 24, 150
    scale = max([abs(r["avg_delta"]) for r in rows] + [0.05])
    zero = label_w + bar_w / 2
    bars = []
    for i, r in enumerate(rows):
        y = 8 + i * row_h
        length = abs(r["avg_delta"]) / scale * bar_w / 2
        x = zero if r["avg_delta"] >= 0 else zero - length
        fill = colour(max(-1.0, min(1.0, r["avg_delta"] / scale * FULL_SCALE)))
        bars.append(
            f'<text x="{label_w - 6}" y="{y + 15}" text-anchor="end">{escape(r["model"])}</text>'
            f'<rect class="bar" x="{x:.1f}" y="{y}" width="{max(length, 1):.1f}" height="18" '
            f'fill="{fill}" stroke="#555"><title>{escape(r["model"])}: '
            f'{pp(r["avg_delta"])}</title></rect>'
            f'<text x="{label_w + bar_w + 8}" y="{y + 15}">{pp(r["avg_delta"])} '
            f'({r["improved_significant"]}/{r["n_tasks"]} ★)</text>'
        )
    height = 16 + len(rows) * row_h
    width = label_w + bar_w + text_w
    return (f'<h3>{escape(optimizer)}</h3><svg class="lift-chart" data-optimizer="{escape(optimizer)}" '
            f'xmlns="http://www.w3.org/2000/svg" width="{width}" height="{height}" role="img">'
            f'<line x1="{zero}" y1="0" x2="{zero}" y2="{height}" stroke="#333"/>'
            f'{"".join(bars)}</svg>')
