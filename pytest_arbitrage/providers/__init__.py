"""Model specs, LM provisioning and adapters: the one door the plugin uses to get an LM.

    m = parse_model_spec("llamacpp/smollm2-135m")      # pure; UsageError on bad input
    lm = provision_lm(m, max_tokens=256)               # may do I/O; ModelUnavailable(reason)
    adapter = adapter_for(m)                           # LenientChatAdapter or CompletionAdapter

Every LM goes through DSPy's response cache (`dspy.configure_cache(...)` picks where).
For llama.cpp models the cache key carries the GGUF file's fingerprint (LM kwargs
`metadata={"arbitrage_model_id": ...}`), so a changed file never answers from an old
entry. API keys are left out of cache keys and saved state by DSPy itself (tested).
"""
from __future__ import annotations

import os

from .specs import (
    DEFAULT_MODEL,
    EMBEDDED_MODELS,
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
    "DEFAULT_MODEL", "EMBEDDED_MODELS", "MODEL_ID_KEY", "TIERS", "VALID_PROVIDERS", "EmbeddedModel", "ModelSpec",
    "ModelUnavailable", "UsageError", "parse_model_spec", "parse_model_specs", "provision_lm", "adapter_for",
]

os.environ.setdefault("LITELLM_LOCAL_MODEL_COST_MAP", "true")  # no metadata download on first dspy.LM use
# llama.cpp's CPU backend uses OpenMP. With libgomp's default busy-waiting, a 2-thread decode on a
# busy 2-core machine stalled for minutes (measured); with passive waiting it took 0.4 s.
# libgomp reads this once, when llama_cpp is first imported, so it is set here, before that.
os.environ.setdefault("OMP_WAIT_POLICY", "passive")
MODEL_ID_KEY = "arbitrage_model_id"  # in LM kwargs["metadata"]: part of every cache key


def provision_lm(spec: ModelSpec, *, max_tokens: int = 256, temperature: float = 0.0,
                 pull: bool | None = None, settings=None, **lm_kwargs):
    """A ready `dspy.LM` for `spec`, or `ModelUnavailable` saying what to do.

    `pull` (ollama) overrides ARBITRAGE_OLLAMA_PULL; `settings` (llamacpp) is a
    `LlamaSettings`; other keyword arguments go to `dspy.LM` (e.g. `num_retries`, `cache`).
    """
    common = {"temperature": temperature, "max_tokens": max_tokens, **lm_kwargs}
    if spec.provider == "llamacpp":
        return _llamacpp_lm(spec, settings, common)
    if spec.provider == "openai":
        return _openai_lm(spec, common)
    if spec.provider == "ollama_chat":
        return _ollama_lm(spec, pull, common)
    return _litellm_lm(spec, common)


def adapter_for(spec: ModelSpec):
    """The adapter a model can follow: completion-style for base models, plain chat turns for the
    tiny in-process chat models, DSPy's chat format (read leniently) for everything else."""
    from ..adapters import CompactChatAdapter, CompletionAdapter, LenientChatAdapter  # DSPy: on first use

    if not spec.chat:
        return CompletionAdapter()
    return CompactChatAdapter() if spec.provider == "llamacpp" else LenientChatAdapter()


def _llamacpp_lm(spec: ModelSpec, settings, common: dict):
    import dspy

    from .llamacpp import LlamaSettings, file_fingerprint

    engine = _loaded_engine(spec, settings or LlamaSettings())
    # n_batch sets the evaluation chunks, which decide the last bits of the logits.
    model_id = f"{file_fingerprint(engine.path)}:{'chat' if spec.chat else 'base'}:b{engine.settings.n_batch}"
    metadata = {**common.pop("metadata", {}), MODEL_ID_KEY: model_id}
    return dspy.LM(spec.model, engine=engine, **{"num_retries": 0, **common, "metadata": metadata})


def _loaded_engine(spec: ModelSpec, settings):
    """The engine with its model loaded now: a broken file or a missing llama-cpp-python is a skip, not 100 errors."""
    from .embedded import gguf_path
    from .llamacpp import LlamaCppEngine

    engine = LlamaCppEngine(gguf_path(spec), chat=spec.chat, settings=settings)
    try:
        engine.model
    except ImportError:
        raise ModelUnavailable("llama-cpp-python is not installed: pip install llama-cpp-python") from None
    except (ValueError, RuntimeError, OSError) as exc:
        raise ModelUnavailable(f"llama.cpp could not load {engine.path}: {exc}") from None
    return engine


def _openai_lm(spec: ModelSpec, common: dict):
    import dspy

    from .openai_compat import openai_lm_kwargs

    return dspy.LM(spec.model, **openai_lm_kwargs(spec), **common)


def _ollama_lm(spec: ModelSpec, pull: bool | None, common: dict):
    import dspy

    from .ollama import ensure_ollama_model, ollama_host

    host = ollama_host()
    ensure_ollama_model(spec, host=host, pull=pull)
    # DSPy 3.4 sends ollama_chat/ through Ollama's OpenAI-compatible endpoint under /v1.
    return dspy.LM(spec.model, api_base=f"{host}/v1", **common)


def _litellm_lm(spec: ModelSpec, common: dict):
    import dspy

    missing = _missing_litellm_keys(spec.model)
    if missing:
        raise ModelUnavailable(f"set {', '.join(missing)} to use {spec.model}")
    return dspy.LM(spec.model, **common)


def _missing_litellm_keys(model: str) -> list[str]:
    try:
        import litellm

        return list(litellm.validate_environment(model=model).get("missing_keys") or [])
    except Exception:  # noqa: BLE001 - LiteLLM cannot tell for this model; let the first call say
        return []
