"""The llama.cpp thread plan: threads per process and libgomp's wait policy, before llama_cpp loads."""
import os
import subprocess
import sys

import pytest

from pytest_arbitrage.providers import llamacpp
from pytest_arbitrage.providers.llamacpp import MAX_THREADS, LlamaSettings, ThreadPlan, thread_plan


def test_one_process_on_two_cores_gets_both_for_prompts_one_for_tokens_and_sleeps():
    assert thread_plan(cores=2) == ThreadPlan(threads=1, batch_threads=2, wait_policy="passive")


@pytest.mark.parametrize("cores, workers, batch", [(2, 2, 1), (2, 3, 1), (8, 2, 4), (8, 3, 2), (1, 1, 1)])
def test_prompt_threads_are_the_cores_each_xdist_worker_has_to_itself(cores, workers, batch):
    assert thread_plan(cores=cores, workers=workers) == ThreadPlan(1, batch, "passive")


def test_threads_are_capped_on_big_machines():
    assert thread_plan(cores=64).batch_threads == MAX_THREADS


def test_the_plan_never_spins_by_itself():
    policies = {thread_plan(cores=c, workers=w).wait_policy for c in range(1, 17) for w in range(1, 17)}
    assert policies == {"passive"}


@pytest.mark.parametrize("cores, workers", [(c, w) for c in (1, 2, 3, 8) for w in (1, 2, 3, 8)])
def test_a_spinning_team_asked_for_never_has_more_threads_than_free_cores(cores, workers):
    plan = thread_plan(cores=cores, workers=workers, wait_policy="active")
    assert plan.wait_policy == "active" and plan.threads == plan.batch_threads
    assert plan.threads == 1 or plan.threads * workers <= cores  # one thread forms no team: nothing spins


def test_the_users_thread_count_wins_everywhere():
    assert thread_plan(cores=2, workers=2, threads="3") == ThreadPlan(3, 3, "passive")
    assert thread_plan(cores=16, threads="1", wait_policy="ACTIVE") == ThreadPlan(1, 1, "ACTIVE")


def test_the_plan_is_read_from_the_environment(monkeypatch):
    monkeypatch.setattr(llamacpp, "usable_cores", lambda: 4)
    assert llamacpp.environment_plan({}) == ThreadPlan(1, 4, "passive")
    assert llamacpp.environment_plan({"PYTEST_XDIST_WORKER_COUNT": "2"}) == ThreadPlan(1, 2, "passive")
    assert llamacpp.environment_plan({"ARBITRAGE_LLAMA_THREADS": "2", "OMP_WAIT_POLICY": "active"}) == \
        ThreadPlan(2, 2, "active")


def test_settings_default_to_the_plan():
    settings = LlamaSettings()
    assert (settings.n_threads, settings.n_threads_batch) == (llamacpp.PLAN.threads, llamacpp.PLAN.batch_threads)


def _libgomp_settings(code: str, **env) -> str:
    """What libgomp printed of its settings as it loaded in a fresh process running `code`.
    (It prints OMP_WAIT_POLICY = 'PASSIVE' when the variable is unset too: its spin count tells them apart.)"""
    base = {k: v for k, v in os.environ.items() if k not in ("OMP_WAIT_POLICY", "PYTEST_XDIST_WORKER_COUNT")}
    done = subprocess.run([sys.executable, "-c", code], env=base | {"OMP_DISPLAY_ENV": "VERBOSE"} | env,
                          capture_output=True, text=True, timeout=120)
    assert done.returncode == 0, done.stderr
    return done.stderr


def test_libgomp_loads_passive_even_when_someone_imports_llama_cpp_directly():
    pytest.importorskip("llama_cpp")
    code = "import pytest_arbitrage.providers.llamacpp; import llama_cpp"
    assert "GOMP_SPINCOUNT = '0'" in _libgomp_settings(code, PYTEST_XDIST_WORKER_COUNT="2")
    assert "GOMP_SPINCOUNT = '0'" in _libgomp_settings(code)  # never libgomp's default of spinning 300000 rounds


def test_the_users_wait_policy_reaches_libgomp():
    pytest.importorskip("llama_cpp")
    settings = _libgomp_settings("import pytest_arbitrage.providers.llamacpp; import llama_cpp", OMP_WAIT_POLICY="active")
    assert "OMP_WAIT_POLICY = 'ACTIVE'" in settings


@pytest.mark.real_model
def test_outputs_do_not_depend_on_the_thread_counts():
    pytest.importorskip("llama_cpp")
    from dspy.lm15 import Config, Message, Request

    from pytest_arbitrage.providers import parse_model_spec
    from pytest_arbitrage.providers.embedded import gguf_path

    try:
        path = gguf_path(parse_model_spec("llamacpp/smollm2-135m"))
    except llamacpp.ModelUnavailable as exc:
        pytest.skip(exc.reason)
    text = "The soup was cold and bland, a waste of money. " * 12  # a prompt of several n_batch chunks
    request = Request(model="llamacpp/x", system="Classify the sentiment.", messages=(Message.user(text),),
                      config=Config(max_tokens=16, temperature=0.0))
    answers = {(t, b): llamacpp.LlamaCppEngine(path, settings=LlamaSettings(n_threads=t, n_threads_batch=b))
               .complete(request).text for t, b in ((1, 1), (1, 2), (2, 2))}
    assert len(set(answers.values())) == 1, answers
