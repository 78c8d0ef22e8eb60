"""Metric helpers shared by the tasks: answer extraction from free text and scoring.

Tiny models ignore output formats, so every reader here takes raw text and finds
the answer in it (the first label word, the final number, "TYPE: entity" pairs).
Each scorer returns a `Score`; a reader that finds nothing gives a parse error.
"""
from __future__ import annotations

import functools
import re
import string
from collections import Counter
from typing import Iterable, Mapping, Sequence

from pytest_arbitrage.tasks.base import Score

# ---------------------------------------------------------------- normalisation


def normalize_answer(text: str) -> str:
    """SQuAD normalisation: lowercase, drop punctuation and articles, squeeze spaces."""
    text = str(text).lower()
    text = "".join(ch for ch in text if ch not in set(string.punctuation))
    text = re.sub(r"\b(a|an|the)\b", " ", text)
    return " ".join(text.split())


def _tokens(text: str) -> list[str]:
    return normalize_answer(text).split()


def exact_match(prediction: str, golds: str | Iterable[str]) -> bool:
    golds = [golds] if isinstance(golds, str) else list(golds)
    pred = normalize_answer(prediction)
    return any(pred == normalize_answer(g) for g in golds)


def token_f1(prediction: str, golds: str | Iterable[str]) -> float:
    """SQuAD token F1, best over the gold answers."""
    golds = [golds] if isinstance(golds, str) else list(golds)
    return max((_f1(_tokens(prediction), _tokens(g)) for g in golds), default=0.0)


def _f1(pred: Sequence[str], gold: Sequence[str]) -> float:
    if not pred or not gold:
        return float(pred == gold)
    overlap = sum((Counter(pred) & Counter(gold)).values())
    if overlap == 0:
        return 0.0
    precision, recall = overlap / len(pred), overlap / len(gold)
    return 2 * precision * recall / (precision + recall)


# ---------------------------------------------------------------- numbers

_NUMBER = re.compile(r"(?<![\w.])-?\$?\s?(?:\d{1,3}(?:,\d{3})+|\d+)(?:\.\d+)?")
_ANSWER_MARKER = re.compile(r"####|answer\s*(?:is|:|=)|final answer|result\s*(?:is|:)", re.I)


def extract_number(text: str) -> float | None:
    """The answer number in free text: the first number after the last answer marker
    ("####", "answer is", "answer:"), else the last number. Accepts "$18", "18.0", "1,800"."""
    text = str(text or "")
    markers = list(_ANSWER_MARKER.finditer(text))
    if markers:
        after = _NUMBER.search(text, markers[-1].end())
        if after:
            return _to_float(after.group())
    found = _NUMBER.findall(text)
    return _to_float(found[-1]) if found else None


def _to_float(token: str) -> float:
    return float(token.replace("$", "").replace(",", "").replace(" ", ""))


def format_number(value: float) -> str:
    """18.0 -> "18", 2.5 -> "2.5" (no exponent)."""
    return str(int(value)) if float(value).is_integer() else repr(float(value))


def numbers_equal(a: float, b: float) -> bool:
    return abs(a - b) <= 1e-6 * max(1.0, abs(b))


def numeric_score(text: str, gold: float | str) -> Score:
    """1 when the answer number in `text` equals `gold`; no number is a parse error."""
    value = extract_number(text)
    if value is None:
        return Score.unparseable(binary=True)
    gold_value = gold if isinstance(gold, (int, float)) else extract_number(gold)
    return Score.binary(gold_value is not None and numbers_equal(value, float(gold_value)))


# ---------------------------------------------------------------- labels


def _label_pattern(label: str) -> str:
    return r"[\s_-]?".join(re.findall(r"[a-z0-9]+", label, re.I))


def first_label(text: str, labels: Iterable[str], aliases: Mapping[str, str] | None = None) -> str | None:
    """The label named first in `text` (whole words, any case; "doom loop" matches
    "doom_loop"). `aliases` maps extra words to labels. The longest label wins a tie."""
    names = {label: label for label in labels}
    names.update(aliases or {})
    pattern, canonical = _label_matcher(tuple(sorted(names.items())))
    match = pattern.search(str(text or ""))
    return canonical.get(_squash(match.group(1))) if match else None


def _squash(word: str) -> str:
    return re.sub(r"[^a-z0-9]+", "", word.lower())


@functools.lru_cache(maxsize=64)
def _label_matcher(names: tuple[tuple[str, str], ...]) -> tuple[re.Pattern, dict[str, str]]:
    ordered = sorted((n for n, _ in names), key=len, reverse=True)
    alternatives = "|".join(_label_pattern(n) for n in ordered)
    pattern = re.compile(r"(?<![a-z0-9])(" + alternatives + r")(?![a-z0-9])", re.I)
    return pattern, {_squash(n): label for n, label in names}


def label_score(text: str, gold: str, labels: Iterable[str], aliases: Mapping[str, str] | None = None) -> Score:
    """Accuracy on the first label word; no label word at all is a parse error."""
    said = first_label(text, labels, aliases)
    if said is None:
        return Score.unparseable(binary=True)
    return Score.binary(said == gold)


_YES_NO = {"yes": True, "no": False, "true": True, "false": False}


def yes_no(text: str) -> bool | None:
    """The first yes/no (or true/false) word in `text`; None when there is none.
    Whole words only: "know", "not", "nothing" and "yesterday" are not answers."""
    said = first_label(text, _YES_NO)
    return None if said is None else _YES_NO[said]


def yes_no_score(text: str, gold: bool) -> Score:
    said = yes_no(text)
    if said is None:
        return Score.unparseable(binary=True)
    return Score.binary(said == bool(gold))


# ---------------------------------------------------------------- summaries


