"""Lenient DSPy adapters for small models that ignore DSPy's field markers and JSON (SPEC section 8).

- `LenientChatAdapter`: formats exactly like `dspy.ChatAdapter`; parses the normal way and,
  when that fails, falls back to reading plain text (never to JSONAdapter, which doubles
  the calls and which tiny models cannot follow either).
- `CompactChatAdapter`: for tiny in-process chat models: plain chat turns, no markers.
- `CompletionAdapter`: for base (not instruction-tuned) models. One plain prompt: the
  instructions, the demos as "Field: value" blocks, the inputs, then the first output
  field's label ("Sentiment:") for the model to continue; generation stops at a blank line.

Fallback rules (`lenient_parse`): "Field: value" lines are read first; with one output
field the whole text (minus stray markers) is the answer; with several, the whole text
goes to the last field and the others are empty. Typed fields are coerced leniently
(first allowed label for a Literal, first number for int/float, yes/no for bool).
Only an empty or uncoercible output raises `AdapterParseError`, which the plugin
records as `parse_error`. Each fallback is counted in `track_lenient_parses()`.
"""
from __future__ import annotations

import contextvars
import enum
import re
import textwrap
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import Any, Iterator, Literal, get_args, get_origin

import dspy
from dspy.adapters.utils import parse_value
from dspy.utils.exceptions import AdapterParseError

_MARKER = re.compile(r"\[\[\s*##\s*\w+\s*##\s*\]\]")
_NUMBER = re.compile(r"-?\d+(?:\.\d+)?")
_TRUE, _FALSE = {"yes", "true", "correct", "1"}, {"no", "false", "incorrect", "0"}
COMPLETION_STOP = ("\n\n",)


@dataclass
class LenientParseLog:
    """How many parses needed the fallback within a `track_lenient_parses()` block."""

    fallbacks: int = 0
    texts: list[str] = field(default_factory=list)


_LOG: contextvars.ContextVar[LenientParseLog | None] = contextvars.ContextVar("arbitrage_lenient_log", default=None)


@contextmanager
def track_lenient_parses() -> Iterator[LenientParseLog]:
    """Count lenient fallbacks made in this context (threads need `contextvars.copy_context()`)."""
    log = LenientParseLog()
    token = _LOG.set(log)
    try:
        yield log
    finally:
        _LOG.reset(token)


def _record_fallback(completion: str) -> None:
    log = _LOG.get()
    if log is not None:
        log.fallbacks += 1
        log.texts.append(completion)


class LenientChatAdapter(dspy.ChatAdapter):
    """ChatAdapter that reads plain-text answers when the field markers are missing."""

    def __init__(self, **kwargs: Any):
        kwargs.setdefault("use_json_adapter_fallback", False)
        super().__init__(**kwargs)

    def parse(self, signature, completion: str) -> dict[str, Any]:
        try:
            return super().parse(signature, completion)
        except AdapterParseError as exc:
            return _fallback_or_raise(signature, completion, exc, type(self).__name__)


class CompletionAdapter(dspy.Adapter):
    """A single plain-text prompt for base models, completed after the first output label."""

    def __call__(self, lm, lm_kwargs, signature, demos, inputs):
        return super().__call__(lm, _with_stop(lm_kwargs), signature, demos, inputs)

    async def acall(self, lm, lm_kwargs, signature, demos, inputs):
        return await super().acall(lm, _with_stop(lm_kwargs), signature, demos, inputs)

    def format(self, signature, demos, inputs) -> list[dict[str, Any]]:
        blocks = [textwrap.dedent(signature.instructions).strip()]
        blocks += [self._block(signature, demo) for demo in demos if _has_output(signature, demo)]
        blocks.append(self._block(signature, inputs, query=True))
        return [{"role": "user", "content": "\n\n".join(b for b in blocks if b)}]

    def _block(self, signature, values: dict, *, query: bool = False) -> str:
        lines = [f"{label(f)} {_one_paragraph(values[n])}" for n, f in signature.input_fields.items() if n in values]
        if query:
            return "\n".join(lines + [label(next(iter(signature.output_fields.values())))])
        lines += [f"{label(f)} {_one_paragraph(values[n])}" for n, f in signature.output_fields.items()
                  if values.get(n) is not None]
        return "\n".join(lines)

    def parse(self, signature, completion: str) -> dict[str, Any]:
        first = next(iter(signature.output_fields.values()))
        text = f"{label(first)} {completion.strip()}"
        try:
            return _coerce_all(signature, read_labelled(signature, text), strict=True)
        except (AdapterParseError, ValueError) as exc:
            return _fallback_or_raise(signature, completion, exc, type(self).__name__)


