"""In-process llama.cpp models as a DSPy 3.4 engine (`dspy.LM(..., engine=LlamaCppEngine(...))`).

- Each GGUF file is loaded once per process (`load_llama`, keyed by path and settings)
  and shared by every engine and thread; a per-model lock serialises calls because a
  llama.cpp context is not thread-safe.
- Decoding is greedy (temperature 0 unless a call asks otherwise) with a fixed seed and
  a fixed thread count, and the prompt cache reuses only whole batch chunks
  (`AlignedPrefixReuse`), so an output depends only on its prompt, not on what the
  process evaluated before.
- Sampling (temperature > 0): DSPy keeps `rollout_id` out of engine requests, so a sample is
  seeded from what the caller says instead: the request's own `seed` (our repeats set one), plus
  the sample index a sampling module marks (`pytest_arbitrage.sampling`). Unmarked repeats of one
  request (DSPy's BestOfN and Refine attempts) are drawn with seed + n for the n-th that reaches
  the engine: they differ, though which draw an attempt gets then depends on the cache's state.
- Chat models go through `create_chat_completion` (the GGUF's chat template); base
  models through `create_completion` on the plain text of the request.
"""
from __future__ import annotations

import atexit
import hashlib
import os
import threading
import time
from collections import Counter
from dataclasses import asdict, dataclass, field

import numpy as np
from dspy.clients.engines.base import validate_request
from dspy.lm15 import ContextLengthError, Message, Response, TextPart, Usage, response_to_events

from ..sampling import current_sample
from .specs import MODEL_ID_KEY, ModelUnavailable

SAMPLE_SEED_STRIDE = 1_000_003  # a marked sample's seed offset: apart from the repeats' seed + r

_FINGERPRINT_BLOCK = 4 * 1024 * 1024
THREADS_ENV = "ARBITRAGE_LLAMA_THREADS"
WAIT_POLICY_ENV = "OMP_WAIT_POLICY"
WORKERS_ENV = "PYTEST_XDIST_WORKER_COUNT"  # set by pytest-xdist in its workers
MAX_THREADS = 8  # measured only up to 2 here; a 135M-270M model's matrices are small


@dataclass(frozen=True)
class ThreadPlan:
    threads: int  # llama.cpp threads for one token at a time (generation)
    batch_threads: int  # for prompts, evaluated in n_batch chunks
    wait_policy: str  # libgomp's OMP_WAIT_POLICY: "passive" (sleep), or the user's own


