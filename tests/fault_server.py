"""A loopback OpenAI-compatible server that misbehaves on purpose, for fault tests.

The model name picks the behaviour of /v1/chat/completions:

    ok        answers "positive"
    e500      HTTP 500 every time
    e400      HTTP 400 (a permanent error: must not be retried)
    e429      HTTP 429 with Retry-After: 0 on the first call of each prompt, then answers
    garbage   HTTP 200 with a body that is not JSON
    hang      never answers (holds the request until the server stops, at most HANG_S)
    varied    answers positive, negative or neutral, a pure function of the prompt
    hang-odd  like `varied`, but never answers a prompt whose digest is odd

`requests[model]` counts the calls each model received; `peak_in_flight` the most requests
it held at once. `latency_s` delays every answer. Loopback only, bounded in time.
"""
from __future__ import annotations

import hashlib
import json
import threading
import time
from collections import Counter
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

MODELS = ("ok", "e500", "e400", "e429", "garbage", "hang", "varied", "hang-odd")
HANG_S = 30.0
LABELS = ("positive", "negative", "neutral")


class FaultServer:
    def __init__(self, latency_s: float = 0.0):
        self.latency_s = latency_s
        self.in_flight = self.peak_in_flight = 0
        self._lock = threading.Lock()
        self.requests: Counter = Counter()
        self.seen_prompts: set[str] = set()
        self.stopping = threading.Event()
        self.httpd = ThreadingHTTPServer(("127.0.0.1", 0), self._handler())
        self.httpd.daemon_threads = True
        self.thread = threading.Thread(target=self.httpd.serve_forever, daemon=True)

    @property
    def base_url(self) -> str:
        return f"http://127.0.0.1:{self.httpd.server_address[1]}/v1"

    def __enter__(self) -> "FaultServer":
        self.thread.start()
        return self

    def __exit__(self, *exc) -> None:
        self.stopping.set()
        self.httpd.shutdown()
        self.httpd.server_close()

    def _handler(self):
        server = self

        class Handler(BaseHTTPRequestHandler):
            def log_message(self, *args):  # quiet
                pass

            def do_GET(self):
                if self.path.rstrip("/").endswith("/models"):
                    return self._json(200, {"object": "list", "data": [{"id": m, "object": "model"} for m in MODELS]})
                self._json(404, {"error": {"message": "not found"}})

            def do_POST(self):
                with server._lock:
                    server.in_flight += 1
                    server.peak_in_flight = max(server.peak_in_flight, server.in_flight)
                try:
                    self._answer()
                finally:
                    with server._lock:
                        server.in_flight -= 1

            def _answer(self):
                body = json.loads(self.rfile.read(int(self.headers.get("Content-Length") or 0)) or b"{}")
                model = str(body.get("model", "")).rsplit("/", 1)[-1]
                with server._lock:  # handlers run side by side
                    server.requests[model] += 1
                prompt = json.dumps(body.get("messages"), sort_keys=True)
                if model == "e500":
                    return self._json(500, {"error": {"message": "internal error", "type": "server_error"}})
                if model == "e400":
                    return self._json(400, {"error": {"message": "bad request", "type": "invalid_request_error"}})
                if model == "e429" and prompt not in server.seen_prompts:
                    server.seen_prompts.add(prompt)
                    return self._json(429, {"error": {"message": "slow down", "type": "rate_limit"}},
                                      headers={"Retry-After": "0"})
                if model == "garbage":
                    return self._raw(200, b"<html>this is not json", "text/html")
                digest = int(hashlib.sha256(prompt.encode()).hexdigest(), 16)
                if model == "hang" or (model == "hang-odd" and digest % 2):
                    server.stopping.wait(HANG_S)
                    return
                server.stopping.wait(server.latency_s)
                text = LABELS[digest % len(LABELS)] if model in ("varied", "hang-odd") else "positive"
                self._json(200, _completion(model, text))

            def _json(self, status, payload, headers=None):
                self._raw(status, json.dumps(payload).encode(), "application/json", headers)

            def _raw(self, status, data, content_type, headers=None):
                try:
                    self.send_response(status)
                    self.send_header("Content-Type", content_type)
                    self.send_header("Content-Length", str(len(data)))
                    for name, value in (headers or {}).items():
                        self.send_header(name, value)
                    self.end_headers()
                    self.wfile.write(data)
                except (BrokenPipeError, ConnectionResetError):
                    pass

        return Handler


def _completion(model: str, text: str) -> dict:
    return {
        "id": "chatcmpl-fault", "object": "chat.completion", "created": int(time.time()), "model": model,
        "choices": [{"index": 0, "message": {"role": "assistant", "content": text}, "finish_reason": "stop"}],
        "usage": {"prompt_tokens": 11, "completion_tokens": 1, "total_tokens": 12},
    }
