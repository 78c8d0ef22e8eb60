"""Models vs tasks (SPEC 11): how much the optimization delta varies across models within a
task against across tasks within a model (the seed study's "task-specific vs model-specific"
table), the cross-model spread per task, and whether optimization narrows or widens the gap
between the best and the worst model of each task.

Read from the delta family's rows (each optimized cell - its baseline, paired by example),
per optimizer and axes. These are descriptions of point estimates, not tests: the best and
worst models are picked from the data, so no verdict is claimed for a gap.

    across models = mean over tasks of the sample variance of the deltas across models
    across tasks  = mean over models of the sample variance of the deltas across tasks
"""
from __future__ import annotations

from statistics import mean, variance

from pytest_arbitrage.reports.tables import MISSING, Table, axes_label, pp
from pytest_arbitrage.reports.verdicts import BETTER, WORSE


def models_vs_tasks(deltas: list[dict]) -> dict | None:
    """{variance, by_task, gap}; None when the run has fewer than two models."""
    rows = [r for r in deltas if r["delta"] is not None]
    if len({r["model"] for r in rows}) < 2:
        return None
    units = _by(rows, lambda r: (r["optimizer"], tuple(sorted(r["axes"].items()))))
    per_task = [(unit, task, group) for unit, members in units.items()
                for task, group in _by(members, lambda r: r["task"]).items() if len(group) >= 2]
    return {"variance": [v for unit, group in units.items() if (v := _variance(unit, group))],
            "by_task": [_spread(unit, task, group) for unit, task, group in per_task],
            "gap": [_gap(unit, task, group) for unit, task, group in per_task]}


def _by(rows: list[dict], key) -> dict:
    out: dict = {}
    for r in rows:
        out.setdefault(key(r), []).append(r)
    return dict(sorted(out.items(), key=lambda item: str(item[0])))


def _unit(unit: tuple) -> dict:
    optimizer, axes = unit
    return {"optimizer": optimizer, "axes": dict(axes)}


def _variance(unit: tuple, group: list[dict]) -> dict | None:
    by_task, by_model = _deltas_by(group, "task"), _deltas_by(group, "model")
    within_task = [variance(v) for v in by_task.values() if len(v) >= 2]
    within_model = [variance(v) for v in by_model.values() if len(v) >= 2]
    if not within_task or not within_model:
        return None
    across_models, across_tasks = mean(within_task), mean(within_model)
    return _unit(unit) | {
        "n_tasks": len(by_task), "n_models": len(by_model),
        "across_models_within_task": across_models, "across_tasks_within_model": across_tasks,
        "ratio": across_tasks / across_models if across_models else None,
        "reading": _reading(across_tasks, across_models)}


def _deltas_by(group: list[dict], field: str) -> dict[str, list[float]]:
    """{task (or model): its deltas across the models (or tasks)}."""
    return {value: [r["delta"] for r in rows] for value, rows in _by(group, lambda r: r[field]).items()}


def _reading(across_tasks: float, across_models: float) -> str:
    if across_tasks > across_models:
        return "task-specific: the task decides more of the delta than the model"
    if across_tasks < across_models:
        return "model-specific: the model decides more of the delta than the task"
    return "as much by task as by model"


def _spread(unit: tuple, task: str, group: list[dict]) -> dict:
    deltas = [r["delta"] for r in group]
    return _unit(unit) | {
        "task": task, "n_models": len(group), "mean_delta": mean(deltas), "sd_across_models": variance(deltas) ** 0.5,
        "min_delta": min(deltas), "max_delta": max(deltas),
        "better": sum(r["verdict"] == BETTER for r in group), "worse": sum(r["verdict"] == WORSE for r in group)}


def _gap(unit: tuple, task: str, group: list[dict]) -> dict:
    ends = {side: (min(group, key=lambda r: r[side]), max(group, key=lambda r: r[side]))
            for side in ("baseline", "optimized")}
    ranges = {side: hi[side] - lo[side] for side, (lo, hi) in ends.items()}
    change = ranges["optimized"] - ranges["baseline"]
    return _unit(unit) | {
        "task": task, "n_models": len(group),
        "baseline_best": ends["baseline"][1]["model"], "baseline_worst": ends["baseline"][0]["model"],
        "baseline_range": ranges["baseline"],
        "optimized_best": ends["optimized"][1]["model"], "optimized_worst": ends["optimized"][0]["model"],
        "optimized_range": ranges["optimized"], "change": change,
        "direction": "narrows" if change < 0 else ("widens" if change > 0 else "unchanged")}


def variance_table(summary: dict) -> Table | None:
    found = summary.get("models_vs_tasks")
    if not found:
        return None
    headers = ["optimizer", "axes", "tasks", "models", "var across models (within task)",
               "var across tasks (within model)", "tasks / models", "reading"]
    body = [[v["optimizer"], axes_label(v["axes"]) or MISSING, str(v["n_tasks"]), str(v["n_models"]),
             _pp2(v["across_models_within_task"]), _pp2(v["across_tasks_within_model"]),
             MISSING if v["ratio"] is None else f"{v['ratio']:.2f}", v["reading"]] for v in found["variance"]]
    return Table("task_vs_model", "Task-specific vs model-specific (variance of the deltas)", headers, body,
                 note="Variances in pp² of the optimization deltas (sample variance; the mean over tasks, or "
                      "over models, of each one's spread). Descriptive: no test.")


def spread_table(summary: dict) -> Table | None:
    found = summary.get("models_vs_tasks")
    if not found:
        return None
    headers = ["task", "optimizer", "axes", "models", "mean delta", "SD across models", "lowest", "highest",
               "significantly better", "significantly worse"]
    body = [[s["task"], s["optimizer"], axes_label(s["axes"]) or MISSING, str(s["n_models"]), pp(s["mean_delta"]),
             pp(s["sd_across_models"]).lstrip("+"), pp(s["min_delta"]), pp(s["max_delta"]), str(s["better"]),
             str(s["worse"])] for s in found["by_task"]]
    return Table("cross_model_sd", "Cross-model spread of the delta by task", headers, body,
                 note="Low SD: the models agree on this task; high: which model it is matters. "
                      "Significant counts are the delta family's verdicts.")


def gap_table(summary: dict) -> Table | None:
    found = summary.get("models_vs_tasks")
    if not found:
        return None
    headers = ["task", "optimizer", "axes", "models", "baseline range (best − worst)", "optimized range",
               "change", "gap"]
    body = [[g["task"], g["optimizer"], axes_label(g["axes"]) or MISSING, str(g["n_models"]),
             f"{pp(g['baseline_range']).lstrip('+')} ({g['baseline_best']} − {g['baseline_worst']})",
             f"{pp(g['optimized_range']).lstrip('+')} ({g['optimized_best']} − {g['optimized_worst']})",
             pp(g["change"]), g["direction"]] for g in found["gap"]]
    return Table("model_gap", "Gap between the best and worst model: compressed or widened", headers, body,
                 note="Means of each model's baseline and optimized cells on their paired examples. Descriptive: "
                      "the ends are picked from the data, so no verdict is claimed.")


def _pp2(value: float) -> str:
    return f"{value * 10_000:.1f}pp²"

