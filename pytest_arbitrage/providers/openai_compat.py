"""`openai/<model>`: OpenAI itself, or any OpenAI-compatible server named by OPENAI_BASE_URL.

The key comes from OPENAI_API_KEY. With OPENAI_BASE_URL set and no key, a placeholder
key is sent: local servers (llama-cpp-python, vLLM, LM Studio) ignore it. Before use the
server is probed with `GET {base}/models` and a short timeout, so an unreachable server
or a rejected key becomes `ModelUnavailable` (the cell is skipped) instead of one error
per example. Keys are passed to dspy.LM, whose cache keys and saved state leave them out;
they never appear in a reason string.

A base URL may carry a login, `http://user:password@host/v1` (a server behind a proxy with
HTTP Basic auth). It never reaches a request URL: urllib would look `user:password@host` up
as a host name ("Name or service not known"), and LiteLLM keeps the `api_base` it was given
in each response, which DSPy pickles into its disk cache (found by tests/core/test_secrets.py).
So the login travels as a Basic `Authorization` header instead — on the probe, and through
`extra_headers` on every LM call (`openai_lm_kwargs`); messages show the URL without it.
"""
from __future__ import annotations

import base64
import json
import os
import urllib.parse
import urllib.error
import urllib.request

from .specs import ModelSpec, ModelUnavailable

OPENAI_DEFAULT_BASE = "https://api.openai.com/v1"
PLACEHOLDER_KEY = "sk-local-no-key-required"
PROBE_TIMEOUT_S = 3.0


def openai_settings(env: dict | None = None) -> tuple[str, str | None]:
    """(api_key, api_base) from the environment; ModelUnavailable when neither is set."""
    env = os.environ if env is None else env
    key = env.get("OPENAI_API_KEY") or None
    base = env.get("OPENAI_BASE_URL") or env.get("OPENAI_API_BASE") or None
    if key is None and base is None:
        raise ModelUnavailable(
            "set OPENAI_API_KEY, or OPENAI_BASE_URL for a local OpenAI-compatible server "
            "(e.g. `python -m llama_cpp.server --model M.gguf`)"
        )
    return key or PLACEHOLDER_KEY, base.rstrip("/") if base else None


def split_userinfo(url: str) -> tuple[str, dict[str, str]]:
    """`url` without its `user:password@`, and the Basic auth header that carries them ({} when none)."""
    parts = urllib.parse.urlsplit(url)
    login, at, hostport = parts.netloc.rpartition("@")
    if not at:
        return url, {}
    user, _, password = (urllib.parse.unquote(p) for p in login.partition(":"))
    token = base64.b64encode(f"{user}:{password}".encode()).decode("ascii")
    return urllib.parse.urlunsplit(parts._replace(netloc=hostport)), {"Authorization": f"Basic {token}"}


def openai_lm_kwargs(spec: ModelSpec, env: dict | None = None) -> dict:
    """dspy.LM's connection kwargs for `spec`, once the server has answered the probe.

    DSPy's cache key includes `extra_headers`, so a changed login misses the LM cache;
    better than the login on disk.
    """
    api_key, api_base = openai_settings(env)
    probe_openai(spec, api_key=api_key, api_base=api_base)
    base, login = split_userinfo(api_base) if api_base else (None, {})
    return {"api_key": api_key, "api_base": base, **({"extra_headers": login} if login else {})}


def probe_openai(spec: ModelSpec, *, api_key: str, api_base: str | None, timeout: float = PROBE_TIMEOUT_S) -> list[str]:
    """The model ids the server lists; ModelUnavailable with what to do when it cannot be used."""
    base, login = split_userinfo(api_base or OPENAI_DEFAULT_BASE)
    # A login in the URL replaces the key, as it does for httpx's real calls.
    request = urllib.request.Request(f"{base}/models", headers=login or {"Authorization": f"Bearer {api_key}"})
    try:
        with urllib.request.urlopen(request, timeout=timeout) as response:
            body = json.loads(response.read() or b"{}")
    except urllib.error.HTTPError as exc:
        if exc.code in (401, 403):
            what, fix = ("login", "the user name and password in the base URL") if login else ("API key", "OPENAI_API_KEY")
            raise ModelUnavailable(f"{base} rejected the {what} (HTTP {exc.code}); check {fix}") from None
        raise ModelUnavailable(f"{base}/models answered HTTP {exc.code}; check OPENAI_BASE_URL") from None
    except (urllib.error.URLError, OSError, ValueError) as exc:
        reason = getattr(exc, "reason", exc)
        raise ModelUnavailable(
            f"cannot reach {base} ({reason}); check the network, or set OPENAI_BASE_URL to a running "
            "OpenAI-compatible server"
        ) from None
    ids = [m.get("id") for m in body.get("data", []) if isinstance(m, dict)]
    if ids and spec.name not in ids:
        raise ModelUnavailable(f"{base} does not serve {spec.name!r}; it lists: {', '.join(ids[:10])}")
    return ids


def provision(spec: ModelSpec, lm_kwargs: dict, **_):
    """The provider registry's entry: a `dspy.LM` for an OpenAI-compatible endpoint, its key checked."""
    import dspy

    kwargs = openai_lm_kwargs(spec)
    # With OPENAI_BASE_URL in the environment DSPy's "auto" engine sends every call through
    # LiteLLM (3-5x slower per call, measured); its own client serves a plain base URL.
    engine = "lm15" if kwargs.get("api_base") and not kwargs.get("extra_headers") else "auto"
    return dspy.LM(spec.model, engine=engine, **kwargs, **lm_kwargs)
