"""Model spec parsing: pure, no network; bad specs name the value and the valid choices."""
import pytest

from pytest_arbitrage.providers import (
    EMBEDDED_MODELS,
    VALID_PROVIDERS,
    ModelSpec,
    UsageError,
    parse_model_spec,
    parse_model_specs,
)


@pytest.mark.parametrize(
    ("spec", "provider", "name", "tier", "chat", "model"),
    [
        ("llamacpp/smollm2-135m", "llamacpp", "smollm2-135m", "local", True, "llamacpp/smollm2-135m"),
        ("llamacpp/gemma3-270m", "llamacpp", "gemma3-270m", "local", False, "llamacpp/gemma3-270m"),
        ("ollama_chat/llama3.2:1b", "ollama_chat", "llama3.2:1b", "local", True, "ollama_chat/llama3.2:1b"),
        ("ollama/qwen2.5", "ollama_chat", "qwen2.5", "local", True, "ollama_chat/qwen2.5"),
        ("openai/gpt-4o-mini", "openai", "gpt-4o-mini", "api", True, "openai/gpt-4o-mini"),
        ("anthropic/claude-3-5-haiku", "litellm", "anthropic/claude-3-5-haiku", "api", True,
         "anthropic/claude-3-5-haiku"),
        ("vertex_ai/claude-3@20240620", "litellm", "vertex_ai/claude-3@20240620", "api", True,
         "vertex_ai/claude-3@20240620"),
    ],
)
def test_valid_specs(spec, provider, name, tier, chat, model):
    m = parse_model_spec(spec)
    assert (m.spec, m.provider, m.name, m.tier, m.chat, m.model) == (spec, provider, name, tier, chat, model)
    assert m.provider in VALID_PROVIDERS


def test_flags_override_tier_and_prompting():
    m = parse_model_spec("openai/my-local-vllm@local")
    assert (m.spec, m.name, m.tier, m.model) == ("openai/my-local-vllm@local", "my-local-vllm", "local",
                                                  "openai/my-local-vllm")
    assert parse_model_spec("ollama_chat/llama3@api").tier == "api"
    assert parse_model_spec("llamacpp/smollm2-135m@base").chat is False
    both = parse_model_spec("llamacpp/gemma3-270m@chat,api")
    assert (both.chat, both.tier) == (True, "api")


def test_tier_overrides_mapping_wins_and_is_checked():
    assert parse_model_spec("openai/foo", tier_overrides={"openai/foo": "local"}).tier == "local"
    assert parse_model_spec("openai/foo@local", tier_overrides={"openai/foo": "api"}).tier == "api"
    assert parse_model_spec("openai/bar", tier_overrides={"openai/foo": "local"}).tier == "api"
    with pytest.raises(UsageError, match=r"invalid tier 'cheap'.*local, api"):
        parse_model_spec("openai/foo", tier_overrides={"openai/foo": "cheap"})


def test_local_gguf_file(tmp_path, monkeypatch):
    gguf = tmp_path / "tiny model.gguf"
    gguf.write_bytes(b"GGUF")
    m = parse_model_spec(f"llamacpp/{gguf}")
    assert (m.provider, m.tier, m.chat, m.gguf_path) == ("llamacpp", "local", True, str(gguf))
    assert m.slug == "tiny-model"
    monkeypatch.chdir(tmp_path)
    assert parse_model_spec("llamacpp/tiny model.gguf@base").gguf_path == str(gguf)


@pytest.mark.parametrize(
    ("spec", "message"),
    [
        ("", r"empty model spec.*llamacpp/smollm2-135m"),
        ("smollm2-135m", r"malformed model spec 'smollm2-135m'.*<provider>/<model>.*llamacpp/smollm2-135m"),
        ("openai/", r"malformed model spec 'openai/'"),
        ("/gpt-4o", r"malformed model spec '/gpt-4o'"),
        ("bogus/model", r"unknown model provider 'bogus' in 'bogus/model'.*llamacpp, ollama_chat, openai"),
        ("llamacpp/llama-7b", r"unknown llamacpp model 'llama-7b'.*llamacpp/smollm2-135m, llamacpp/gemma3-270m"),
        ("llamacpp/missing.gguf", r"GGUF file not found for 'llamacpp/missing.gguf'"),
        ("openai/x@local,api", r"conflicting flags"),
    ],
)
def test_invalid_specs_name_value_and_choices(spec, message):
    with pytest.raises(UsageError, match=message):
        parse_model_spec(spec)


def test_embedded_models_and_slugs():
    assert set(EMBEDDED_MODELS) == {"smollm2-135m", "gemma3-270m"}
    assert parse_model_spec("ollama_chat/library/llama3.2:1b").slug == "llama3.2-1b"
    assert parse_model_spec("openai/gpt-4o-mini").slug == "gpt-4o-mini"


def test_spec_list_keeps_order_and_refuses_duplicates():
    specs = parse_model_specs("llamacpp/gemma3-270m, llamacpp/smollm2-135m")
    assert [m.name for m in specs] == ["gemma3-270m", "smollm2-135m"]
    with pytest.raises(UsageError, match="listed twice"):
        parse_model_specs("openai/gpt-4o,openai/gpt-4o@local")
    with pytest.raises(UsageError, match="no model specs"):
        parse_model_specs(" , ")


def test_model_spec_is_frozen_and_hashable():
    m = parse_model_spec("openai/gpt-4o-mini")
    with pytest.raises(AttributeError):
        m.tier = "local"  # type: ignore[misc]
    assert {m: 1}[ModelSpec(**{f: getattr(m, f) for f in m.__dataclass_fields__})] == 1
