"""A deterministic scripted LM for fast tests of programs and of the harness itself.

    lm = scripted_lm(lambda prompt: "positive")
    with dspy.context(lm=lm): ...

It is a real DSPy 3.4 engine, so it goes through `dspy.LM`, its adapters, cache
and usage tracking like any model. Never a substitute for the real-model tests.
"""
from __future__ import annotations

import threading
from typing import Callable

import dspy
from dspy.clients.engines.base import validate_request
from dspy.lm15 import Message, Response, TextPart, Usage, response_to_events


class ScriptedEngine:
    """Answers `respond(prompt_text)`; counts its calls (cache hits never reach it)."""

    def __init__(self, respond: Callable[[str], str]):
        self.respond = respond
        self.calls = 0
        self._lock = threading.Lock()

    def complete(self, request) -> Response:
        validate_request(request)
        prompt = "\n\n".join([_system_text(request.system)] + [m.text or "" for m in request.messages]).lstrip()
        text = self.respond(prompt)
        with self._lock:
            self.calls += 1
        usage = Usage(input_tokens=len(prompt.split()), output_tokens=len(text.split()))
        return Response(id=None, model="scripted", message=Message.assistant([TextPart(text)]),
                        finish_reason="stop", usage=usage)

    def stream(self, request):
        return response_to_events(self.complete(request))

    def close(self) -> None:
        pass


def _system_text(system) -> str:
    """The instructions, which DSPy sends apart from the messages (a string or prompt parts)."""
    if system is None or isinstance(system, str):
        return system or ""
    return "".join(getattr(part, "text", "") or "" for part in system)


def scripted_lm(respond: Callable[[str], str], *, model: str = "scripted/fake", cache: bool = True) -> dspy.LM:
    return dspy.LM(model, engine=ScriptedEngine(respond), cache=cache, num_retries=0, temperature=0.0)

