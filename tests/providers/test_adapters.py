"""Lenient adapters against scripted raw model text (a fake DSPy engine; no model, fast)."""
from typing import Literal

import dspy
import pytest
from dspy.lm15 import Message, Response, TextPart, Usage, response_to_events
from dspy.utils.exceptions import AdapterParseError

from pytest_arbitrage.adapters import (
    CompletionAdapter,
    LenientChatAdapter,
    coerce,
    lenient_parse,
    track_lenient_parses,
)


class RawTextEngine:
    """Answers each call with the next scripted raw text; keeps the requests it saw."""

    def __init__(self, *texts: str):
        self.texts = list(texts)
        self.requests = []

    def complete(self, request):
        self.requests.append(request)
        return Response(id=None, model="raw", message=Message.assistant([TextPart(self.texts.pop(0))]),
                        finish_reason="stop", usage=Usage(input_tokens=7, output_tokens=3))

    def stream(self, request):
        return response_to_events(self.complete(request))

    def close(self):
        pass


class Sentiment(dspy.Signature):
    """Classify the sentiment of the text."""

    text: str = dspy.InputField()
    sentiment: Literal["positive", "negative", "neutral"] = dspy.OutputField()


def run(adapter, signature, *texts, demos=(), **inputs):
    engine = RawTextEngine(*texts)
    predict = dspy.Predict(signature)
    predict.demos = [dspy.Example(**d) for d in demos]
    with dspy.context(lm=dspy.LM("raw/model", engine=engine, cache=False, num_retries=0), adapter=adapter):
        return predict(**inputs), engine


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        ("[[ ## sentiment ## ]]\nnegative\n\n[[ ## completed ## ]]", "negative"),  # the normal ChatAdapter path
        ("Positive", "positive"),
        ("The sentiment of this text is NEGATIVE.", "negative"),
        ("Sentiment: neutral\n\nI think so.", "neutral"),
        ("[[ ## sentiment ## ]] positive, definitely", "positive"),
    ],
)
def test_lenient_chat_reads_plain_answers(raw, expected):
    with track_lenient_parses() as log:
        prediction, engine = run(LenientChatAdapter(), Sentiment, raw, text="fine")
    assert prediction.sentiment == expected
    assert len(engine.requests) == 1  # no JSONAdapter retry
    assert log.fallbacks == (0 if raw.startswith("[[ ## sentiment ## ]]\n") else 1)


def test_lenient_chat_formats_like_chat_adapter():
    _, engine = run(LenientChatAdapter(), Sentiment, "positive", text="great")
    sent = [(m.role, m.text) for m in engine.requests[0].messages]
    expected = dspy.ChatAdapter().format(Sentiment, [], {"text": "great"})
    assert engine.requests[0].system == expected[0]["content"]
    assert sent == [(m["role"], m["content"]) for m in expected[1:]]


@pytest.mark.parametrize("raw", ["", "   \n", "[[ ## sentiment ## ]]\n[[ ## completed ## ]]", "I cannot tell."])
def test_unusable_output_is_a_parse_error_after_one_call(raw):
    engine = RawTextEngine(raw, "positive")
    lm = dspy.LM("raw/model", engine=engine, cache=False, num_retries=0)
    with dspy.context(lm=lm, adapter=LenientChatAdapter()), pytest.raises(AdapterParseError):
        dspy.Predict(Sentiment)(text="hm")
    assert len(engine.requests) == 1


def test_several_outputs_labelled_lines_then_last_field():
    prediction, _ = run(LenientChatAdapter(), "question -> reasoning, answer",
                        "**Reasoning:** two and two\nmakes four\nAnswer: 4", question="2+2?")
    assert (prediction.reasoning, prediction.answer) == ("two and two\nmakes four", "4")
    prediction, _ = run(LenientChatAdapter(), "question -> reasoning, answer", "It is 4.", question="2+2?")
    assert (prediction.reasoning, prediction.answer) == ("", "It is 4.")


def test_chain_of_thought_with_plain_text():
    engine = RawTextEngine("Because 3 is odd.\nThe answer is yes")
    lm = dspy.LM("raw/model", engine=engine, cache=False, num_retries=0)
    with dspy.context(lm=lm, adapter=LenientChatAdapter()):
        prediction = dspy.ChainOfThought("question -> answer: bool")(question="Is 3 odd?")
    assert prediction.answer is True and prediction.reasoning == ""


