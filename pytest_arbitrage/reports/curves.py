"""Curves: score against an axis value (demo count, depth) or an optimizer's step, as data,
as a table and as an inline SVG line chart (report.html only; no script, no network).

A curve's points are cells: each with its mean and interval over all its examples, and its
comparison with the curve's reference point (k=0, depth 1) from the axis's family.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from html import escape

from pytest_arbitrage.reports.axis_compare import grouped, verdict_fields
from pytest_arbitrage.reports.tables import (
    MISSING, Table, axes_label, interval_pct, interval_pp, p_adj_header, pct, pp, pval, verdict_text,
)

PALETTE = ("#1f77b4", "#d62728", "#2ca02c", "#9467bd", "#ff7f0e", "#8c564b", "#e377c2", "#17becf")
WIDTH, HEIGHT, LEFT, RIGHT, TOP, BOTTOM, LEGEND = 620, 250, 46, 14, 30, 40, 170


def curves(rows: list[dict], *, baselines: dict | None = None) -> list[dict]:
    """One curve per group of `axis_compare` rows: the reference point, then each compared value;
    `baselines` (by `axis_compare.group_label`): the baseline cell's numbers drawn as a band."""
    out = []
    for label, members in grouped(rows).items():
        first = members[0]
        points = [_point(first["ref_value"], first["ref_cell"], None)] if first["ref_cell"]["id"] else []
        points += [_point(r["value"], r["new_cell"], r) for r in members]
        group = {k: first[k] for k in ("task", "model", "tier", "optimizer", "others") if k in first}
        out.append(group | {"axis": first["axis"], "reference": first["ref_value"], "points": points,
                            "baseline": (baselines or {}).get(label)})
    return out


def _point(value, cell: dict, row: dict | None) -> dict:
    return {"value": value} | cell | {"vs_reference": verdict_fields(row)}


def curve_table(key: str, title: str, series: list[dict], *, value_name: str, note: str = "") -> Table:
    """Every point of every curve, with its comparison against the curve's reference point."""
    compared = [p["vs_reference"] for s in series for p in s["points"] if p["vs_reference"]]
    headers = ["task", "model", "optimizer", "other axes", value_name, "n", "mean", "95% CI",
               "calls/ex", "vs reference", "95% CI (delta)", "p", p_adj_header(compared), "verdict"]
    rows = []
    for s in series:
        for p in s["points"]:
            v = p["vs_reference"]
            rows.append([s["task"], s["model"], s.get("optimizer") or MISSING, axes_label(s["others"]) or MISSING,
                         str(p["value"]), _text(p["n"]), pct(p["mean"]), interval_pct(p["ci_low"], p["ci_high"]),
                          _calls(p["calls_per_example"])]
                        + (["reference"] + [MISSING] * 4 if v is None else [
                            pp(v["delta"]), interval_pp(v["ci_low"], v["ci_high"]), pval(v["p"]),
                            pval(v["p_adj"]), verdict_text(v)]))
    return Table(key, title, headers, rows, note=note)


def _text(value) -> str:
    return MISSING if value is None else str(value)


def _calls(value: float | None) -> str:
    return MISSING if value is None else f"{value:.3g}"


# -- SVG ---------------------------------------------------------------------------------------

@dataclass
class Point:
    x: float
    y: float | None
    low: float | None = None
    high: float | None = None
    filled: bool = True  # filled: significant against the reference (or a plain point)
    tip: str = ""


@dataclass
class Line:
    name: str
    points: list[Point]
    dashed: bool = False


@dataclass
class Chart:
    title: str
    x_label: str
    lines: list[Line]
    kind: str  # the svg's data-kind, e.g. "demos"
    band: tuple[str, float, float | None, float | None] | None = None  # (label, mean, low, high)
    x_ticks: list[float] = field(default_factory=list)


def line_chart(chart: Chart) -> str:
    """Score (0-100%) against x: a line per series, error bars, an optional reference band."""
    xs = sorted({p.x for line in chart.lines for p in line.points})
    lo, hi = (xs[0], xs[-1]) if xs else (0, 1)
    plot_w, plot_h = WIDTH - LEFT - RIGHT - LEGEND, HEIGHT - TOP - BOTTOM
    pad = 16  # room for error bars side by side at either end
    x_of = lambda x: LEFT + (plot_w / 2 if hi == lo else pad + (x - lo) / (hi - lo) * (plot_w - 2 * pad))  # noqa: E731
    y_of = lambda y: TOP + (1 - y) * plot_h  # noqa: E731
    parts = [_axes(chart, xs, x_of, y_of, plot_w)]
    if chart.band is not None:
        parts.append(_band(chart.band, y_of, plot_w) + _legend(f"{chart.band[0]} {pct(chart.band[1])}",
                                                               len(chart.lines), "#555", dashed=True))
    dodge = len(xs) > 1 and any(p.low is not None for line in chart.lines for p in line.points)
    for i, line in enumerate(chart.lines):
        shift = (i - (len(chart.lines) - 1) / 2) * 4 if dodge else 0  # error bars side by side, not on top
        parts.append(_line(line, PALETTE[i % len(PALETTE)], lambda x, dx=shift: x_of(x) + dx, y_of))
        parts.append(_legend(line.name, i, PALETTE[i % len(PALETTE)], dashed=line.dashed))
    return (f'<svg class="curve-chart" data-kind="{escape(chart.kind)}" xmlns="http://www.w3.org/2000/svg" '
            f'width="{WIDTH}" height="{HEIGHT}" role="img" font-family="system-ui,sans-serif" font-size="11">'
            f'<title>{escape(chart.title)}</title>'
            f'<text x="{LEFT}" y="16" font-size="12" font-weight="600">{escape(chart.title)}</text>'
            f'{"".join(parts)}</svg>')


