"""DSPy's LM cache, kept in a folder the harness controls.

Re-running the same sweep then answers every LM call from disk. The cache key is
DSPy's request hash; API keys are not part of a request's cached fields.
"""
from __future__ import annotations

from pathlib import Path

import dspy

_configured: Path | None = None


def configure_lm_cache(directory: Path) -> None:
    """Point DSPy's disk cache at `directory` (once per process and folder)."""
    global _configured
    directory = Path(directory).resolve()
    if _configured == directory:
        return
    directory.mkdir(parents=True, exist_ok=True)
    dspy.configure_cache(enable_disk_cache=True, enable_memory_cache=True, disk_cache_dir=str(directory))
    _configured = directory
