"""`openai/<model>`: OpenAI itself, or any OpenAI-compatible server named by OPENAI_BASE_URL.

The key comes from OPENAI_API_KEY. With OPENAI_BASE_URL set and no key, a placeholder
key is sent: local servers (llama-cpp-python, vLLM, LM Studio) ignore it. Before use the
server is probed with `GET {base}/models` and a short timeout, so an unreachable server
or a rejected key becomes `ModelUnavailable` (the cell is skipped) instead of one error
per example. Keys are passed to dspy.LM, whose cache keys and saved state leave them out;
they never appear in a reason string.
"""
from __future__ import annotations

import json
import os
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


def probe_openai(spec: ModelSpec, *, api_key: str, api_base: str | None, timeout: float = PROBE_TIMEOUT_S) -> list[str]:
    """The model ids the server lists; ModelUnavailable with what to do when it cannot be used."""
    base = api_base or OPENAI_DEFAULT_BASE
    request = urllib.request.Request(f"{base}/models", headers={"Authorization": f"Bearer {api_key}"})
    try:
        with urllib.request.urlopen(request, timeout=timeout) as response:
            body = json.loads(response.read() or b"{}")
    except urllib.error.HTTPError as exc:
        if exc.code in (401, 403):
            raise ModelUnavailable(f"{base} rejected the API key (HTTP {exc.code}); check OPENAI_API_KEY") from None
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
