"""A serial run and an xdist run of the same grid give the same per-example results."""
import json

import pytest
from conftest import latest_run, read_results

DETERMINISTIC = ("task", "model", "tier", "optimizer", "seed", "example_id", "score", "correct", "parse_error",
                 "error", "input_tokens", "output_tokens", "cost_usd")


def per_example(run_dir):
    return sorted(tuple(r[k] for k in DETERMINISTIC) for r in read_results(run_dir))


def cell_means(run_dir):
    cells = json.loads((run_dir / "summary.json").read_text())["cells"]
    return sorted((c["task"], c["model"], c["optimizer"], c["n"], c["mean"]) for c in cells)


def run_twice(sweep, args):
    serial = sweep.runpytest(*args, "-n", "0")
    serial_dir = latest_run(sweep.path)
    parallel = sweep.runpytest(*args, "-n", "2", "--arb-cache-dir=.cache2")
    parallel_dir = latest_run(sweep.path)
    assert serial_dir != parallel_dir
    return serial, serial_dir, parallel, parallel_dir


def test_serial_and_two_workers_agree_example_by_example(sweep):
    args = ["--arb-tasks=sentiment,arithmetic", "--arb-models=openai/good,ollama_chat/fake-local",
            "--arb-optimizers=none,labeled,bootstrap", "--arb-n=8", "--arb-train=6", "--arb-dev=4"]
    serial, serial_dir, parallel, parallel_dir = run_twice(sweep, args)
    serial.assert_outcomes(passed=12)
    parallel.assert_outcomes(passed=12)
    assert len(per_example(serial_dir)) == 12 * 8
    assert per_example(serial_dir) == per_example(parallel_dir)
    assert cell_means(serial_dir) == cell_means(parallel_dir)


@pytest.mark.real_model
def test_serial_and_two_workers_agree_on_the_embedded_model(sweep):
    sweep.makeconftest("")  # the real providers, not the scripted ones
    args = ["--arb-tasks=sentiment", "--arb-models=llamacpp/smollm2-135m", "--arb-optimizers=none,labeled",
            "--arb-n=12", "--arb-train=4"]
    serial, serial_dir, parallel, parallel_dir = run_twice(sweep, args)
    serial.assert_outcomes(passed=2)
    parallel.assert_outcomes(passed=2)
    assert per_example(serial_dir) == per_example(parallel_dir)


def test_a_crashed_worker_loses_no_scored_example_and_other_cells_go_on(sweep):
    result = sweep.runpytest("--arb-tasks=sentiment,arithmetic", "--arb-models=openai/good,openai/crash",
                             "--arb-optimizers=none", "--arb-n=6", "--arb-threads=1", "-n", "2")
    result.assert_outcomes(passed=2, failed=2)  # each crash takes down its cell only (after 3 calls, one at a time)
    records = read_results(latest_run(sweep.path))
    crashed = [r for r in records if r["model"] == "openai/crash"]
    assert len([r for r in records if r["model"] == "openai/good"]) == 12
    assert len(crashed) == 6 and len({(r["task"], r["example_id"]) for r in crashed}) == 6


@pytest.fixture
def socket_gateway():
    """An execnet socket server on loopback: what a remote machine runs for `--tx socket=HOST:PORT`."""
    import socket
    import subprocess
    import sys
    import time

    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    server = subprocess.Popen([sys.executable, "-m", "execnet.script.socketserver", f"127.0.0.1:{port}"],
                              stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
    deadline = time.monotonic() + 20
    while time.monotonic() < deadline:
        try:
            socket.create_connection(("127.0.0.1", port), timeout=1).close()
            break
        except OSError:
            time.sleep(0.1)
    yield f"socket=127.0.0.1:{port}"
    server.kill()
    server.wait()


def test_a_remote_worker_over_a_socket_gateway_gives_the_serial_records(sweep, socket_gateway):
    args = ["--arb-tasks=sentiment", "--arb-models=openai/a", "--arb-optimizers=none,labeled", "--arb-n=5"]
    sweep.runpytest(*args).assert_outcomes(passed=2)
    serial = per_example(latest_run(sweep.path))
    remote = sweep.runpytest(*args, "-d", "--tx", socket_gateway, "--rsyncdir", str(sweep.path),
                             str(sweep.path / "test_sweep.py"))
    remote.assert_outcomes(passed=2)
    assert per_example(latest_run(sweep.path)) == serial
