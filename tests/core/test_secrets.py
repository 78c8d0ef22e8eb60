"""No secret leaves the process: redaction, login URLs, and a sweep that greps everything it wrote.

The loopback server stands in for an OpenAI-compatible server behind a proxy that wants
HTTP Basic auth: it answers only requests that carry the expected login.
"""
import base64
import json
import textwrap
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest
from conftest import FAKE_MODELS_CONFTEST, SWEEP_TEST

from pytest_arbitrage.providers import ModelUnavailable, parse_model_spec, provision_lm
from pytest_arbitrage.providers.openai_compat import probe_openai
from pytest_arbitrage.redact import REDACTED, redact, redact_json

USER, PASSWORD = "arb", "pw-plant-baseurl-2222"
BASIC = "Basic " + base64.b64encode(f"{USER}:{PASSWORD}".encode()).decode()
BEARER = "plant-bearer-8888"  # in a variable whose name says nothing: only the `Bearer` pattern catches it
PLANTED_ENV = {  # every secret-bearing variable the plugin, LiteLLM or the ollama client reads
    "OPENAI_API_KEY": "sk-plant-apikey-1111",
    "OPENAI_API_BASE": "http://arb:pw-plant-apibase-3333@127.0.0.1:9/v1",
    "OLLAMA_HOST": "http://arb:pw-plant-ollama-4444@127.0.0.1:{unused_port}",
    "OLLAMA_API_KEY": "plant-ollama-key-5555",
    "ANTHROPIC_API_KEY": "sk-ant-plant-6666",
    "HF_TOKEN": "hf_plant_7777",
    "ARB_PLANTED_BEARER": BEARER,
}
SECRETS = ["sk-plant-apikey-1111", PASSWORD, "pw-plant-apibase-3333", "pw-plant-ollama-4444", "plant-ollama-key-5555",
           "sk-ant-plant-6666", "hf_plant_7777", BEARER, BASIC.split()[1]]


class _BasicAuthServer(BaseHTTPRequestHandler):
    """`GET /v1/models` and `POST /v1/chat/completions`, 401 without the login; logs what it saw."""

    seen: list = []

    def do_GET(self):
        self._answer({"object": "list", "data": [{"id": "served", "object": "model"}]})

    def do_POST(self):
        self.rfile.read(int(self.headers.get("Content-Length") or 0))
        message = {"role": "assistant", "content": "[[ ## sentiment ## ]]\npositive\n\n[[ ## completed ## ]]"}
        self._answer({"id": "c", "object": "chat.completion", "created": 0, "model": "served",
                      "choices": [{"index": 0, "finish_reason": "stop", "message": message}],
                      "usage": {"prompt_tokens": 5, "completion_tokens": 3, "total_tokens": 8}})

    def _answer(self, body: dict) -> None:
        self.seen.append((self.command, self.path, self.headers.get("Authorization")))
        authorized = self.headers.get("Authorization") == BASIC
        data = json.dumps(body if authorized else {"error": {"message": "login required"}}).encode()
        self.send_response(200 if authorized else 401)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        self.wfile.write(data)

    def log_message(self, *args):  # keep the test output quiet
        pass


@pytest.fixture
def login_server():
    """The server's `http://127.0.0.1:PORT/v1` (no login in it); `.seen` is its request log."""
    server = ThreadingHTTPServer(("127.0.0.1", 0), type("Handler", (_BasicAuthServer,), {"seen": []}))
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield server
    server.shutdown()
    server.server_close()


def _base(server, login: str = f"{USER}:{PASSWORD}") -> str:
    return f"http://{login}@127.0.0.1:{server.server_address[1]}/v1"


# -- redaction ------------------------------------------------------------------------------


def test_redact_hides_env_secrets_url_passwords_and_bearer_tokens(monkeypatch):
    monkeypatch.setenv("OPENAI_API_KEY", "sk-plant-apikey-1111")
    monkeypatch.setenv("OLLAMA_HOST", "arb:pw%2Dplant@10.0.0.1:11434")  # no scheme, percent-encoded
    text = ("key sk-plant-apikey-1111 at https://me:hunter22@example.com/v1, ollama 10.0.0.1 pw-plant, "
            "headers {'Authorization': 'Basic YXJiOnB3'} and Bearer abc.def-123")
    assert redact(text) == (f"key {REDACTED} at https://me:{REDACTED}@example.com/v1, ollama 10.0.0.1 {REDACTED}, "
                            f"headers {{'Authorization': 'Basic {REDACTED}'}} and Bearer {REDACTED}")
    assert redact("user@example.com wrote ssh://git@host/repo and Basic arithmetic") == \
        "user@example.com wrote ssh://git@host/repo and Basic arithmetic"


def test_redact_json_redacts_every_string_in_a_structure(monkeypatch):
    monkeypatch.setenv("HF_TOKEN", "hf_plant_7777")
    summary = {"cells": [{"reason": "got hf_plant_7777", "n": 3, "ok": True, "ci": (0.1, None)}], "hf_plant_7777": 1}
    assert redact_json(summary) == {"cells": [{"reason": f"got {REDACTED}", "n": 3, "ok": True, "ci": (0.1, None)}],
                                    REDACTED: 1}


# -- login URLs -----------------------------------------------------------------------------


