"""At session end: build the run's summary from its files, write the reports, find regressions."""
from __future__ import annotations

import platform
import subprocess
import time
from importlib import metadata

from pytest_arbitrage.records import read_records
from pytest_arbitrage.redact import redact_json
from pytest_arbitrage.tasks import hub_revisions
from pytest_arbitrage.reports import StatsOptions, build_summary, find_regressions, write_run_reports

VERSIONED_PACKAGES = ("pytest-arbitrage", "dspy", "pytest", "pytest-xdist", "llama-cpp-python", "scipy", "litellm")


def write_summary(session) -> tuple[dict, list[dict]]:
    """`session` is the ControllerSession; returns (summary, regressions)."""
    settings = session.settings
    options = StatsOptions(
        alpha=settings.alpha, correction=settings.correction, prices=session.prices,
        baseline_records=read_records(session.compare_dir) if session.compare_dir else None,
        baseline_run=session.compare_dir.name if session.compare_dir else None,
        gate=session.gate_rule, include_partial=settings.include_partial,
    )
    summary = redact_json(build_summary(session.folder.records(), session.folder.cells(), meta=run_meta(session),
                                        options=options))
    write_run_reports(session.folder.path, summary)
    return summary, find_regressions(summary)


def run_meta(session) -> dict:
    return {
        "run_id": session.run_id,
        "started": time.strftime("%Y-%m-%dT%H:%M:%S%z", time.localtime(session.started)),
        "finished": time.strftime("%Y-%m-%dT%H:%M:%S%z"),
        "options": session.settings.as_dict(),
        "compare_run": str(session.compare_dir) if session.compare_dir else None,
        "versions": _versions(),
        "python": platform.python_version(),
        "platform": platform.platform(),
        "git_commit": _git_commit(session.config.rootpath),
        "hub_revisions": hub_revisions(),  # hub data loaded in this process (cells carry their origin too)
        "xdist_workers": getattr(session.config.option, "numprocesses", None),
    }


def _versions() -> dict:
    versions = {}
    for name in VERSIONED_PACKAGES:
        try:
            versions[name] = metadata.version(name)
        except metadata.PackageNotFoundError:
            versions[name] = None
    return versions


def _git_commit(root) -> str | None:
    try:
        out = subprocess.run(["git", "rev-parse", "HEAD"], cwd=root, capture_output=True, text=True, timeout=5)
    except (OSError, subprocess.SubprocessError):
        return None
    return out.stdout.strip() or None if out.returncode == 0 else None