def _axes(chart: Chart, xs: list[float], x_of, y_of, plot_w: float) -> str:
    grid = "".join(
        f'<line x1="{LEFT}" y1="{y_of(t):.1f}" x2="{LEFT + plot_w}" y2="{y_of(t):.1f}" stroke="#e3e3e3"/>'
        f'<text x="{LEFT - 5}" y="{y_of(t) + 4:.1f}" text-anchor="end">{t * 100:.0f}%</text>'
        for t in (0, 0.25, 0.5, 0.75, 1.0))
    ticks = chart.x_ticks or (xs if len(xs) <= 12 else _spread(xs))
    labels = "".join(f'<text x="{x_of(x):.1f}" y="{y_of(0) + 15:.1f}" text-anchor="middle">{x:g}</text>'
                     for x in ticks)
    return (grid + labels + f'<text x="{LEFT + plot_w / 2:.1f}" y="{HEIGHT - 6}" text-anchor="middle">'
            f'{escape(chart.x_label)}</text>')


def _spread(xs: list[float], count: int = 6) -> list[float]:
    step = (len(xs) - 1) / (count - 1)
    return [xs[round(i * step)] for i in range(count)]


def _band(band, y_of, plot_w: float) -> str:
    _, mean, low, high = band
    rect = ("" if low is None or high is None else
            f'<rect class="band" x="{LEFT}" y="{y_of(high):.1f}" width="{plot_w}" '
            f'height="{max(y_of(low) - y_of(high), 0.5):.1f}" fill="#888" fill-opacity="0.12"/>')
    return (rect + f'<line class="reference" x1="{LEFT}" y1="{y_of(mean):.1f}" x2="{LEFT + plot_w}" '
            f'y2="{y_of(mean):.1f}" stroke="#555" stroke-dasharray="5 4"/>')


def _line(line: Line, colour: str, x_of, y_of) -> str:
    points = [p for p in line.points if p.y is not None]
    path = " ".join(f"{x_of(p.x):.1f},{y_of(p.y):.1f}" for p in points)
    dash = ' stroke-dasharray="4 3"' if line.dashed else ""
    parts = [f'<polyline points="{path}" fill="none" stroke="{colour}" stroke-width="1.8"{dash}/>']
    for p in points:
        x = x_of(p.x)
        if p.low is not None and p.high is not None:
            parts.append(f'<path class="error-bar" d="M{x:.1f},{y_of(p.low):.1f}V{y_of(p.high):.1f}'
                         f'M{x - 3:.1f},{y_of(p.low):.1f}h6M{x - 3:.1f},{y_of(p.high):.1f}h6" '
                         f'stroke="{colour}" fill="none"/>')
        if not line.dashed:
            fill = colour if p.filled else "#fff"
            parts.append(f'<circle class="point" cx="{x:.1f}" cy="{y_of(p.y):.1f}" r="3.5" fill="{fill}" '
                         f'stroke="{colour}" stroke-width="1.5"><title>{escape(p.tip)}</title></circle>')
    return "".join(parts)


def _legend(name: str, i: int, colour: str, *, dashed: bool) -> str:
    x, y = WIDTH - LEGEND + 4, TOP + 6 + i * 16
    dash = ' stroke-dasharray="4 3"' if dashed else ""
    return (f'<line x1="{x}" y1="{y}" x2="{x + 16}" y2="{y}" stroke="{colour}" stroke-width="2"{dash}/>'
            f'<text x="{x + 21}" y="{y + 4}">{escape(name[:26])}</text>')


def curve_charts(series: list[dict], *, kind: str, x_label: str) -> str:
    """One chart per task, model and baseline cell of `curves` series, a line per optimizer and other
    axes; the axes all its lines share are in its title."""
    panels: dict[tuple, list[dict]] = {}
    for s in series:
        panels.setdefault((s["task"], s["model"], (s.get("baseline") or {}).get("id")), []).append(s)
    charts = []
    for (task, model, _), members in panels.items():
        base = members[0].get("baseline")
        band = None if not base or base["mean"] is None else ("baseline", base["mean"], base["ci_low"], base["ci_high"])
        shared = dict(set.intersection(*(set(s["others"].items()) for s in members)))
        title = f"{task} · {model}" + (f" [{axes_label(shared)}]" if shared else "")
        lines = [_series_line(s, {k: v for k, v in s["others"].items() if k not in shared}) for s in members]
        charts.append(line_chart(Chart(title, x_label, lines, kind, band=band)))
    return panel_row(charts)


def _series_line(s: dict, own: dict) -> Line:
    name = " ".join(x for x in (s.get("optimizer") or "", axes_label(own)) if x)
    return Line(name or s["task"], [Point(
        float(p["value"]), p["mean"], p["ci_low"], p["ci_high"],
        filled=bool(p["vs_reference"] and p["vs_reference"]["significant"]),
        tip=_tip(s, p)) for p in s["points"]])


def _tip(s: dict, p: dict) -> str:
    v = p["vs_reference"]
    text = f"{s['axis']}={p['value']}: {pct(p['mean'])} {interval_pct(p['ci_low'], p['ci_high'])} n={p['n']}"
    return text + (" (reference)" if v is None else f"; vs {s['reference']}: {pp(v['delta'])}, {verdict_text(v)}")


def panel_row(charts: list[str]) -> str:
    return f'<div class="charts" style="display:flex;flex-wrap:wrap;gap:12px">{"".join(charts)}</div>'