def _lcs_length(a: Sequence[str], b: Sequence[str]) -> int:
    previous = [0] * (len(b) + 1)
    for token in a:
        current = [0]
        for j, other in enumerate(b):
            current.append(previous[j] + 1 if token == other else max(previous[j + 1], current[j]))
        previous = current
    return previous[-1]


def rouge_l_f1(prediction: str, reference: str) -> float:
    """ROUGE-L F1 (beta = 1) over lowercased word tokens."""
    pred, ref = _words(prediction), _words(reference)
    lcs = _lcs_length(pred, ref)
    if lcs == 0:
        return 0.0
    precision, recall = lcs / len(pred), lcs / len(ref)
    return 2 * precision * recall / (precision + recall)


def _words(text: str) -> list[str]:
    return re.findall(r"[a-z0-9]+", str(text).lower())


COPY_NGRAM = 8


def copy_fraction(summary: str, source: str, n: int = COPY_NGRAM) -> float:
    """Fraction of the summary's tokens inside an n-gram copied verbatim from the source."""
    words, source_words = _words(summary), _words(source)
    if len(words) < n:
        return 0.0
    source_grams = {tuple(source_words[i : i + n]) for i in range(len(source_words) - n + 1)}
    covered = [False] * len(words)
    for i in range(len(words) - n + 1):
        if tuple(words[i : i + n]) in source_grams:
            covered[i : i + n] = [True] * n
    return sum(covered) / len(words)


def summary_score(summary: str, reference: str, source: str) -> Score:
    """ROUGE-L F1 against the reference, scaled by (1 - copy fraction) from the source."""
    if not str(summary or "").strip():
        return Score.unparseable(binary=False)
    rouge = rouge_l_f1(summary, reference)
    copied = copy_fraction(summary, source)
    return Score(rouge * (1.0 - copied), details={"rouge_l": rouge, "copy_fraction": copied})


# ---------------------------------------------------------------- entities

ENTITY_TYPES = {
    "PER": "PER", "PERSON": "PER", "ORG": "ORG", "ORGANIZATION": "ORG", "ORGANISATION": "ORG",
    "LOC": "LOC", "LOCATION": "LOC", "MISC": "MISC", "MISCELLANEOUS": "MISC",
}
_TYPE_ALT = "|".join(sorted(ENTITY_TYPES, key=len, reverse=True))
_TYPED_LIST = re.compile(rf"\b({_TYPE_ALT})\b\s*[:=]\s*(.*?)(?=\b(?:{_TYPE_ALT})\b\s*[:=]|[;\n|]|$)", re.I)
_TAGGED = re.compile(rf"([^;,\n()\[\]]+?)\s*[(\[]\s*({_TYPE_ALT})\s*[)\]]", re.I)
_NONE_WORDS = re.compile(r"^\W*(none|no entities|n/?a|nothing|empty)\W*$", re.I)


def parse_entities(text: str) -> Counter:
    """(type, normalised text) pairs from "PER: Ann Lee, Bo Li; LOC: Oslo" or "Ann Lee (PER)"."""
    found: Counter = Counter()
    text = str(text or "")
    for kind, values in _TYPED_LIST.findall(text):
        for value in re.split(r",| and ", values):
            if normalize_answer(value) and not _NONE_WORDS.match(value):
                found[(ENTITY_TYPES[kind.upper()], normalize_answer(value))] += 1
    if not found:
        for value, kind in _TAGGED.findall(text):
            found[(ENTITY_TYPES[kind.upper()], normalize_answer(value))] += 1
    return found


def entity_f1_score(text: str, gold: str) -> Score:
    """Entity-level F1 over (type, text) pairs. Output with no entity and no "none" is unparseable."""
    pred, truth = parse_entities(text), parse_entities(gold)
    if not pred and not _NONE_WORDS.match(str(text or "")):
        return Score.unparseable(binary=False)
    if not pred and not truth:
        return Score(1.0)
    overlap = sum((pred & truth).values())
    if overlap == 0:
        return Score(0.0)
    precision, recall = overlap / sum(pred.values()), overlap / sum(truth.values())
    return Score(2 * precision * recall / (precision + recall))


# ---------------------------------------------------------------- grounded answers


def support_fraction(answer: str, context: str) -> float:
    """Faithfulness: the fraction of the answer's tokens that occur in the context."""
    words = _tokens(answer)
    if not words:
        return 0.0
    context_words = set(_tokens(context))
    return sum(w in context_words for w in words) / len(words)


def grounded_answer_score(answer: str, golds: Sequence[str], context: str) -> Score:
    """Correctness (token F1 vs gold) times faithfulness (answer supported by the context)."""
    answer = short_answer(answer)
    if not answer:
        return Score.unparseable(binary=False)
    f1, faithful = token_f1(answer, golds), support_fraction(answer, context)
    details = {"em": float(exact_match(answer, golds)), "f1": f1, "faithfulness": faithful}
    return Score(f1 * faithful, details=details)


def qa_score(answer: str, golds: Sequence[str]) -> Score:
    """Token F1 as the value (continuous), exact match in details."""
    answer = short_answer(answer)
    if not answer:
        return Score.unparseable(binary=False)
    f1 = token_f1(answer, golds)
    return Score(f1, details={"em": float(exact_match(answer, golds)), "f1": f1})


_ANSWER_PREFIX = re.compile(r"^\s*(?:the\s+)?(?:final\s+)?answer\s*(?:is|:)\s*", re.I)


def short_answer(text: str) -> str:
    """The first non-empty line, without an "Answer:" / "The answer is" prefix."""
    for line in str(text or "").splitlines():
        line = _ANSWER_PREFIX.sub("", line).strip()
        if line:
            return line
    return ""
