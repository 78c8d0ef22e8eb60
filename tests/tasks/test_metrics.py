"""Metric helpers, with the cases that fooled the seed study."""
import pytest

from pytest_arbitrage import metrics
from pytest_arbitrage.tasks.base import Score


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("$18", 18), ("18.0", 18), ("1,800", 1800), ("$1,800.00", 1800), ("The answer is 18.", 18),
        ("She pays 6 * 3 = 18 dollars", 18), ("#### 72", 72), ("Answer: -4", -4),
        ("The answer is 18 because 6 pens cost $3 each", 18), ("2.5 kg", 2.5), ("1,2,3", 3),
    ],
)
def test_extract_number_reads_currency_separators_and_final_answer(text, expected):
    assert metrics.extract_number(text) == expected


def test_numeric_score_matches_formats_and_flags_missing_numbers():
    assert metrics.numeric_score("$1,800", "1800").correct is True
    assert metrics.numeric_score("18.0", 18).correct is True
    assert metrics.numeric_score("181", "18").correct is False
    missing = metrics.numeric_score("I am not sure.", "18")
    assert missing.parse_error and missing.correct is False and missing.value == 0.0


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("Yes", True), ("yes.", True), ("No", False), ("No, it cannot.", False), ("The answer is: Yes", True),
        ("TRUE", True), ("false", False), ("I don't know. Yes.", True), ("Nothing suggests it; no", False),
        ("Yesterday it was not raining, so no.", False), ("It is not possible", None), ("", None),
    ],
)
def test_yes_no_phrasing(text, expected):
    assert metrics.yes_no(text) is expected


def test_yes_no_score_unparseable_is_a_failure():
    score = metrics.yes_no_score("Hmm, hard to tell.", True)
    assert score.parse_error and not score.passed()


def test_first_label_takes_the_first_label_word_in_free_text():
    labels = ("positive", "negative", "neutral")
    assert metrics.first_label("Sentiment: Negative. Not positive at all", labels) == "negative"
    assert metrics.first_label("POSITIVE!", labels) == "positive"
    assert metrics.first_label("nonpositive vibes", labels) is None
    monitor = ("doom_loop", "api_confusion", "making_progress")
    assert metrics.first_label("The agent is in a doom loop.", monitor) == "doom_loop"
    assert metrics.first_label("api-confusion", monitor) == "api_confusion"


def test_label_score_without_label_word_is_a_parse_error():
    assert metrics.label_score("I think so", "positive", ("positive", "negative")).parse_error
    assert metrics.label_score("positive", "positive", ("positive", "negative")) == Score.binary(True)


def test_partial_credit_is_never_a_pass():
    partial = metrics.qa_score("Paris France", ["Paris"])
    assert 0 < partial.value < 1 and partial.correct is None
    assert not partial.passed(1.0)
    assert metrics.qa_score("Paris", ["Paris"]).passed(1.0)
    assert not Score(0.99).passed(1.0)
    assert not Score(1.0, parse_error=True).passed(0.5)
    assert not Score.binary(False).passed(0.0)


def test_squad_normalisation_and_token_f1():
    assert metrics.exact_match("The Eiffel Tower!", ["eiffel tower"])
    assert metrics.token_f1("the cat sat", "cat sat down") == pytest.approx(0.8)
    assert metrics.qa_score("Answer: Carthwick", ["Carthwick"]).details["em"] == 1.0
    assert metrics.qa_score("  ", ["x"]).parse_error


def test_rouge_l_and_copy_penalty():
    assert metrics.rouge_l_f1("the cat sat on the mat", "the cat sat on the mat") == 1.0
    assert metrics.rouge_l_f1("a b c d", "a x c y") == pytest.approx(0.5)
    source = "the council voted on tuesday to close the old bridge for repairs next spring"
    copied = metrics.summary_score("the council voted on tuesday to close the old bridge", "council shuts bridge", source)
    own = metrics.summary_score("council shuts old bridge for repairs", "council shuts bridge", source)
    assert copied.details["copy_fraction"] == 1.0 and copied.value == 0.0
    assert own.details["copy_fraction"] == 0.0 and own.value > 0.5
    assert metrics.summary_score("", "x", source).parse_error


def test_entity_f1_parses_lenient_formats():
    gold = "PER: Ana Ruiz; ORG: Orbitel; LOC: Lisbon"
    assert metrics.entity_f1_score("PER: Ana Ruiz; ORG: Orbitel; LOC: Lisbon", gold).value == 1.0
    assert metrics.entity_f1_score("Person: ana ruiz, Location: Lisbon, Organization: Orbitel", gold).value == 1.0
    assert metrics.entity_f1_score("Ana Ruiz (PER), Lisbon (LOC)", gold).value == pytest.approx(0.8)
    assert metrics.entity_f1_score("LOC: Ana Ruiz", gold).value == 0.0
    assert metrics.entity_f1_score("none", "").value == 1.0
    assert metrics.entity_f1_score("some words", gold).parse_error


def test_grounded_answer_penalises_unsupported_answers():
    context = "The Orland Library was founded in 1887 by Edith Marr."
    faithful = metrics.grounded_answer_score("Edith Marr", ["Edith Marr"], context)
    invented = metrics.grounded_answer_score("Edith Marr Smith", ["Edith Marr"], context)
    assert faithful.value == 1.0 and faithful.details["faithfulness"] == 1.0
    assert invented.details["faithfulness"] < 1.0 and invented.value < faithful.value
