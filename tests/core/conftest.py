"""Fixtures for running the plugin through pytester on scripted (fake) models."""
import json
import textwrap
from pathlib import Path

import pytest

SWEEP_TEST = (Path(__file__).parents[2] / "benchmarks" / "test_sweep.py").read_text()

# A conftest for the inner pytest run: every model is a scripted LM whose answer is a
# pure function of the prompt, except `openai/down` (unavailable), `openai/broken` (every call
# fails), `openai/interrupt` (Ctrl-C after 3 calls) and `openai/crash` (the process dies). The patch is undone at unconfigure, so in-process runs don't leak.
FAKE_MODELS_CONFTEST = textwrap.dedent('''
    import hashlib
    import json
    import os
    import pytest_arbitrage.evaluation as evaluation
    import pytest_arbitrage.providers as providers
    from pytest_arbitrage.testing import scripted_lm

    ANSWERS = ["positive", "negative", "neutral", "The answer is 12", "7"]
    ENGINES = {}

    def respond(prompt):
        if os.environ.get("ARB_FAKE_MODE") == "mute":  # a regressed model: nothing readable
            return "..."
        digest = int(hashlib.sha256(prompt.encode()).hexdigest(), 16)
        return ANSWERS[digest % len(ANSWERS)]

    def fail(prompt):
        raise ConnectionError("scripted outage")

    def dies_after(calls, death):
        count = [0]
        def respond_then_die(prompt):
            count[0] += 1
            if count[0] > calls:
                death()
            return respond(prompt)
        return respond_then_die

    def interrupt():
        raise KeyboardInterrupt

    def crash():
        os._exit(3)

    def reader(prompt):
        """Reads a weather report right only under the README task's own instruction."""
        import re
        if "Does the weather report describe" not in prompt:
            return "unsure"
        t = int(re.findall(r"(-?\\d+) ?(?:degrees|°C| C)", prompt)[-1])
        return "cold" if t < 10 else "mild" if t <= 22 else "hot"

    def slow(prompt):
        import time
        time.sleep(0.3)
        return respond(prompt)

    RESPONDERS = {"broken": fail, "interrupt": dies_after(3, interrupt), "crash": dies_after(3, crash),
                  "reader": reader, "slow": slow, "interrupt0": dies_after(0, interrupt)}

    def fake_provision(model, **kwargs):
        if model.spec.endswith("/down"):
            raise providers.ModelUnavailable("the fake server is down; start it with `fake serve`")
        lm = scripted_lm(RESPONDERS.get(model.spec.rsplit("/", 1)[-1], respond), model=model.spec)
        ENGINES[model.spec] = lm.engine
        return lm

    def pytest_arbitrage_provision_lm(spec, max_tokens):
        return fake_provision(spec)

    _saved = {}

    def pytest_configure(config):
        _saved["delays"] = evaluation.RETRY_DELAYS  # no backoff waits in fast tests
        evaluation.RETRY_DELAYS = (0.0, 0.0)

    def pytest_unconfigure(config):
        calls = {spec: engine.calls for spec, engine in ENGINES.items()}
        (config.rootpath / "engine_calls.json").write_text(json.dumps(calls))
        evaluation.RETRY_DELAYS = _saved["delays"]
''')


@pytest.fixture
def sweep(pytester):
    """A pytester project holding the benchmark test and the fake-model conftest.

    Runs go to a subprocess: after an in-process run, importlib.metadata stops
    finding entry points in this process, so the plugin would not load again.
    """
    pytester.runpytest = pytester.runpytest_subprocess
    pytester.makeconftest(FAKE_MODELS_CONFTEST)
    pytester.makepyfile(test_sweep=SWEEP_TEST)
    return pytester


README = (Path(__file__).parents[2] / "README.md").read_text()


def readme_files() -> dict[str, str]:
    """The files of the README's "Your own project" section, by the name on their first line."""
    section = README.split("### Your own project", 1)[1].split("\n## ", 1)[0]
    files = {}
    for block in section.split("```python\n")[1:]:
        code = block.split("```", 1)[0]
        name = code.splitlines()[0].lstrip("# ").split(":")[0]
        files[name] = code
    files["pytest.ini"] = section.split("```ini\n", 1)[1].split("```", 1)[0]
    return files


@pytest.fixture
def own_project(pytester):
    """A project made of the README's files only (plus scripted models): no benchmarks/ folder."""
    pytester.runpytest = pytester.runpytest_subprocess
    files = readme_files()
    assert set(files) == {"my_task.py", "conftest.py", "test_benchmarks.py", "pytest.ini"}
    pytester.makepyfile(my_task=files["my_task.py"], test_benchmarks=files["test_benchmarks.py"])
    pytester.makeconftest(FAKE_MODELS_CONFTEST + "\n" + files["conftest.py"])
    pytester.makefile(".ini", pytest=files["pytest.ini"] + "arbitrage_models = openai/reader\narbitrage_n = 40\n")
    return pytester


def read_results(run_dir: Path) -> list[dict]:
    return [json.loads(line) for line in (run_dir / "results.jsonl").read_text().splitlines()]


def latest_run(root: Path) -> Path:
    return (root / "reports" / "latest").resolve()
