"""Price files (`--arb-prices=FILE`): every bad file is refused with the file and model named."""
import json
import math

import pytest

from pytest_arbitrage.pricing import BUILTIN_PRICES, cost_usd, load_prices, price_of

GOOD_JSON = {"my-model": {"input": 0.5, "output": 2}, "gpt-4o": {"input": 0, "output": 0}}


def write(tmp_path, text: str, suffix: str = ".json"):
    path = tmp_path / f"prices{suffix}"
    path.write_text(text, encoding="utf-8")
    return path


def refusal(path) -> str:
    """The message load_prices refuses the file with; it always names the file."""
    with pytest.raises(ValueError) as exc:
        load_prices(path)
    assert str(path) in str(exc.value)
    return str(exc.value)


@pytest.mark.parametrize("entry, message", [
    ('{"input": NaN, "output": 1}', "'input' must be finite"),
    ('{"input": 1, "output": Infinity}', "'output' must be finite"),
    ('{"input": -Infinity, "output": 1}', "'input' must be finite"),
    ('{"input": 1e400, "output": 1}', "'input' must be finite"),
    ('{"input": -0.5, "output": 1}', "'input' is negative"),
    ('{"input": true, "output": 1}', "'input' must be a number"),
    ('{"input": "1.5", "output": 1}', "'input' must be a number"),
    ('{"input": null, "output": 1}', "'input' must be a number"),
    ('{"input": [1], "output": 1}', "'input' must be a number"),
    ('{"inptu": 1, "output": 1}', "unknown key 'inptu'"),
    ('{"input": 1, "output": 1, "currency": "EUR"}', "unknown key 'currency'"),
    ('{"input": 1}', "missing 'output'"),
    ('{}', "missing 'input'"),
    ("[1, 2]", "needs numeric 'input' and 'output'"),
    ("3", "needs numeric 'input' and 'output'"),
    ('"cheap"', "needs numeric 'input' and 'output'"),
])
@pytest.mark.parametrize("nested", [False, True])
def test_a_bad_entry_names_the_file_and_the_model(tmp_path, entry, message, nested):
    table = f'{{"acme/m-1": {entry}}}'
    message_got = refusal(write(tmp_path, f'{{"models": {table}}}' if nested else table))
    assert message in message_got and "'acme/m-1'" in message_got


@pytest.mark.parametrize("toml, message", [
    ('[m]\ninput = nan\noutput = 1\n', "must be finite"),
    ('[m]\ninput = inf\noutput = 1\n', "must be finite"),
    ('[m]\ninput = true\noutput = 1\n', "must be a number"),
    ('[models.m]\ninput = 1\noutput = 1\ninptu = 2\n', "unknown key 'inptu'"),
    ('[models]\nm = 3\n', "needs numeric"),
])
def test_bad_toml_entries_name_the_file_and_the_model(tmp_path, toml, message):
    message_got = refusal(write(tmp_path, toml, ".toml"))
    assert message in message_got and "'m'" in message_got


@pytest.mark.parametrize("text, message", [
    ("[1, 2]", "must map model names"),
    ('"gpt-4o"', "must map model names"),
    ("null", "must map model names"),
    ('{"models": [1]}', "'models' must map model names"),
    ('{"models": {"m": {"input": 1, "output": 1}}, "other": {"input": 1, "output": 1}}', "beside 'models'"),
    ('{"m": {"input": 1, "output": 1}, "m": {"input": 2, "output": 2}}', "duplicate key 'm'"),
    ('{"m": {"input": 1, "output": 1}', "not valid"),
])
def test_a_file_that_is_not_a_price_table_is_refused(tmp_path, text, message):
    assert message in refusal(write(tmp_path, text))


def test_a_file_that_is_not_utf8_is_refused(tmp_path):
    path = tmp_path / "prices.json"
    path.write_bytes(b'{"m": "\xff"}')
    assert "not valid" in refusal(path)


def test_a_good_json_file_extends_and_overrides_the_table(tmp_path):
    prices = load_prices(write(tmp_path, json.dumps({"models": GOOD_JSON})))
    assert prices["my-model"] == {"input": 0.5, "output": 2.0} and prices["gpt-4o"] == {"input": 0.0, "output": 0.0}
    assert set(BUILTIN_PRICES) <= set(prices)
    assert all(type(v) is float for entry in prices.values() for v in entry.values())
    assert load_prices(write(tmp_path, json.dumps(GOOD_JSON)))["my-model"] == prices["my-model"]


def test_a_good_toml_file_at_top_level_or_under_models(tmp_path):
    top = load_prices(write(tmp_path, '["together_ai/llama-70b"]\ninput = 0.9\noutput = 1\n', ".toml"))
    nested = load_prices(write(tmp_path, '[models."together_ai/llama-70b"]\ninput = 0.9\noutput = 1\n', ".toml"))
    assert top["together_ai/llama-70b"] == nested["together_ai/llama-70b"] == {"input": 0.9, "output": 1.0}
    assert price_of("together_ai/llama-70b", top) == {"input": 0.9, "output": 1.0}


def test_cost_is_never_nan_even_for_a_hand_built_table():
    """A NaN price makes the cost unknown (None), never NaN and never a silent 0."""
    prices = {"m": {"input": math.nan, "output": 1.0}, "i": {"input": math.inf, "output": 0.0}}
    assert cost_usd("m", 1000, 1000, prices) is None
    assert cost_usd("i", 0, 1000, prices) is None
    assert cost_usd("gpt-4o", 1_000_000, 0, load_prices(None)) == pytest.approx(2.5)
