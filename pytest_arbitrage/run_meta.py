"""The run's metadata for summary.json: versions, git commit, options, times, data revisions."""
from __future__ import annotations

import platform
import subprocess
import time
from importlib import metadata
from pathlib import Path

VERSIONED_PACKAGES = ("pytest-arbitrage", "dspy", "pytest", "pytest-xdist", "llama-cpp-python", "scipy", "litellm")


def run_meta(*, run_id: str, started: float, options: dict, compare_dir: Path | None, root: Path,
             workers: int | None) -> dict:
    from pytest_arbitrage.tasks import hub_revisions

    return {
        "run_id": run_id,
        "started": time.strftime("%Y-%m-%dT%H:%M:%S%z", time.localtime(started)),
        "finished": time.strftime("%Y-%m-%dT%H:%M:%S%z"),
        "options": options,
        "compare_run": str(compare_dir) if compare_dir else None,
        "versions": _versions(),
        "python": platform.python_version(),
        "platform": platform.platform(),
        "git_commit": _git_commit(root),
        "hub_revisions": hub_revisions(),  # hub data loaded in this process (cells carry their origin too)
        "xdist_workers": workers,
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