def test_completion_adapter_prompt_demos_and_stop():
    demos = [{"text": "I hate it", "sentiment": "negative"}, {"text": "it is ok\n\nI guess", "sentiment": "neutral"}]
    prediction, engine = run(CompletionAdapter(), Sentiment, " positive\nText: next one", demos=demos, text="Nice!")
    request = engine.requests[0]
    assert request.system is None and len(request.messages) == 1
    assert request.messages[0].text == (
        "Classify the sentiment of the text.\n\n"
        "Text: I hate it\nSentiment: negative\n\n"
        "Text: it is ok\nI guess\nSentiment: neutral\n\n"
        "Text: Nice!\nSentiment:"
    )
    assert request.config.stop == ("\n\n",)
    assert prediction.sentiment == "positive"


def test_completion_adapter_several_outputs():
    prediction, _ = run(CompletionAdapter(), "question -> reasoning, answer: int",
                        " 2 and 2 make 4.\nAnswer: 4", question="2+2?")
    assert (prediction.reasoning, prediction.answer) == ("2 and 2 make 4.", 4)
    with track_lenient_parses() as log:
        prediction, _ = run(CompletionAdapter(), "question -> reasoning, answer: int", " it is 4", question="2+2?")
    assert prediction.answer == 4 and log.fallbacks == 1


def test_completion_adapter_empty_output_is_parse_error():
    with pytest.raises(AdapterParseError):
        run(CompletionAdapter(), Sentiment, "   ", text="x")


@pytest.mark.parametrize(
    ("value", "annotation", "expected"),
    [
        ("  7 apples", int, 7),
        ("about 2.5", float, 2.5),
        ("Yes, it is.", bool, True),
        ("no", bool, False),
        ("neutral or positive", Literal["positive", "negative", "neutral"], "neutral"),
        ("Answer: B", Literal["A", "B", "C"], "B"),
        ("[1, 2]", list[int], [1, 2]),
        ("anything", str, "anything"),
    ],
)
def test_coerce(value, annotation, expected):
    assert coerce(value, annotation) == expected


@pytest.mark.parametrize(("value", "annotation"), [("none", int), ("maybe", bool), ("sad", Literal["a", "b"])])
def test_coerce_refuses(value, annotation):
    with pytest.raises(ValueError):
        coerce(value, annotation)


def test_lenient_parse_strips_stray_markers():
    sig = dspy.Signature("text -> summary")
    assert lenient_parse(sig, "[[ ## summary ## ]] short one [[ ## completed ## ]]") == {"summary": "short one"}
    assert lenient_parse(sig, "[[ ## completed ## ]]") is None


@pytest.mark.parametrize("raw", ["Sentiment:", "**Sentiment:**  \n", "Sentiment:\n[[ ## completed ## ]]"])
def test_a_label_alone_is_not_an_answer(raw):
    with pytest.raises(AdapterParseError):
        run(LenientChatAdapter(), "text -> sentiment", raw, text="x")


def test_unlabelled_text_goes_to_the_last_field_without_other_labels():
    prediction, _ = run(LenientChatAdapter(), "question -> reasoning, answer", "Reasoning: it is 4", question="2+2?")
    assert (prediction.reasoning, prediction.answer) == ("", "it is 4")


def test_compact_chat_adapter_sends_plain_turns_and_reads_bare_answers():
    from pytest_arbitrage.adapters import CompactChatAdapter

    signature = dspy.Signature("text -> sentiment", "Classify the sentiment.")
    demos = [{"text": "I love it", "sentiment": "positive"}, {"text": "Awful.", "sentiment": "negative"}]
    messages = CompactChatAdapter().format(signature, demos, {"text": "It is a chair."})
    assert [m["role"] for m in messages] == ["system", "user", "assistant", "user", "assistant", "user"]
    assert messages[0]["content"] == "Classify the sentiment.\nAnswer with the sentiment only."
    assert messages[1]["content"] == "Text: I love it" and messages[2]["content"] == "positive"
    assert not any("[[" in m["content"] for m in messages)
    assert CompactChatAdapter().parse(signature, "neutral, I think") == {"sentiment": "neutral, I think"}
    with pytest.raises(dspy.utils.exceptions.AdapterParseError):
        CompactChatAdapter().parse(signature, "   ")


def test_compact_chat_adapter_labels_several_outputs():
    from pytest_arbitrage.adapters import CompactChatAdapter

    signature = dspy.Signature("question -> reasoning, answer")
    demo = {"question": "2+2?", "reasoning": "Two and two.", "answer": "4"}
    messages = CompactChatAdapter().format(signature, [demo], {"question": "3+3?"})
    assert messages[2]["content"] == "Reasoning: Two and two.\nAnswer: 4"
    assert CompactChatAdapter().parse(signature, "Reasoning: add\nAnswer: 6") == {"reasoning": "add", "answer": "6"}