class CompactChatAdapter(CompletionAdapter):
    """For tiny chat models: the instructions as the system message, each demo as a user turn
    ("Field: value" inputs) and an assistant turn (the bare answer, or "Field: value" lines when
    there are several outputs), then the inputs. No markers to echo; parsed like a completion.

    Measured on SmolLM2-135M, 40 sentiment examples: ChatAdapter's format 5/40 zero-shot and
    0/40 with 3 demos (33 and 40 parse errors); this format 10/40 and 14/40 (16 and 0).
    """

    def format(self, signature, demos, inputs) -> list[dict[str, Any]]:
        outputs = list(signature.output_fields)
        system = textwrap.dedent(signature.instructions).strip()
        if len(outputs) == 1:
            system += f"\nAnswer with the {outputs[0].replace('_', ' ')} only."
        messages = [{"role": "system", "content": system}]
        for demo in (d for d in demos if _has_output(signature, d)):
            messages += [{"role": "user", "content": self._inputs(signature, demo)},
                         {"role": "assistant", "content": self._answer(signature, demo)}]
        return messages + [{"role": "user", "content": self._inputs(signature, inputs)}]

    def _inputs(self, signature, values: dict) -> str:
        return "\n".join(f"{label(f)} {_one_paragraph(values[n])}" for n, f in signature.input_fields.items()
                         if n in values)

    def _answer(self, signature, values: dict) -> str:
        if len(signature.output_fields) == 1:
            return _one_paragraph(values[next(iter(signature.output_fields))])
        return "\n".join(f"{label(f)} {_one_paragraph(values[n])}" for n, f in signature.output_fields.items()
                         if values.get(n) is not None)

    def parse(self, signature, completion: str) -> dict[str, Any]:
        try:
            return _coerce_all(signature, read_labelled(signature, completion), strict=True)
        except (AdapterParseError, ValueError) as exc:
            return _fallback_or_raise(signature, completion, exc, type(self).__name__)


def lenient_parse(signature, completion: str) -> dict[str, Any] | None:
    """Outputs read from free text by the fallback rules, or None when nothing usable is there."""
    text = _MARKER.sub("", completion or "").strip()
    names = list(signature.output_fields)
    values = read_labelled(signature, text)
    if not values.get(names[-1]):
        bare = without_labels(signature, text)
        if not bare:
            return None
        values = {name: "" for name in names[:-1]} | {names[-1]: bare}
    try:
        return _coerce_all(signature, values, strict=False)
    except ValueError:
        return None


def read_labelled(signature, text: str) -> dict[str, str]:
    """Values of "Field: value" lines (by field name or label, any case); a value runs to the next label."""
    patterns = {name: _label_pattern(name, f) for name, f in signature.output_fields.items()}
    values: dict[str, list[str]] = {}
    current = None
    for line in text.splitlines():
        hit = next(((n, m) for n, p in patterns.items() if (m := p.match(line))), None)
        if hit and hit[0] not in values:
            current = hit[0]
            values[current] = [line[hit[1].end():].strip()]
        elif current is not None:
            values[current].append(line)
    return {n: "\n".join(v).strip() for n, v in values.items()}