def thread_plan(*, cores: int, workers: int = 1, threads: str | None = None,
                wait_policy: str | None = None) -> ThreadPlan:
    """The llama.cpp threads and wait policy of one of `workers` processes sharing `cores`.

    llama.cpp's CPU backend runs an OpenMP team that meets at a barrier after every op. Spinning
    there (active) beat sleeping (passive) 2.7x in generation on an idle machine, but it crawls
    whenever some other process holds a core, which no count of xdist workers foresees: on the
    shared 2-core machine, 2 threads, one process, tg 2 tok/s active vs 24 passive (and 4 vs 40
    with a spin of only 10k rounds). So waiting is passive unless the user says otherwise. Prompts
    get the cores the process's worker has to itself; a sleeping team lost to one thread in
    generation (53 vs 78 tok/s), so tokens get one (a spinning team, if asked for, gets them all).
    `threads` ($ARBITRAGE_LLAMA_THREADS) and `wait_policy` ($OMP_WAIT_POLICY), when given, win.
    """
    policy = wait_policy or "passive"
    if threads:
        return ThreadPlan(int(threads), int(threads), policy)
    batch = max(1, min(MAX_THREADS, cores // max(1, workers)))
    return ThreadPlan(batch if policy.lower() == "active" else 1, batch, policy)


def usable_cores() -> int:
    """The cores this process may run on (its affinity mask: taskset, cgroups cpusets)."""
    return len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else os.cpu_count() or 1


def environment_plan(environ=os.environ) -> ThreadPlan:
    return thread_plan(cores=usable_cores(), workers=int(environ.get(WORKERS_ENV) or 1),
                       threads=environ.get(THREADS_ENV), wait_policy=environ.get(WAIT_POLICY_ENV))


PLAN = environment_plan()  # at import: on an xdist worker, PYTEST_XDIST_WORKER_COUNT is set by now
# libgomp reads this once, as it loads with llama_cpp (first use, below, or anyone's `import llama_cpp`
# after this module's), so it is set here; child processes inherit only the safe "passive" (or the user's).
os.environ.setdefault(WAIT_POLICY_ENV, PLAN.wait_policy)


def _default_threads() -> int:
    return PLAN.threads


def _default_batch_threads() -> int:
    return PLAN.batch_threads


@dataclass(frozen=True)
class LlamaSettings:
    """Everything that changes how a GGUF file is loaded or decoded.

    Prompt caching (`reuse_prefix`): llama-cpp-python reuses the KV cache of the previous
    prompt's common prefix, but re-evaluating the rest in a differently sized batch changed
    logits by up to 0.47 here, so an output depended on what ran before. With `reuse_prefix`
    only whole `n_batch` chunks are reused, so every prompt is evaluated in the same chunks
    as from scratch: logits bitwise identical to a fresh context (tested), and 3-4x faster
    on DSPy prompts that share instructions and demos. `reuse_prefix=False` re-evaluates
    every prompt. `n_threads` (generation) and `n_threads_batch` (prompts; defaults: `thread_plan`'s,
    or $ARBITRAGE_LLAMA_THREADS for both) gave bitwise-identical logits for 1 and 2 threads.
    """

    n_ctx: int = 2048
    n_threads: int = field(default_factory=_default_threads)
    n_threads_batch: int = field(default_factory=_default_batch_threads)
    n_batch: int = 64
    seed: int = 0
    reuse_prefix: bool = True
    default_max_tokens: int = 256


class AlignedPrefixReuse:
    """Wraps `Llama.generate` so a call reuses only whole `n_batch` chunks of the previous prompt.

    llama-cpp-python's own prefix matching reuses any common prefix; here `n_tokens` is set
    first to the longest chunk-aligned common prefix, which its matching then keeps exactly.
    Generated tokens (evaluated one by one) and a partial last chunk are never reused.
    """

    def __init__(self, llm):
        self.llm, self.original = llm, llm.generate
        self.prompt_len = 0  # tokens of the last prompt, all evaluated in whole-chunk order
        self.enabled = True
        llm.generate = self.generate

    def generate(self, tokens, *args, **kwargs):
        tokens = list(tokens)
        self.llm.n_tokens = self.reusable(tokens) if self.enabled else 0
        self.prompt_len = 0
        for i, token in enumerate(self.original(tokens, *args, **kwargs)):
            if i == 0:
                self.prompt_len = len(tokens)
            yield token

    def reusable(self, tokens: list[int]) -> int:
        previous = self.llm.input_ids[: min(self.prompt_len, len(tokens) - 1)]
        differ = np.flatnonzero(previous != np.asarray(tokens[: len(previous)]))
        common = int(differ[0]) if differ.size else len(previous)
        return common // self.llm.n_batch * self.llm.n_batch


@dataclass
class LoadedModel:
    llm: object
    lock: threading.Lock
    load_seconds: float
    reuse: AlignedPrefixReuse
    calls: int = 0
    draws: Counter = field(default_factory=Counter)  # sampled requests seen, by request


_LOADED: dict[tuple, LoadedModel] = {}
_LOADED_LOCK = threading.Lock()
_FINGERPRINTS: dict[tuple, str] = {}


def load_llama(path: str, settings: LlamaSettings) -> LoadedModel:
    """The process-wide `llama_cpp.Llama` for (path, settings), loading it on first use."""
    key = (os.path.realpath(path), settings.n_ctx, settings.n_threads, settings.n_threads_batch, settings.n_batch,
           settings.seed)
    with _LOADED_LOCK:
        loaded = _LOADED.get(key)
        if loaded is None:
            loaded = _LOADED[key] = _load(key[0], settings)
        return loaded


def close_models() -> None:
    """Free every loaded model (at exit, before the interpreter tears down llama_cpp's globals)."""
    with _LOADED_LOCK:
        loaded = list(_LOADED.values())
        _LOADED.clear()
    for model in loaded:
        with model.lock:
            model.llm.close()


atexit.register(close_models)


def _load(path: str, settings: LlamaSettings) -> LoadedModel:
    from llama_cpp import Llama

    start = time.perf_counter()
    llm = Llama(
        model_path=path, n_ctx=settings.n_ctx, n_threads=settings.n_threads,
        n_threads_batch=settings.n_threads_batch, n_batch=settings.n_batch, seed=settings.seed,
        logits_all=False, verbose=False,
    )
    return LoadedModel(llm=llm, lock=threading.Lock(), load_seconds=time.perf_counter() - start,
                       reuse=AlignedPrefixReuse(llm))


def file_fingerprint(path: str) -> str:
    """A content fingerprint of a model file: size plus sha256 of its first and last 4 MiB.

    Stable across machines and venv locations (unlike the path), cheap for big files.
    """
    stat = os.stat(path)
    memo = (os.path.realpath(path), stat.st_size, stat.st_mtime_ns)
    if memo not in _FINGERPRINTS:
        digest = hashlib.sha256(str(stat.st_size).encode())
        with open(path, "rb") as f:
            digest.update(f.read(_FINGERPRINT_BLOCK))
            f.seek(max(0, stat.st_size - _FINGERPRINT_BLOCK))
            digest.update(f.read(_FINGERPRINT_BLOCK))
        _FINGERPRINTS[memo] = f"{stat.st_size}:{digest.hexdigest()[:16]}"
    return _FINGERPRINTS[memo]


class LlamaCppEngine:
    """A DSPy engine answering `complete(Request) -> Response` with a local GGUF model."""

    def __init__(self, path: str, *, chat: bool = True, settings: LlamaSettings | None = None):
        self.path = os.path.abspath(path)
        self.chat = chat
        self.settings = settings or LlamaSettings()

    @property
    def model(self) -> LoadedModel:
        return load_llama(self.path, self.settings)

    def complete(self, request) -> Response:
        validate_request(request)
        loaded = self.model
        kwargs = self._generation_kwargs(request)
        with loaded.lock:
            if kwargs["temperature"]:
                kwargs["seed"] += _sample_offset(loaded, request, kwargs)
            loaded.reuse.enabled = self.settings.reuse_prefix
            result = self._generate(loaded.llm, request, kwargs)
            loaded.calls += 1
        return self._response(result)

    def _generation_kwargs(self, request) -> dict:
        config = request.config
        temperature = config.temperature or 0.0
        return {
            "max_tokens": config.max_tokens or self.settings.default_max_tokens,
            "temperature": temperature,
            "top_k": 40 if temperature else 1,
            "seed": config.seed if config.seed is not None else self.settings.seed,
            "stop": list(config.stop),
        }

    def _generate(self, llm, request, kwargs: dict) -> dict:
        try:
            if self.chat:
                return llm.create_chat_completion(messages=chat_messages(request), **kwargs)
            return llm.create_completion(prompt=plain_prompt(request), **kwargs)
        except ValueError as exc:  # llama-cpp-python's "Requested tokens exceed context window"
            if "context window" in str(exc):
                raise ContextLengthError(str(exc), provider="llamacpp") from exc
            raise

    def _response(self, result: dict) -> Response:
        choice = result["choices"][0]
        text = choice["message"]["content"] if self.chat else choice["text"]
        usage = result.get("usage") or {}
        return Response(
            id=None, model=os.path.basename(self.path), message=Message.assistant([TextPart(text or "")]),
            finish_reason="length" if choice.get("finish_reason") == "length" else "stop",
            usage=Usage(input_tokens=usage.get("prompt_tokens"), output_tokens=usage.get("completion_tokens")),
        )

    def stream(self, request):
        return response_to_events(self.complete(request))

    def close(self) -> None:
        """Models are shared per process, so an engine has nothing of its own to close."""

    def dump_state(self) -> dict:
        return {"path": self.path, "chat": self.chat, "settings": asdict(self.settings)}

    @classmethod
    def load_state(cls, state: dict) -> "LlamaCppEngine":
        return cls(state["path"], chat=state.get("chat", True), settings=LlamaSettings(**state.get("settings", {})))


def _sample_offset(loaded: LoadedModel, request, kwargs: dict) -> int:
    marked = current_sample()
    if marked is not None:
        return marked * SAMPLE_SEED_STRIDE
    if request.config.seed is not None:
        return 0
    return _next_draw(loaded, request, kwargs)


def _next_draw(loaded: LoadedModel, request, kwargs: dict) -> int:
    key = hashlib.sha256(repr((chat_messages(request), sorted(kwargs.items()))).encode()).hexdigest()
    draw = loaded.draws[key]
    loaded.draws[key] += 1
    return draw


def chat_messages(request) -> list[dict]:
    """The request as OpenAI-style chat messages (text only)."""
    messages = []
    system = system_text(request)
    if system:
        messages.append({"role": "system", "content": system})
    messages.extend({"role": m.role, "content": m.text or ""} for m in request.messages)
    return messages


def plain_prompt(request) -> str:
    """The request as one plain-text prompt for a base model: system, then each message's text."""
    parts = [system_text(request)] + [m.text or "" for m in request.messages]
    return "\n\n".join(p for p in parts if p)


def system_text(request) -> str:
    system = request.system
    if system is None:
        return ""
    return system if isinstance(system, str) else "".join(getattr(p, "text", "") for p in system)


def provision(spec, lm_kwargs: dict, *, settings: LlamaSettings | None = None, **_):
    """The provider registry's entry: a `dspy.LM` over this process's engine for `spec`."""
    import dspy

    engine = _loaded_engine(spec, settings or LlamaSettings())
    # n_batch sets the evaluation chunks, which decide the last bits of the logits.
    model_id = f"{file_fingerprint(engine.path)}:{'chat' if spec.chat else 'base'}:b{engine.settings.n_batch}"
    metadata = {**lm_kwargs.pop("metadata", {}), MODEL_ID_KEY: model_id}
    return dspy.LM(spec.model, engine=engine, **{"num_retries": 0, **lm_kwargs, "metadata": metadata})


def _loaded_engine(spec, settings: LlamaSettings) -> "LlamaCppEngine":
    """The engine with its model loaded now: a broken file or a missing llama-cpp-python is a skip, not 100 errors."""
    from .embedded import gguf_path

    engine = LlamaCppEngine(gguf_path(spec), chat=spec.chat, settings=settings)
    try:
        engine.model
    except ImportError:
        raise ModelUnavailable("llama-cpp-python is not installed: pip install llama-cpp-python") from None
    except (ValueError, RuntimeError, OSError) as exc:
        raise ModelUnavailable(f"llama.cpp could not load {engine.path}: {exc}") from None
    return engine
