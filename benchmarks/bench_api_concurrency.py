"""API models: a cell's examples in flight at once, and the harness's own cost per example.

    python benchmarks/bench_api_concurrency.py [--n 64] [--latency 0.2]

Against a loopback OpenAI-compatible server (tests/fault_server.py, run in its own process
so that its work does not compete with the client for the GIL):

1. One cell of N examples through the harness (`CellRunner`: provisioning, the endpoint
   limit, evaluation, records), serial (`--arb-threads=1`) and at the default, with a fixed
   latency per call. Prints both times, their ratio (target: at most 1/6), the server's peak
   count of requests in flight (must equal the endpoint limit), and whether the two runs'
   records are the same but for latency.
2. At zero latency: seconds per example through the harness (serial) against a plain loop
   of the same DSPy program, adapter and LM settings (what a user of `dspy.LM` writes).

A script, not a test module: pytest collects only test_*.py under benchmarks/.
"""
from __future__ import annotations

import argparse
import multiprocessing
import os
import statistics
import sys
import tempfile
import time
from contextlib import contextmanager
from dataclasses import asdict
from pathlib import Path

sys.path.insert(0, str(Path(__file__).parents[1] / "tests"))
from fault_server import FaultServer  # noqa: E402

MODEL = "openai/varied"  # answers a pure function of the prompt: results can be compared
TARGET_RATIO = 1 / 6
REPEATS = 3


def _serve(latency_s: float, conn) -> None:
    with FaultServer(latency_s=latency_s) as server:
        conn.send(server.base_url)
        conn.recv()
        conn.send({"peak_in_flight": server.peak_in_flight, "requests": sum(server.requests.values())})


@contextmanager
def loopback_server(latency_s: float):
    """(base URL, stats): stats gets the server's peak in-flight count and requests when it stops."""
    here, there = multiprocessing.Pipe()
    process = multiprocessing.get_context("spawn").Process(target=_serve, args=(latency_s, there), daemon=True)
    process.start()
    stats: dict = {}
    try:
        yield here.recv(), stats
    finally:
        here.send("stop")
        stats.update(here.recv())
        process.join(10)


def harness_cell(base_url: str, *, n: int, threads: str, root: Path):
    """(seconds, records) of one cell through `CellRunner`, with a fresh LM cache."""
    from one_cell import prepared_cell

    os.environ["OPENAI_BASE_URL"] = base_url
    runner, cell, data, lm, program = prepared_cell(root=root, tasks="sentiment", models=MODEL, optimizers="none",
                                                    n=str(n), threads=threads)
    records = []
    started = time.perf_counter()
    runner.evaluate(cell, data, lm, program, emit=records.append)
    return time.perf_counter() - started, records, runner.threads(cell.model)


def plain_loop(base_url: str, *, n: int, root: Path, env_base_url: bool = False) -> float:
    """Seconds for a plain loop of the task's program over N examples, with DSPy's own disk cache.

    The LM gets `api_base`; with `env_base_url` OPENAI_BASE_URL is set too, as the harness's
    openai provider needs it, and DSPy then sends each call through LiteLLM, not its own client.
    """
    import dspy

    from pytest_arbitrage.data import cell_data, data_source
    from pytest_arbitrage.providers import adapter_for, parse_model_spec
    from pytest_arbitrage.providers.openai_compat import PLACEHOLDER_KEY
    from pytest_arbitrage.tasks import get_task

    task = get_task("sentiment")
    examples = cell_data(task, data_source("sentiment", kind="offline", files={}), n=n, train=0, dev=0, seed=0).test
    dspy.configure_cache(enable_disk_cache=True, enable_memory_cache=True, disk_cache_dir=str(root / "dspy"))
    lm = dspy.LM(MODEL, api_base=base_url, api_key=PLACEHOLDER_KEY, num_retries=0, timeout=60,
                 max_tokens=task.max_tokens, temperature=0.0)
    program = task.make_program()
    saved = os.environ.pop("OPENAI_BASE_URL", None)
    if env_base_url:
        os.environ["OPENAI_BASE_URL"] = base_url
    try:
        with dspy.context(lm=lm, adapter=adapter_for(parse_model_spec(MODEL))):
            started = time.perf_counter()
            for example in examples:
                program(**example.inputs())
            return time.perf_counter() - started
    finally:
        os.environ.pop("OPENAI_BASE_URL", None)
        if saved is not None:
            os.environ["OPENAI_BASE_URL"] = saved


