"""Any other LiteLLM provider (`anthropic/...`, `gemini/...`): a missing key is a skip naming it."""
from __future__ import annotations

from .specs import ModelSpec, ModelUnavailable


def provision(spec: ModelSpec, lm_kwargs: dict, **_):
    """The provider registry's entry."""
    import dspy

    missing = _missing_keys(spec.model)
    if missing:
        raise ModelUnavailable(f"set {', '.join(missing)} to use {spec.model}")
    return dspy.LM(spec.model, **lm_kwargs)


def _missing_keys(model: str) -> list[str]:
    try:
        import litellm

        return list(litellm.validate_environment(model=model).get("missing_keys") or [])
    except Exception:  # noqa: BLE001 - LiteLLM cannot tell for this model; let the first call say
        return []