def test_a_login_in_the_base_url_reaches_the_server_as_basic_auth(login_server):
    ids = probe_openai(parse_model_spec("openai/served"), api_key="sk-unused", api_base=_base(login_server))
    assert ids == ["served"]
    assert login_server.RequestHandlerClass.seen == [("GET", "/v1/models", BASIC)]


def test_a_wrong_login_is_unavailable_with_a_reason_that_hides_the_password(login_server):
    with pytest.raises(ModelUnavailable, match=r"rejected the login \(HTTP 401\); check the user name") as info:
        probe_openai(parse_model_spec("openai/served"), api_key="k", api_base=_base(login_server, "arb:wrong-pw"))
    assert "wrong-pw" not in info.value.reason and f"http://127.0.0.1:{login_server.server_address[1]}/v1" in \
        info.value.reason


def test_a_provisioned_lm_sends_the_login_on_every_call_and_caches_no_password(login_server, monkeypatch,
                                                                               isolated_lm_cache):
    monkeypatch.setenv("OPENAI_BASE_URL", _base(login_server))
    monkeypatch.delenv("OPENAI_API_KEY", raising=False)
    lm = provision_lm(parse_model_spec("openai/served"), max_tokens=8)
    assert "positive" in lm("hello")[0]
    assert login_server.RequestHandlerClass.seen == [("GET", "/v1/models", BASIC),
                                                     ("POST", "/v1/chat/completions", BASIC)]
    # LiteLLM keeps the api_base in each response and DSPy pickles responses into its cache.
    cached = b"".join(p.read_bytes() for p in isolated_lm_cache.rglob("*") if p.is_file())
    assert cached and PASSWORD.encode() not in cached


def test_an_ollama_host_with_a_login_is_refused_clearly(monkeypatch):
    monkeypatch.setenv("OLLAMA_HOST", "arb:pw-plant-ollama-4444@127.0.0.1:11434")
    with pytest.raises(ModelUnavailable, match=r"OLLAMA_HOST has a user name and password in it") as info:
        provision_lm(parse_model_spec("ollama_chat/llama3.2"))
    assert "pw-plant-ollama-4444" not in info.value.reason


# -- a whole sweep --------------------------------------------------------------------------

# `openai/served` and `ollama_chat/real` go through the real providers (the login server;
# an Ollama host with a login). Quoting every planted secret, read from the environment:
# `openai/down` skips, every `openai/broken` call fails, and `openai/exploding` is a provider
# bug (an error in setup, whose traceback nothing redacted at its source).
LEAKY_MODELS_CONFTEST = FAKE_MODELS_CONFTEST + textwrap.dedent('''
    _scripted = fake_provision

    def everything():
        return "; ".join(f"{name}={value}" for name, value in sorted(os.environ.items())
                         if name.startswith(("OPENAI_", "OLLAMA_", "ANTHROPIC_", "HF_")))

    def leaky_fail(prompt):
        raise ConnectionError(f"POST {os.environ['OPENAI_BASE_URL']}/chat/completions failed "
                              f"(Authorization: Bearer {os.environ['ARB_PLANTED_BEARER']}); {everything()}")

    def pytest_arbitrage_provision_lm(spec, max_tokens):
        model = spec
        if model.spec in ("openai/served", "ollama_chat/real"):
            return None  # the built-in providers
        if model.spec == "openai/down":
            raise providers.ModelUnavailable(f"the fake server is down; {everything()}")
        if model.spec == "openai/exploding":
            raise RuntimeError(f"provider bug; {everything()}")
        return _scripted(model)

    RESPONDERS["broken"] = leaky_fail
''')


def _leaks(root, terminal: str) -> list[tuple[str, str]]:
    """(where, secret) for each planted secret in any file under root or in the terminal output."""
    places = {str(p.relative_to(root)): p.read_bytes() for p in root.rglob("*") if p.is_file()}
    places["terminal"] = terminal.encode()
    return [(where, secret) for where, blob in places.items() for secret in SECRETS if secret.encode() in blob]


@pytest.mark.parametrize("workers", ["0", "2"])
def test_a_sweep_writes_no_secret_anywhere(pytester, login_server, monkeypatch, unused_port, workers):
    for name, value in PLANTED_ENV.items():
        monkeypatch.setenv(name, value.format(unused_port=unused_port))
    monkeypatch.setenv("OPENAI_BASE_URL", _base(login_server))
    pytester.makeconftest(LEAKY_MODELS_CONFTEST)
    pytester.makepyfile(test_sweep=SWEEP_TEST)
    result = pytester.runpytest_subprocess(
        "--arb-tasks=sentiment", "--arb-models=openai/served,openai/broken,openai/down,ollama_chat/real,openai/exploding",
        "--arb-optimizers=none,labeled", "--arb-n=4", "--arb-train=4", "--arb-dev=4",
        "--junitxml=junit.xml", "-rA", "-l", "--tb=long", "-n", workers)
    leaks = _leaks(pytester.path, "\n".join(result.outlines + result.errlines))
    assert not leaks, f"{len(leaks)} leaks: {leaks}"
    result.assert_outcomes(passed=2, failed=2, skipped=4, errors=2)
    assert ("POST", "/v1/chat/completions", BASIC) in login_server.RequestHandlerClass.seen
    result.stdout.fnmatch_lines(["*SKIPPED*openai/down: the fake server is down; *OPENAI_API_KEY=[[]REDACTED[]]*"])