def comparable(records) -> list[dict]:
    return sorted(({k: v for k, v in asdict(r).items() if k != "latency_ms"} for r in records),
                  key=lambda r: (r["example_id"], r["replicate"]))


def concurrency(args, tmp: Path) -> None:
    runs = {}
    for label, threads in (("serial", "1"), ("default", "")):
        with loopback_server(args.latency) as (base_url, stats):
            seconds, records, limit = harness_cell(base_url, n=args.n, threads=threads, root=tmp / label)
        runs[label] = (seconds, records, limit, stats)
    (serial, serial_records, _, _), (default, default_records, limit, stats) = runs["serial"], runs["default"]
    ratio = default / serial
    print(f"{args.n} examples, {args.latency * 1000:.0f} ms per call, model {MODEL}")
    print(f"  serial (--arb-threads=1):  {serial:6.2f} s   server peak in flight {runs['serial'][3]['peak_in_flight']}")
    print(f"  default ({limit} threads):    {default:6.2f} s   server peak in flight {stats['peak_in_flight']}"
          f" (endpoint limit {limit}: {'ok' if stats['peak_in_flight'] == limit else 'MISMATCH'})")
    print(f"  ratio default/serial:      {ratio:6.3f}   (target <= {TARGET_RATIO:.3f}: "
          f"{'ok' if ratio <= TARGET_RATIO else 'MISSED'}; ideal {1 / limit:.3f})")
    same = comparable(serial_records) == comparable(default_records)
    print(f"  records identical but for latency: {same} ({len(default_records)} records)")


def overhead(args, tmp: Path) -> None:
    plain, gateway, harness = [], [], []
    with loopback_server(0.0) as (base_url, _):
        for rep in range(REPEATS):  # interleaved: this machine's speed drifts by tens of percent
            plain.append(plain_loop(base_url, n=args.n, root=tmp / f"plain{rep}"))
            gateway.append(plain_loop(base_url, n=args.n, root=tmp / f"gateway{rep}", env_base_url=True))
            harness.append(harness_cell(base_url, n=args.n, threads="1", root=tmp / f"harness{rep}")[0])
    per_plain, per_gateway, per_harness = (statistics.median(t) / args.n * 1000 for t in (plain, gateway, harness))
    print(f"\nper example at 0 ms latency, serial, {args.n} examples (median of {REPEATS}, interleaved)")
    print(f"  plain dspy loop, api_base only (DSPy's own client):   {per_plain:6.2f} ms")
    print(f"  plain dspy loop, OPENAI_BASE_URL set (via LiteLLM):   {per_gateway:6.2f} ms")
    print(f"  harness (CellRunner.evaluate, OPENAI_BASE_URL set):   {per_harness:6.2f} ms   "
          f"({per_harness - per_gateway:+.2f} ms against the same client, {per_harness / per_plain:.2f}x the first)")


def warm_up() -> None:
    """The first LM call in a process imports LiteLLM and more (seconds): not part of any figure."""
    with loopback_server(0.0) as (base_url, _), tempfile.TemporaryDirectory() as tmp:
        harness_cell(base_url, n=2, threads="1", root=Path(tmp))
        plain_loop(base_url, n=2, root=Path(tmp))


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--n", type=int, default=64, help="examples in the cell (default: %(default)s)")
    parser.add_argument("--latency", type=float, default=0.2, help="seconds per call (default: %(default)s)")
    args = parser.parse_args()
    os.environ.setdefault("LITELLM_LOCAL_MODEL_COST_MAP", "true")
    warm_up()
    with tempfile.TemporaryDirectory() as tmp:
        concurrency(args, Path(tmp))
        overhead(args, Path(tmp))


if __name__ == "__main__":
    main()
