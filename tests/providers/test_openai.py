"""`openai/<model>`: missing key and unreachable server without a server; a real round trip
through dspy against llama-cpp-python's OpenAI-compatible server on loopback."""
import json

import dspy
import pytest

from pytest_arbitrage.providers import ModelUnavailable, adapter_for, parse_model_spec, provision_lm
from pytest_arbitrage.providers.openai_compat import PLACEHOLDER_KEY, openai_lm_kwargs, openai_settings, split_userinfo

SECRET = "sk-test-Zq8vT3-never-written-anywhere"


@pytest.fixture
def no_openai_env(monkeypatch):
    for name in ("OPENAI_API_KEY", "OPENAI_BASE_URL", "OPENAI_API_BASE"):
        monkeypatch.delenv(name, raising=False)


def test_missing_key_and_base_is_unavailable(no_openai_env):
    with pytest.raises(ModelUnavailable, match=r"set OPENAI_API_KEY, or OPENAI_BASE_URL"):
        provision_lm(parse_model_spec("openai/gpt-4o-mini"))


def test_base_url_without_key_uses_a_placeholder():
    assert openai_settings({"OPENAI_BASE_URL": "http://127.0.0.1:8000/v1/"}) == (PLACEHOLDER_KEY,
                                                                               "http://127.0.0.1:8000/v1")
    assert openai_settings({"OPENAI_API_KEY": "k"}) == ("k", None)


def test_unreachable_server_is_unavailable(no_openai_env, monkeypatch, unused_port):
    monkeypatch.setenv("OPENAI_BASE_URL", f"http://127.0.0.1:{unused_port}/v1")
    monkeypatch.setenv("OPENAI_API_KEY", SECRET)
    with pytest.raises(ModelUnavailable, match=r"cannot reach http://127\.0\.0\.1:\d+/v1") as info:
        provision_lm(parse_model_spec("openai/gpt-4o-mini"))
    assert SECRET not in info.value.reason


def test_a_login_is_split_off_the_url_into_a_basic_auth_header():
    assert split_userinfo("https://me:p%40ss@proxy.example:8443/v1") == (
        "https://proxy.example:8443/v1", {"Authorization": "Basic bWU6cEBzcw=="})  # base64 of me:p@ss
    assert split_userinfo("http://127.0.0.1:8000/v1") == ("http://127.0.0.1:8000/v1", {})


def test_an_unreachable_login_url_says_so_without_the_password(no_openai_env, monkeypatch, unused_port):
    monkeypatch.setenv("OPENAI_BASE_URL", f"http://me:{SECRET}@127.0.0.1:{unused_port}/v1")
    with pytest.raises(ModelUnavailable, match=rf"cannot reach http://127\.0\.0\.1:{unused_port}/v1 \(") as info:
        provision_lm(parse_model_spec("openai/gpt-4o-mini"))
    assert SECRET not in info.value.reason and "Name or service not known" not in info.value.reason


def test_the_lm_gets_the_url_without_its_login_and_the_login_as_a_header(monkeypatch):
    monkeypatch.setattr("pytest_arbitrage.providers.openai_compat.probe_openai", lambda spec, **kwargs: [])
    env = {"OPENAI_BASE_URL": "http://me:pw@10.0.0.1/v1/"}
    assert openai_lm_kwargs(parse_model_spec("openai/m"), env) == {
        "api_key": PLACEHOLDER_KEY, "api_base": "http://10.0.0.1/v1", "extra_headers": {"Authorization": "Basic bWU6cHc="}}
    assert openai_lm_kwargs(parse_model_spec("openai/m"), {"OPENAI_API_KEY": "k"}) == {"api_key": "k", "api_base": None}


@pytest.fixture
def served(openai_server, no_openai_env, monkeypatch):
    monkeypatch.setenv("OPENAI_BASE_URL", openai_server.base_url)
    monkeypatch.setenv("OPENAI_API_KEY", SECRET)
    return openai_server


@pytest.mark.server
@pytest.mark.real_model
def test_round_trip_usage_cache_and_no_secret_on_disk(served, isolated_lm_cache, tmp_path):
    spec = parse_model_spec(f"openai/{served.alias}")
    lm = provision_lm(spec, max_tokens=24)
    predict = dspy.Predict("text -> sentiment")
    with dspy.context(lm=lm, adapter=adapter_for(spec), track_usage=True):
        first = predict(text="I love this film, it is wonderful.")
        second = predict(text="I love this film, it is wonderful.")
    assert first.sentiment.strip()
    usage = first.get_lm_usage()[spec.model]
    assert usage["prompt_tokens"] > 20 and usage["completion_tokens"] > 0
    assert second.sentiment == first.sentiment and not second.get_lm_usage()  # answered by DSPy's cache
    predict.lm = lm
    predict.save(str(tmp_path / "program.json"))
    written = [p.read_bytes() for p in isolated_lm_cache.rglob("*") if p.is_file()]
    assert written and not any(SECRET.encode() in blob for blob in written)
    saved = (tmp_path / "program.json").read_text()
    assert f'"model": "openai/{served.alias}"' in saved and SECRET not in saved
    assert SECRET not in json.dumps(lm.dump_state())


@pytest.mark.server
@pytest.mark.real_model
def test_model_not_served_is_unavailable(served):
    with pytest.raises(ModelUnavailable, match=r"does not serve 'gpt-4o-mini'; it lists: smollm2"):
        provision_lm(parse_model_spec("openai/gpt-4o-mini"))
