"""Costs in reports (SPEC 12): recorded cost wins, unknown is unknown, the price source is named."""
import json

import pytest

from pytest_arbitrage.cli import main
from pytest_arbitrage.pricing import load_prices, record_cost
from pytest_arbitrage.reports import StatsOptions, build_summary
from pytest_arbitrage.reports.markdown import render_markdown


def records(model: str, tier: str, n: int = 10, **fields) -> list[dict]:
    return [{"task": "qa", "model": model, "tier": tier, "optimizer": "none", "example_id": f"e{i}",
             "score": float(i % 2), "correct": bool(i % 2), "input_tokens": 1000, "output_tokens": 100}
            | fields for i in range(n)]


def cell(rows: list[dict], **options) -> dict:
    summary = build_summary(rows, [], meta={}, options=StatsOptions(**options))
    return summary["cells"][0] | {"_summary": summary}


def test_a_recorded_cost_wins_over_the_price_table():
    got = cell(records("openai/gpt-4o", "api", cost_usd=0.5))
    assert got["cost_usd"] == pytest.approx(5.0) and got["cost_per_1k"] == pytest.approx(500.0)
    assert got["cost_sources"] == ["recorded cost_usd"]
    priced = cell(records("openai/gpt-4o", "api"))
    assert priced["cost_usd"] == pytest.approx(10 * (1000 * 2.5 + 100 * 10) / 1e6)
    assert priced["cost_sources"] == ["built-in table (2025 list prices): gpt-4o"]


def test_a_model_priced_only_by_prefix_of_another_is_unknown_not_cheap():
    got = cell(records("openai/gpt-5.2", "api"))
    assert got["cost_usd"] is None and got["cost_per_1k"] is None
    assert got["cost_sources"][0].startswith("unknown for openai/gpt-5.2: 10 of 10 records")


@pytest.mark.parametrize("fields", [
    {"input_tokens": None, "output_tokens": None},  # a converted run without token counts
    {"cost_usd": None, "input_tokens": None, "output_tokens": None},
])
def test_an_api_model_without_tokens_or_cost_is_unknown_never_zero(fields):
    got = cell(records("openai/gpt-4o", "api", **fields))
    assert got["cost_usd"] is None
    markdown = render_markdown(got["_summary"])
    assert "unknown" in markdown and "$0.0000" not in markdown


def test_one_record_of_unknown_cost_makes_the_cell_unknown():
    rows = records("acme/m", "api", cost_usd=0.01)
    rows[3]["cost_usd"] = None
    got = cell(rows)
    assert got["cost_usd"] is None and "1 of 10 records" in got["cost_sources"][0]


def test_local_models_are_free_unless_they_recorded_a_cost():
    assert cell(records("llamacpp/smollm2-135m", "local"))["cost_usd"] == 0.0
    assert record_cost({"cost_usd": 0.25}, model="llamacpp/x", local=True, prices={}) == (0.25, "recorded cost_usd")


def test_the_footer_names_every_price_source(tmp_path):
    path = tmp_path / "prices.json"
    path.write_text('{"acme/m": {"input": 1, "output": 1}}')
    rows = records("acme/m", "api") + records("openai/gpt-4o", "api", cost_usd=0.001) \
        + records("openai/gpt-4o-mini", "api")
    text = build_summary(rows, [], meta={}, options=StatsOptions(prices=load_prices(path)))["methods"]["cost"]
    assert f"price file {path}: acme/m" in text
    assert "recorded cost_usd" in text and "built-in table (2025 list prices): gpt-4o-mini" in text


def test_report_command_names_the_price_file(tmp_path, capsys):
    run = tmp_path / "run"
    run.mkdir()
    (run / "results.jsonl").write_text("".join(json.dumps(r) + "\n" for r in records("acme/m", "api")))
    prices = tmp_path / "p.toml"
    prices.write_text('["acme/m"]\ninput = 2\noutput = 0\n')
    assert main(["report", str(run), "--prices", str(prices)]) == 0
    summary = json.loads((run / "summary.json").read_text())
    assert summary["cells"][0]["cost_per_1k"] == pytest.approx(2.0)
    assert f"price file {prices}: acme/m" in summary["methods"]["cost"]
    assert f"price file {prices}" in (run / "report.md").read_text()
