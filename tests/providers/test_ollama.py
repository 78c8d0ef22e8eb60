"""Ollama provisioning against a fake Ollama server on loopback (a real HTTP peer for the client)."""
import io
import json
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import dspy
import pytest

from pytest_arbitrage.providers import ModelUnavailable, adapter_for, parse_model_spec, provision_lm
from pytest_arbitrage.providers.ollama import ensure_ollama_model, full_tag, ollama_host, pull_enabled

class FakeOllama(BaseHTTPRequestHandler):
    """Answers /api/version, /api/tags, streaming /api/pull and /v1/chat/completions like Ollama does."""

    models: set  # set per server, see fake_ollama()
    pulls: list
    chats: list

    def log_message(self, *args):
        pass

    def _json(self, body, status=200):
        data = json.dumps(body).encode()
        self.send_response(status)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        self.wfile.write(data)

    def do_GET(self):
        if self.path == "/api/version":
            return self._json({"version": "0.0.0-fake"})
        if self.path == "/api/tags":
            return self._json({"models": [{"model": m, "name": m, "size": 1} for m in sorted(self.models)]})
        return self._json({"error": "not found"}, 404)

    def do_POST(self):
        body = json.loads(self.rfile.read(int(self.headers.get("Content-Length", 0))) or b"{}")
        if self.path == "/api/pull":
            return self._pull(body["model"])
        if self.path == "/v1/chat/completions":
            self.chats.append(body)
            return self._json({
                "id": "chatcmpl-1", "object": "chat.completion", "created": 0, "model": body["model"],
                "choices": [{"index": 0, "message": {"role": "assistant", "content": "positive"},
                             "finish_reason": "stop"}],
                "usage": {"prompt_tokens": 11, "completion_tokens": 1, "total_tokens": 12},
            })
        return self._json({"error": "not found"}, 404)

    def _pull(self, tag):
        self.pulls.append(tag)
        self.send_response(200)
        self.send_header("Content-Type", "application/x-ndjson")
        self.end_headers()
        if tag.startswith("missing"):
            lines = [{"status": "pulling manifest"}, {"error": "pull model manifest: file does not exist"}]
        else:
            lines = [{"status": "pulling manifest"}] + [
                {"status": "pulling abc123", "digest": "sha256:abc123", "total": 4_000_000, "completed": c}
                for c in (0, 2_000_000, 4_000_000)
            ] + [{"status": "verifying sha256 digest"}, {"status": "success"}]
            self.models.add(full_tag(tag))
        for line in lines:
            self.wfile.write(json.dumps(line).encode() + b"\n")
            self.wfile.flush()


@pytest.fixture
def fake_ollama(monkeypatch):
    handler = type("Handler", (FakeOllama,), {"models": {"present:latest"}, "pulls": [], "chats": []})
    server = ThreadingHTTPServer(("127.0.0.1", 0), handler)
    thread = threading.Thread(target=server.serve_forever, kwargs={"poll_interval": 0.02}, daemon=True)
    thread.start()
    host = f"http://127.0.0.1:{server.server_address[1]}"
    monkeypatch.setenv("OLLAMA_HOST", host)
    monkeypatch.delenv("ARBITRAGE_OLLAMA_PULL", raising=False)
    try:
        yield handler
    finally:
        server.shutdown()
        server.server_close()


def test_present_model_is_used_without_pulling(fake_ollama):
    lm = provision_lm(parse_model_spec("ollama_chat/present"), max_tokens=32)
    assert isinstance(lm, dspy.LM) and lm.model == "ollama_chat/present"
    assert lm.kwargs["api_base"] == f"{ollama_host()}/v1" and fake_ollama.pulls == []


def test_missing_model_is_pulled_with_progress(fake_ollama):
    progress = io.StringIO()
    ensure_ollama_model(parse_model_spec("ollama_chat/tiny:1b"), host=ollama_host(), stream=progress)
    assert fake_ollama.pulls == ["tiny:1b"] and "tiny:1b" in fake_ollama.models
    shown = progress.getvalue()
    assert "ollama pull tiny:1b: pulling abc123 100% (4/4 MB)" in shown and shown.endswith("\n")
    provision_lm(parse_model_spec("ollama_chat/tiny:1b"))  # now present: no second pull
    assert fake_ollama.pulls == ["tiny:1b"]


def test_failed_pull_is_unavailable(fake_ollama):
    with pytest.raises(ModelUnavailable, match=r"`ollama pull missing-model` failed.*file does not exist"):
        ensure_ollama_model(parse_model_spec("ollama_chat/missing-model"), host=ollama_host(), stream=io.StringIO())


@pytest.mark.parametrize("how", ["env", "arg"])
def test_pull_disabled_says_what_to_run(fake_ollama, monkeypatch, how):
    if how == "env":
        monkeypatch.setenv("ARBITRAGE_OLLAMA_PULL", "0")
    with pytest.raises(ModelUnavailable, match=r"run `ollama pull llama3.2:1b`"):
        provision_lm(parse_model_spec("ollama_chat/llama3.2:1b"), pull=False if how == "arg" else None)
    assert fake_ollama.pulls == []


def test_unreachable_server(monkeypatch, unused_port):
    monkeypatch.setenv("OLLAMA_HOST", f"127.0.0.1:{unused_port}")
    with pytest.raises(ModelUnavailable, match=r"start Ollama with `ollama serve` or set OLLAMA_HOST"):
        provision_lm(parse_model_spec("ollama_chat/llama3.2"))


def test_round_trip_through_dspy(fake_ollama):
    lm = provision_lm(parse_model_spec("ollama_chat/present"), max_tokens=16)
    with dspy.context(lm=lm.copy(cache=False), adapter=adapter_for(parse_model_spec("ollama_chat/present")),
                      track_usage=True):
        prediction = dspy.Predict("text -> sentiment")(text="lovely")
    assert prediction.sentiment == "positive"
    assert prediction.get_lm_usage()["ollama_chat/present"]["prompt_tokens"] == 11
    assert fake_ollama.chats and fake_ollama.chats[0]["model"] == "present"


@pytest.mark.parametrize(
    ("env", "host"),
    [({}, "http://localhost:11434"), ({"OLLAMA_HOST": "0.0.0.0"}, "http://0.0.0.0:11434"),
     ({"OLLAMA_HOST": "gpu-box:8080"}, "http://gpu-box:8080"), ({"OLLAMA_HOST": "https://o.example/"}, "https://o.example")],
)
def test_ollama_host(env, host):
    assert ollama_host(env) == host


def test_pull_switch_and_tags():
    assert pull_enabled(env={}) and not pull_enabled(env={"ARBITRAGE_OLLAMA_PULL": "0"})
    assert pull_enabled(True, env={"ARBITRAGE_OLLAMA_PULL": "off"}) and not pull_enabled(False, env={})
    assert full_tag("llama3.2") == "llama3.2:latest" and full_tag("user/m:7b") == "user/m:7b"
