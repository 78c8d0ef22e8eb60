"""A finished sweep, run again: wall time cold and warm, the speedup, and what the warm run still did.

    python benchmarks/bench_warm_rerun.py [--tasks sentiment,arithmetic] [--optimizers none,labeled] [--n 10]

Runs `pytest benchmarks --arb-tasks=... --arb-optimizers=... --arb-n=...` twice in fresh processes
with the same (temporary) cache and report folders: cold, with nothing cached, then warm. For each
run it prints the wall time of the whole process (what a user waits for, imports included), the
LM calls that reached llama.cpp (the loaded models' `LoadedModel.calls`, read in the process once
`pytest.main` returns), the records' own `lm_calls`, and the compilations (cells whose saved
program was not loaded from the cache: cells.jsonl `program_from_cache` false). The warm rerun
must make 0 LM calls and 0 compilations.

A script, not a test module: pytest collects only test_*.py under benchmarks/.
"""
from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).parents[1]
MARK = "bench-warm-rerun:"


def child(pytest_args: list[str]) -> None:
    """In the fresh process: the sweep, then the LM calls that reached llama.cpp, on the last line."""
    import pytest

    rc = pytest.main(pytest_args)
    loaded = sys.modules.get("pytest_arbitrage.providers.llamacpp")
    calls = sum(m.calls for m in loaded._LOADED.values()) if loaded else 0
    print(MARK + json.dumps({"rc": int(rc), "llama_calls": calls}))


def pytest_args(args, tmp: Path) -> list[str]:
    return ["benchmarks", "-q", "-p", "no:cacheprovider", f"--arb-tasks={args.tasks}",
            f"--arb-optimizers={args.optimizers}", f"--arb-n={args.n}",
            f"--arb-cache-dir={tmp / 'cache'}", f"--arb-report-dir={tmp / 'reports'}", *args.extra]


def sweep(args, tmp: Path, label: str) -> dict:
    log = tmp / f"{label}.log"
    started = time.perf_counter()
    with open(log, "w") as out:
        subprocess.run([sys.executable, __file__, "--child", *pytest_args(args, tmp)], cwd=ROOT, stdout=out,
                       stderr=subprocess.STDOUT, env=os.environ | {"LITELLM_LOCAL_MODEL_COST_MAP": "true"})
    wall = time.perf_counter() - started
    lines = log.read_text().splitlines()
    found = [json.loads(line[len(MARK):]) for line in lines if line.startswith(MARK)]
    if not found or found[0]["rc"] not in (0, 1):
        sys.exit(f"the {label} sweep did not finish; its log ends:\n" + "\n".join(lines[-30:]))
    return {"wall": wall, **found[0], **run_folder_counts(tmp / "reports"), "summary": _summary_line(lines)}


def run_folder_counts(report_dir: Path) -> dict:
    """Cells, compilations and the records' LM calls of the newest run folder."""
    from pytest_arbitrage.run_folder import read_cells, read_records, resolve_run

    run_dir = resolve_run("latest", report_dir)
    cells, records = read_cells(run_dir), read_records(run_dir)
    return {"run": run_dir.name, "cells": len(cells), "records": len(records),
            "compiled": sum(c.get("program_from_cache") is False for c in cells),
            "from_cache": sum(c.get("program_from_cache") is True for c in cells),
            "record_lm_calls": sum(r.get("lm_calls") or 0 for r in records)}


def collect_only(args, tmp: Path) -> float:
    """Wall seconds of `pytest --collect-only` on the same sweep: start-up, imports and the grid."""
    started = time.perf_counter()
    subprocess.run([sys.executable, "-m", "pytest", "--collect-only", *pytest_args(args, tmp)], cwd=ROOT,
                   check=True, capture_output=True)
    return time.perf_counter() - started


def _summary_line(lines: list[str]) -> str:
    return next((line.strip("= ") for line in reversed(lines) if " in " in line and "passed" in line), "?")


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--tasks", default="sentiment,arithmetic")
    parser.add_argument("--optimizers", default="none,labeled")
    parser.add_argument("--n", default="10")
    parser.add_argument("--child", nargs=argparse.REMAINDER, help=argparse.SUPPRESS)
    parser.add_argument("extra", nargs="*", help="more pytest arguments (after --)")
    args = parser.parse_args()
    if args.child is not None:
        child(args.child)
        return
    with tempfile.TemporaryDirectory() as tmp:
        runs = {label: sweep(args, Path(tmp), label) for label in ("cold", "warm")}
        floor = collect_only(args, Path(tmp))
    cold, warm = runs["cold"], runs["warm"]
    print(f"pytest benchmarks --arb-tasks={args.tasks} --arb-optimizers={args.optimizers} --arb-n={args.n}"
          f" (fresh cache and report folders)")
    for label, r in runs.items():
        print(f"  {label}: {r['wall']:6.1f} s wall   {r['cells']} cells, {r['records']} records   "
              f"LM calls reaching llama.cpp {r['llama_calls']:4d} (the program's, cache hits too: {r['record_lm_calls']})   "
              f"compiled {r['compiled']}, programs from cache {r['from_cache']}   [{r['summary']}]")
    print(f"  speedup cold/warm: {cold['wall'] / warm['wall']:.1f}x; `pytest --collect-only` on the same sweep"
          f" (start-up, imports, grid) takes {floor:.1f} s of the warm run's {warm['wall']:.1f} s")
    ok = warm["llama_calls"] == 0 and warm["compiled"] == 0
    print(f"  warm rerun: {warm['llama_calls']} LM calls, {warm['compiled']} compilations "
          f"({'ok' if ok else 'NOT ZERO'})")


if __name__ == "__main__":
    main()
