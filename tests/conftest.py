"""Shared fixtures: a real OpenAI-compatible server on loopback (llama-cpp-python's) serving SmolLM2."""
from __future__ import annotations

import importlib.util
import json
import os
import socket
import subprocess
import sys
import time
import urllib.request
from dataclasses import dataclass

import pytest

SERVER_ALIAS = "smollm2"
SERVER_START_TIMEOUT_S = 60


@dataclass(frozen=True)
class OpenAIServer:
    base_url: str  # ends with /v1, as OPENAI_BASE_URL expects
    alias: str
    log_path: str


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _wait_for_models(base_url: str, proc: subprocess.Popen, log_path: str) -> None:
    deadline = time.monotonic() + SERVER_START_TIMEOUT_S
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            raise RuntimeError(f"llama_cpp.server exited with {proc.returncode}; log: {_tail(log_path)}")
        try:
            with urllib.request.urlopen(f"{base_url}/models", timeout=1) as response:
                if json.loads(response.read()).get("data"):
                    return
        except OSError:
            time.sleep(0.2)
    raise RuntimeError(f"llama_cpp.server did not answer in {SERVER_START_TIMEOUT_S}s; log: {_tail(log_path)}")


def _tail(path: str) -> str:
    with open(path, errors="replace") as f:
        return f.read()[-2000:]


@pytest.fixture
def isolated_lm_cache(tmp_path):
    """DSPy's response cache in a fresh folder for one test; the previous cache comes back after."""
    import dspy

    previous = dspy.__dict__.get("cache")
    directory = tmp_path / "dspy_cache"
    dspy.configure_cache(enable_disk_cache=True, enable_memory_cache=True, disk_cache_dir=str(directory))
    try:
        yield directory
    finally:
        if previous is None:
            dspy.__dict__.pop("cache", None)
        else:
            dspy.cache = previous


@pytest.fixture
def unused_port() -> int:
    """A loopback port nothing listens on (for "server unreachable" tests)."""
    return _free_port()


@pytest.fixture(scope="session")
def openai_server(tmp_path_factory) -> OpenAIServer:
    """`python -m llama_cpp.server` with SmolLM2 under the alias `smollm2`, on a free loopback port."""
    if importlib.util.find_spec("llama_cpp") is None or importlib.util.find_spec("llama_cpp.server") is None:
        pytest.skip("llama_cpp.server is not importable: pip install 'llama-cpp-python[server]'")
    for module in ("uvicorn", "fastapi", "sse_starlette", "starlette_context", "pydantic_settings"):
        if importlib.util.find_spec(module) is None:
            pytest.skip(f"llama_cpp.server needs {module}: pip install 'llama-cpp-python[server]'")
    from pytest_arbitrage.providers import ModelUnavailable, parse_model_spec
    from pytest_arbitrage.providers.embedded import gguf_path

    try:
        model = gguf_path(parse_model_spec("llamacpp/smollm2-135m"))
    except ModelUnavailable as exc:
        pytest.skip(exc.reason)
    port = _free_port()
    log_path = str(tmp_path_factory.mktemp("openai_server") / "server.log")
    cmd = [sys.executable, "-m", "llama_cpp.server", "--model", model, "--model_alias", SERVER_ALIAS,
           "--host", "127.0.0.1", "--port", str(port), "--n_threads", "2", "--n_ctx", "2048"]
    env = {k: v for k, v in os.environ.items() if not k.startswith("OPENAI_")}
    env.setdefault("OMP_WAIT_POLICY", "passive")  # see pytest_arbitrage.providers.llamacpp: busy-wait crawls on 2 cores
    with open(log_path, "wb") as log:
        proc = subprocess.Popen(cmd, stdout=log, stderr=subprocess.STDOUT, env=env)
    base_url = f"http://127.0.0.1:{port}/v1"
    try:
        _wait_for_models(base_url, proc, log_path)
        yield OpenAIServer(base_url=base_url, alias=SERVER_ALIAS, log_path=log_path)
    finally:
        proc.terminate()
        try:
            proc.wait(timeout=10)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()
