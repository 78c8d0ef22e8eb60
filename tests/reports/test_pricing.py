"""Price table: lookup rules, user files, bad files."""
import pytest

from pytest_arbitrage.pricing import cost_usd, load_prices, price_of


def test_builtin_lookup_by_spec_name_and_longest_prefix():
    prices = load_prices(None)
    assert price_of("openai/gpt-4o", prices) == prices["gpt-4o"]
    assert price_of("openai/gpt-4o-mini-2024-07-18", prices) == prices["gpt-4o-mini"]
    assert price_of("gpt-4o-2024-08-06", prices) == prices["gpt-4o"]


def test_local_models_are_free_and_unknown_models_have_no_price():
    prices = load_prices(None)
    assert cost_usd("llamacpp/smollm2-135m", 10_000, 10_000, prices) == 0.0
    assert cost_usd("ollama_chat/phi4", 10_000, 10_000, prices) == 0.0
    assert price_of("acme/unknown-model", prices) is None
    assert cost_usd("acme/unknown-model", 1000, 1000, prices) is None


def test_cost_is_per_million_tokens():
    prices = {"m": {"input": 2.0, "output": 8.0}}
    assert cost_usd("m", 1_000_000, 500_000, prices) == pytest.approx(6.0)


def test_user_json_and_toml_extend_and_override(tmp_path):
    json_file = tmp_path / "prices.json"
    json_file.write_text('{"models": {"gpt-4o": {"input": 1, "output": 2}, "my-model": {"input": 3, "output": 4}}}')
    prices = load_prices(json_file)
    assert prices["gpt-4o"] == {"input": 1.0, "output": 2.0}
    assert price_of("openai/my-model", prices) == {"input": 3.0, "output": 4.0}
    assert "gpt-4.1" in prices
    toml_file = tmp_path / "prices.toml"
    toml_file.write_text('["together_ai/llama-70b"]\ninput = 0.9\noutput = 0.9\n')
    assert price_of("together_ai/llama-70b", load_prices(toml_file)) == {"input": 0.9, "output": 0.9}


@pytest.mark.parametrize("text, message", [
    ("{not json", "not valid"),
    ('{"m": {"input": 1}}', "needs numeric 'input' and 'output'"),
    ('{"m": {"input": -1, "output": 1}}', "negative"),
    ("[1, 2]", "must map model names"),
])
def test_bad_price_files_say_what_is_wrong(tmp_path, text, message):
    path = tmp_path / "prices.json"
    path.write_text(text)
    with pytest.raises(ValueError, match=message) as exc:
        load_prices(path)
    assert str(path) in str(exc.value)


def test_missing_price_file_is_an_error(tmp_path):
    with pytest.raises(ValueError, match="does not exist"):
        load_prices(tmp_path / "nope.json")


def test_matching_is_exact_unless_the_entry_says_otherwise(tmp_path):
    prices = load_prices(None)
    assert price_of("openai/gpt-5.2", prices) is None  # not gpt-5 by prefix
    assert price_of("openai/gpt-5", prices) == prices["gpt-5"]
    assert price_of("anthropic/claude-sonnet-4-20250514", prices) == prices["claude-sonnet-4"]  # a dated snapshot
    assert price_of("o3-mini-high", prices) is None
    path = tmp_path / "prices.json"
    path.write_text('{"gpt-5": {"input": 1, "output": 2, "match": "prefix"}, "acme": {"input": 3, "output": 4}}')
    user = load_prices(path)
    assert price_of("openai/gpt-5.2", user) == {"input": 1.0, "output": 2.0}
    assert price_of("acme-2", user) is None  # a user entry matches exactly by default
    assert price_of("openai/gpt-5-mini", user) == prices["gpt-5-mini"]  # the longest match wins


def test_price_source_names_the_table(tmp_path):
    from pytest_arbitrage.pricing import price_source

    path = tmp_path / "prices.toml"
    path.write_text('["acme/m"]\ninput = 1\noutput = 1\n')
    prices = load_prices(path)
    assert price_source("openai/gpt-4o", prices) == "built-in table (2025 list prices): gpt-4o"
    assert price_source("acme/m", prices) == f"price file {path}: acme/m"
    assert price_source("acme/other", prices) is None


def test_a_bad_match_value_names_the_file_model_and_choices(tmp_path):
    path = tmp_path / "prices.json"
    path.write_text('{"m": {"input": 1, "output": 1, "match": "fuzzy"}}')
    with pytest.raises(ValueError, match=r"model 'm': invalid 'match' 'fuzzy'; valid choices: exact, snapshot, prefix"):
        load_prices(path)
