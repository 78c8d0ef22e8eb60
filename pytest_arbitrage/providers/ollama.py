"""`ollama_chat/<tag>`: a model served by Ollama at OLLAMA_HOST (default http://localhost:11434).

`ensure_ollama_model` checks the server answers, and that the model is there; a missing
model is pulled with a progress line on stderr, unless pulling is off
(`ARBITRAGE_OLLAMA_PULL=0` or `pull=False`). Anything that stops the model from being
used raises `ModelUnavailable` with the command that fixes it.

An OLLAMA_HOST with a login (`http://user:password@host`) is refused with a reason: the
ollama client drops the login from the URL, and DSPy's native Ollama route looks
`user:password@host` up as a host name ("Name or service not known", verified), so no call
could carry it. Ollama's OpenAI-compatible endpoint through `openai/<tag>` can.
"""
from __future__ import annotations

import os
import sys
import time
import urllib.parse
from typing import TextIO

from .specs import ModelSpec, ModelUnavailable

DEFAULT_HOST = "http://localhost:11434"
PULL_ENV = "ARBITRAGE_OLLAMA_PULL"
PROBE_TIMEOUT_S = 3.0


def ollama_host(env: dict | None = None) -> str:
    """OLLAMA_HOST as a URL with scheme and port (`0.0.0.0:11434` -> `http://0.0.0.0:11434`)."""
    env = os.environ if env is None else env
    raw = (env.get("OLLAMA_HOST") or DEFAULT_HOST).strip().rstrip("/")
    if "://" in raw:
        return raw
    parts = urllib.parse.urlsplit(f"http://{raw}")
    login, at, _ = parts.netloc.rpartition("@")  # kept, so that ensure_ollama_model can refuse it
    netloc = f"{login}{at}{parts.hostname or 'localhost'}:{parts.port or 11434}"
    return urllib.parse.urlunsplit(parts._replace(netloc=netloc))


def pull_enabled(pull: bool | None = None, env: dict | None = None) -> bool:
    if pull is not None:
        return pull
    env = os.environ if env is None else env
    return env.get(PULL_ENV, "1").strip().lower() not in ("0", "false", "no", "off")


def full_tag(tag: str) -> str:
    """Ollama's name for a tag: `llama3.2` is `llama3.2:latest`."""
    return tag if ":" in tag.rsplit("/", 1)[-1] else f"{tag}:latest"


def ensure_ollama_model(spec: ModelSpec, *, host: str, pull: bool | None = None, stream: TextIO | None = None) -> None:
    """Make sure `spec`'s model is available at `host`; pull it when allowed."""
    import ollama

    if "@" in urllib.parse.urlsplit(host).netloc:
        raise ModelUnavailable(
            "OLLAMA_HOST has a user name and password in it, which DSPy's Ollama route cannot send; "
            "use `openai/<tag>@local` with OPENAI_BASE_URL set to the same URL plus /v1 (sent as HTTP Basic auth)"
        )
    try:
        listed = ollama.Client(host=host, timeout=PROBE_TIMEOUT_S).list()
    except Exception as exc:  # noqa: BLE001 - connection refused, timeout, bad answer: all mean "no server"
        raise ModelUnavailable(
            f"no Ollama server at {host} ({type(exc).__name__}); start Ollama with `ollama serve` or set OLLAMA_HOST"
        ) from None
    present = {full_tag(m.model or "") for m in listed.models}
    if full_tag(spec.name) in present:
        return
    if not pull_enabled(pull):
        raise ModelUnavailable(f"Ollama model {spec.name!r} is not pulled; run `ollama pull {spec.name}` "
                               f"(automatic pulls are off: {PULL_ENV}=0)")
    pull_model(spec.name, host=host, stream=stream or sys.stderr)


def pull_model(tag: str, *, host: str, stream: TextIO) -> None:
    """`ollama pull tag` through the client, rendering progress on `stream`."""
    import ollama

    bar = _ProgressLine(tag, stream)
    try:
        for progress in ollama.Client(host=host).pull(tag, stream=True):
            bar.update(progress.status or "", progress.completed, progress.total)
    except Exception as exc:  # noqa: BLE001 - ResponseError, connection drop, bad stream: the pull failed
        bar.close()
        raise ModelUnavailable(f"`ollama pull {tag}` failed at {host}: {exc}; run it by hand to see why") from None
    bar.close()


class _ProgressLine:
    """One self-overwriting stderr line: `ollama pull tag: downloading 42% (105/250 MB)`."""

    def __init__(self, tag: str, stream: TextIO, min_interval: float = 0.2):
        self.tag, self.stream, self.min_interval = tag, stream, min_interval
        self.last = 0.0
        self.text = ""

    def update(self, status: str, completed: int | None, total: int | None) -> None:
        text = f"ollama pull {self.tag}: {status}"
        if total:
            done = completed or 0
            text += f" {100 * done // total}% ({done / 1e6:.0f}/{total / 1e6:.0f} MB)"
        now = time.monotonic()
        if text != self.text and (now - self.last >= self.min_interval or not total or completed == total):
            self.stream.write("\r" + text.ljust(len(self.text)))
            self.stream.flush()
            self.text, self.last = text, now

    def close(self) -> None:
        if self.text:
            self.stream.write("\n")
            self.stream.flush()


def provision(spec: ModelSpec, lm_kwargs: dict, *, pull: bool | None = None, **_):
    """The provider registry's entry: the model present (pulled if allowed), then a `dspy.LM` for it."""
    import dspy

    host = ollama_host()
    ensure_ollama_model(spec, host=host, pull=pull)
    # DSPy 3.4 sends ollama_chat/ through Ollama's OpenAI-compatible endpoint under /v1.
    return dspy.LM(spec.model, api_base=f"{host}/v1", **lm_kwargs)
