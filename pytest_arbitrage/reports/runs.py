"""Run folders: find one (`latest` or a path), load it, write its reports."""
from __future__ import annotations

import json
from pathlib import Path

from pytest_arbitrage.records import RESULTS_FILE, read_cells, read_records

SUMMARY_FILE = "summary.json"
LATEST = "latest"


class RunNotFound(ValueError):
    """A run argument that does not name a run folder."""


def resolve_run(spec: str | Path, report_dir: Path = Path("reports")) -> Path:
    """A run folder from a path, or from `latest` (a symlink or a file naming the run)."""
    path = Path(report_dir) / LATEST if str(spec) == LATEST else Path(spec)
    if path.is_file() and path.name == LATEST:
        path = path.parent / path.read_text(encoding="utf-8").strip()
    if not (path / RESULTS_FILE).is_file():
        shown = f"{spec!s} ({path})" if str(spec) != str(path) else str(path)
        raise RunNotFound(
            f"{shown} is not a run folder: it must be a folder containing "
            f"{RESULTS_FILE}, or `{LATEST}` under the report directory ({report_dir})"
        )
    return path.resolve()


def load_meta(run_dir: Path) -> dict:
    """The meta of a run's old summary.json, or {} when there is none or it is unreadable."""
    try:
        return json.loads((Path(run_dir) / SUMMARY_FILE).read_text(encoding="utf-8"))["meta"]
    except (OSError, ValueError, KeyError, TypeError):
        return {}


def load_run(run_dir: Path) -> tuple[list[dict], list[dict], dict]:
    """(records, cell infos, meta) of a saved run."""
    return read_records(run_dir), read_cells(run_dir), load_meta(run_dir)


def write_run_reports(run_dir: Path, summary: dict) -> None:
    """Write summary.json, report.md and report.html into run_dir, redacted.

    Redacting the summary before rendering covers all three files, whatever escaping
    (JSON, HTML) the renderers apply to a secret.
    """
    from pytest_arbitrage.redact import redact_json
    from pytest_arbitrage.reports.html import render_html
    from pytest_arbitrage.reports.markdown import render_markdown

    summary = redact_json(summary)
    run_dir = Path(run_dir)
    run_dir.mkdir(parents=True, exist_ok=True)
    _write(run_dir / SUMMARY_FILE, json.dumps(summary, indent=2, sort_keys=True, allow_nan=False))
    _write(run_dir / "report.md", render_markdown(summary))
    _write(run_dir / "report.html", render_html(summary))


def _write(path: Path, text: str) -> None:
    """Write through a temporary file so a crash never leaves half a report."""
    tmp = path.with_name(path.name + ".tmp")
    tmp.write_text(text, encoding="utf-8")
    tmp.replace(path)