def label(field_info) -> str:
    """The "Field:" label DSPy infers for a field (`json_schema_extra['prefix']`)."""
    prefix = (field_info.json_schema_extra or {}).get("prefix") or ""
    return prefix if prefix.endswith(":") else f"{prefix}:"


def without_labels(signature, text: str) -> str:
    """`text` with any output-field label ("Answer:") cut from the start of its lines."""
    patterns = [_label_pattern(name, f) for name, f in signature.output_fields.items()]
    lines = [next((p.sub("", line, count=1) for p in patterns if p.match(line)), line) for line in text.splitlines()]
    return "\n".join(lines).strip()


def _label_pattern(name: str, field_info) -> re.Pattern:
    words = {re.escape(name), re.escape(name.replace("_", " ")), re.escape(label(field_info)[:-1])}
    return re.compile(rf"^\s*[*#\s]*(?:{'|'.join(sorted(words))})[*\s]*:\**", re.IGNORECASE)


def _coerce_all(signature, values: dict[str, str], *, strict: bool) -> dict[str, Any]:
    """Every output field coerced to its type; `strict` also wants every field present and the last non-empty."""
    last = list(signature.output_fields)[-1]
    if strict and (values.keys() != signature.output_fields.keys() or not values[last]):
        raise ValueError(f"expected every output field and a non-empty {last}, got {sorted(values)}")
    return {name: coerce(values.get(name, ""), f.annotation) for name, f in signature.output_fields.items()}


def coerce(value: str, annotation) -> Any:
    """`value` as `annotation`, trying DSPy's parser first and then a lenient reading; ValueError if neither."""
    if annotation is str:
        return value
    try:
        return parse_value(value, annotation)
    except Exception:  # noqa: BLE001 - pydantic and json errors alike mean "try the lenient reading"
        pass
    lenient = _lenient_value(value, annotation)
    if lenient is None:
        raise ValueError(f"cannot read {value!r} as {annotation}")
    return lenient


def _lenient_value(value: str, annotation) -> Any:
    if get_origin(annotation) is Literal or isinstance(annotation, enum.EnumMeta):
        options = get_args(annotation) if get_origin(annotation) is Literal else list(annotation)
        return _first_option(value, options)
    if annotation is bool:
        words = re.findall(r"\w+", value.lower())
        return next((w in _TRUE for w in words if w in _TRUE | _FALSE), None)
    if annotation in (int, float):
        match = _NUMBER.search(value.replace(",", ""))
        return annotation(float(match.group())) if match else None
    return None


def _first_option(value: str, options) -> Any:
    """The option whose text appears first in `value` (case-insensitive, whole words)."""
    found = []
    for option in options:
        text = str(getattr(option, "value", option))
        match = re.search(rf"(?<!\w){re.escape(text)}(?!\w)", value, re.IGNORECASE)
        if match:
            found.append((match.start(), -len(text), option))
    return min(found, key=lambda t: t[:2])[2] if found else None


def _fallback_or_raise(signature, completion: str, exc: Exception, adapter_name: str) -> dict[str, Any]:
    values = lenient_parse(signature, completion)
    if values is None:
        if isinstance(exc, AdapterParseError):
            raise exc
        raise AdapterParseError(adapter_name=adapter_name, signature=signature, lm_response=completion,
                                message=str(exc)) from exc
    _record_fallback(completion)
    return values


def _with_stop(lm_kwargs: dict) -> dict:
    return {**lm_kwargs, "stop": lm_kwargs.get("stop") or list(COMPLETION_STOP)}


def _has_output(signature, demo: dict) -> bool:
    return any(demo.get(n) is not None for n in signature.output_fields)


def _one_paragraph(value: Any) -> str:
    """A value with blank lines squeezed, so a blank line only ever separates blocks."""
    return re.sub(r"\n\s*\n+", "\n", str(value)).strip()
