"""Model specs, LM provisioning and adapters: the one door the plugin uses to get an LM.

    m = parse_model_spec("llamacpp/smollm2-135m")      # pure; UsageError on bad input
    lm = provision_lm(m, max_tokens=256)               # may do I/O; ModelUnavailable(reason)
    adapter = adapter_for(m)                           # LenientChatAdapter or CompletionAdapter

Providers are rows of `specs.PROVIDERS` (parsing, locality, provisioning, adapter); a new
provider is one module here with a `provision(spec, lm_kwargs, **options)` plus one row.

Every LM goes through DSPy's response cache (`dspy.configure_cache(...)` picks where).
For llama.cpp models the cache key carries the GGUF file's fingerprint (LM kwargs
`metadata={"arbitrage_model_id": ...}`), so a changed file never answers from an old
entry. API keys are left out of cache keys and saved state by DSPy itself (tested).
"""
from __future__ import annotations

import importlib
import os

from .specs import (
    DEFAULT_MODEL,
    EMBEDDED_MODELS,
    MODEL_ID_KEY,
    PROVIDERS,
    TIERS,
    VALID_PROVIDERS,
    EmbeddedModel,
    ModelSpec,
    ModelUnavailable,
    UsageError,
    parse_model_spec,
    parse_model_specs,
)

__all__ = [
    "DEFAULT_MODEL", "EMBEDDED_MODELS", "MODEL_ID_KEY", "PROVIDERS", "TIERS", "VALID_PROVIDERS", "EmbeddedModel",
    "ModelSpec", "ModelUnavailable", "UsageError", "parse_model_spec", "parse_model_specs", "provision_lm",
    "adapter_for",
]

os.environ.setdefault("LITELLM_LOCAL_MODEL_COST_MAP", "true")  # no metadata download on first dspy.LM use


def provision_lm(spec: ModelSpec, *, max_tokens: int = 256, temperature: float = 0.0,
                 pull: bool | None = None, settings=None, **lm_kwargs):
    """A ready `dspy.LM` for `spec`, or `ModelUnavailable` saying what to do.

    `pull` (ollama) overrides ARBITRAGE_OLLAMA_PULL; `settings` (llamacpp) is a
    `LlamaSettings`; other keyword arguments go to `dspy.LM` (e.g. `num_retries`, `cache`).
    """
    lm_kwargs = {"temperature": temperature, "max_tokens": max_tokens, **lm_kwargs}
    module, _, function = PROVIDERS[spec.provider].provision.partition(":")
    provision = getattr(importlib.import_module(f"{__name__}.{module}"), function)
    return provision(spec, lm_kwargs, pull=pull, settings=settings)


def adapter_for(spec: ModelSpec):
    """The adapter a model can follow: completion-style for base models, else its provider's chat adapter
    (plain chat turns for the tiny in-process models, DSPy's chat format read leniently for the rest)."""
    from .. import adapters  # DSPy: on first use

    if not spec.chat:
        return adapters.CompletionAdapter()
    return getattr(adapters, PROVIDERS[spec.provider].adapter)()
