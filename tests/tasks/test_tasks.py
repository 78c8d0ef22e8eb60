"""Every task: registered, offline splits, file and hub sources, and a run with a fake LM."""
import json
import warnings

import datasets
import dspy
import pytest
from dspy.utils.dummies import DummyLM

from pytest_arbitrage.tasks import DataUnavailable, all_tasks, get_task
from pytest_arbitrage.tasks.base import DataSource, stable_id

EXPECTED = {
    "sentiment", "arithmetic", "classification", "math", "qa", "extraction", "analysis", "synthesis", "agentic",
    "rag", "code", "agent_monitor", "heart_disease",
}
TASKS = sorted(all_tasks())


def test_every_promised_task_is_registered_with_a_valid_name():
    assert EXPECTED <= set(TASKS)
    assert all("-" not in name for name in TASKS)
    with pytest.raises(KeyError, match="valid tasks"):
        get_task("no_such_task")


@pytest.mark.parametrize("name", TASKS)
def test_offline_splits_are_fixed_disjoint_and_large_enough(name):
    task = get_task(name)
    splits = task.load(DataSource())
    ids = [e.example_id for e in splits.train + splits.dev + splits.test]
    assert len(ids) == len(set(ids)), "ids must be unique and splits disjoint"
    assert len(splits.test) >= (164 if name == "code" else 200)
    assert splits.train and splits.dev and splits.origin.startswith("offline")
    again = task.load(DataSource())
    assert [e.example_id for e in again.test] == [e.example_id for e in splits.test]
    example = splits.train[0]
    assert "example_id" not in example.inputs().keys() and example.inputs().keys()
    json.dumps(dict(example))  # records stay plain JSON


def test_example_ids_come_from_content():
    example = get_task("sentiment").load().test[0]
    fields = {k: v for k, v in dict(example).items() if k != "example_id"}
    assert example.example_id == stable_id("sentiment", fields)


@pytest.mark.parametrize("name", ["classification", "heart_disease", "qa"])
def test_depth_builds_a_chain_of_distinct_steps_ending_in_the_tasks_own(name):
    task = get_task(name)
    own_outputs = list(task.signature.output_fields)
    for depth in (1, 2, 3, 4, 5):
        predictors = task.program(depth=depth).predictors()
        assert len(predictors) == depth
        assert list(predictors[-1].signature.output_fields) == own_outputs
        instructions = [p.signature.instructions for p in predictors]
        assert len(set(instructions)) == depth, "each step is a different predictor"
        for before, after in zip(predictors, predictors[1:]):
            (notes,) = before.signature.output_fields
            assert notes in after.signature.input_fields, "each step reads the previous step's notes"
            assert set(task.signature.input_fields) <= set(after.signature.input_fields)


# ---------------------------------------------------------------- file source


def test_file_source_with_and_without_split_field(tmp_path):
    task = get_task("sentiment")
    rows = [{"text": f"thing number {i} was fine", "sentiment": "neutral"} for i in range(40)]
    plain = tmp_path / "plain.jsonl"
    plain.write_text("\n".join(json.dumps(r) for r in rows))
    splits = task.load(DataSource(kind="file", path=plain))
    assert (len(splits.train), len(splits.dev), len(splits.test)) == (10, 10, 20)
    assert splits.origin == f"file:{plain}"
    tagged = tmp_path / "tagged.jsonl"
    tagged.write_text("\n".join(json.dumps({**r, "split": "train" if i < 5 else "test", "example_id": f"mine-{i}"})
                                for i, r in enumerate(rows)))
    splits = task.load(DataSource(kind="file", path=tagged))
    assert [e.example_id for e in splits.train] == [f"mine-{i}" for i in range(5)]
    assert len(splits.test) == 35 and splits.dev == []


def test_file_source_missing_input_field_is_a_clear_error(tmp_path):
    path = tmp_path / "bad.jsonl"
    path.write_text(json.dumps({"review": "x", "sentiment": "positive"}))
    with pytest.raises(ValueError, match="input fields"):
        get_task("sentiment").load(DataSource(kind="file", path=path))


# ---------------------------------------------------------------- hub source


def test_unreachable_hub_falls_back_to_offline_with_a_warning_only_when_allowed(monkeypatch):
    def offline(*args, **kwargs):
        raise ConnectionError("no network")

    monkeypatch.setattr(datasets, "load_dataset", offline)
    with pytest.raises(DataUnavailable, match="openai/gsm8k/main@main .*no network.*data fetch math"):
        get_task("math").load(DataSource(kind="hub"))
    with pytest.warns(UserWarning, match="Using the offline set instead"):
        splits = get_task("math").load(DataSource(kind="hub-or-offline"))
    assert splits.origin == "offline (hub unavailable: openai/gsm8k)"
    assert [e.example_id for e in splits.test] == [e.example_id for e in get_task("math").load().test]


SENTIMENT_FEATURES = datasets.Features(
    {"text": datasets.Value("string"), "label": datasets.ClassLabel(names=["negative", "neutral", "positive"])})
HUB_ROWS = {  # task: (dataset id, train rows, test rows, features)
    "math": ("openai/gsm8k", [{"question": f"q{i}", "answer": f"work\n#### {i},000"} for i in range(6)], None, None),
    "sentiment": ("cardiffnlp/tweet_eval", [{"text": f"t{i}", "label": i % 3} for i in range(6)], None, SENTIMENT_FEATURES),
    "analysis": ("google/boolq", [{"question": f"is it {i}", "passage": "p", "answer": i % 2 == 0} for i in range(6)], None, None),
    "agentic": ("ChilleD/StrategyQA", [{"question": f"could {i}?", "answer": bool(i % 2)} for i in range(6)], None, None),
    "rag": ("rajpurkar/squad", [{"context": f"c {i}", "question": f"q{i}", "answers": {"text": [f"c {i}"], "answer_start": [0]}}
                                for i in range(6)], None, None),
    "qa": ("hotpotqa/hotpot_qa", [{"question": f"q{i}", "answer": "a", "context": {"title": ["T1", "T2"],
                                   "sentences": [["One. ", "Two. ", "Three."], ["Four."]]}} for i in range(6)], None, None),
    "extraction": ("lukasgarbas/conll-03", [{"tokens": ["Ana", "Ruiz", "visited", "Oslo", str(i)],
                                             "ner_tags": [1, 2, 0, 5, 0]} for i in range(6)], None, None),
    "synthesis": ("EdinburghNLP/xsum", [{"document": f"d{i}", "summary": "s", "id": str(i)} for i in range(6)], None, None),
    "heart_disease": ("nezahatkorkmaz/heart-disease-dataset", [
        {"age": 50 + i, "sex": 1, "cp": 1 + i % 4, "trestbps": 140, "chol": 250, "fbs": 0, "restecg": 0, "thalach": 150,
         "exang": 1, "oldpeak": 1.0, "slope": 1, "ca": 0, "thal": 3, "num": i % 5} for i in range(8)], None, None),
    "code": ("google-research-datasets/mbpp", [{"text": "Add.", "code": "def add(a, b): return a + b", "task_id": i,
                                                "test_list": [f"assert add({i}, 1) == {i + 1}"], "test_setup_code": ""}
                                               for i in range(6)], None, None),
}


def _fake_hub(rows, features, calls):
    def load_dataset(path, name=None, **kwargs):
        calls.append((path, name))
        split = lambda: datasets.Dataset.from_list(rows, features=features)  # noqa: E731
        return datasets.DatasetDict({"train": split(), "validation": split(), "test": split()})

    return load_dataset


@pytest.mark.parametrize("name", sorted(HUB_ROWS))
def test_hub_path_converts_rows_of_a_dataset(name, monkeypatch):
    dataset_id, rows, _, features = HUB_ROWS[name]
    calls = []
    monkeypatch.setattr(datasets, "load_dataset", _fake_hub(rows, features, calls))
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        splits = get_task(name).load(DataSource(kind="hub"))
    assert calls and calls[0][0] == dataset_id and splits.origin.startswith(f"hub:{dataset_id}")
    examples = splits.train + splits.dev + splits.test
    assert splits.train and splits.test
    ids = [e.example_id for e in splits.train + splits.dev]
    assert len(ids) == len(set(ids))
    task = get_task(name)
    assert all(set(task.load().test[0].inputs().keys()) == set(e.inputs().keys()) for e in examples)


def test_hub_rows_are_converted_faithfully(monkeypatch):
    monkeypatch.setattr(datasets, "load_dataset", _fake_hub(HUB_ROWS["math"][1], None, []))
    assert {e.answer for e in get_task("math").load(DataSource(kind="hub")).test} == {"0", *(f"{i}000" for i in range(1, 6))}
    monkeypatch.setattr(datasets, "load_dataset", _fake_hub(*HUB_ROWS["sentiment"][1::2], []))
    assert {e.sentiment for e in get_task("sentiment").load(DataSource(kind="hub")).test} == {"negative", "neutral", "positive"}
    monkeypatch.setattr(datasets, "load_dataset", _fake_hub(HUB_ROWS["extraction"][1], None, []))
    assert get_task("extraction").load(DataSource(kind="hub")).test[0].entities == "PER: Ana Ruiz; LOC: Oslo"


# ---------------------------------------------------------------- program + metric with a fake LM


def _gold_outputs(task_name, predictor, example):
    out = {}
    for field in predictor.signature.output_fields:
        if field in example:
            out[field] = str(example[field])
        elif field == "answer" and "answers" in example:
            out[field] = example.answers[0]
        else:
            out[field] = "step output"
    return out


@pytest.mark.parametrize("name", TASKS)
def test_program_runs_on_a_fake_lm_and_the_metric_scores_it(name):
    task = get_task(name)
    example = task.load().train[0]
    program = task.make_program()
    answers = [_gold_outputs(name, p, example) for p in program.predictors()]
    with dspy.context(lm=DummyLM(answers)):
        pred = program(**example.inputs())
    score = task.score(example, pred)
    assert not score.parse_error
    assert score.passed(task.pass_threshold), (name, pred, score)
    assert task.dspy_metric(example, pred) == score.value and task.dspy_metric(example, pred, trace=[]) is True

    wrong = [{f: "zzz" for f in p.signature.output_fields} for p in program.predictors()]
    with dspy.context(lm=DummyLM(wrong)):
        bad = task.score(example, program(**example.inputs()))
    assert not bad.passed(task.pass_threshold) and bad.value < 1.0


def test_the_worked_example_in_benchmarks_registers_a_complete_task():
    import importlib.util
    from pathlib import Path

    path = Path(__file__).parents[2] / "benchmarks" / "example_task.py"
    spec = importlib.util.spec_from_file_location("example_task_under_test", path)
    spec.loader.exec_module(importlib.util.module_from_spec(spec))
    task = get_task("weather_feel")
    splits = task.load()
    assert (len(splits.train), len(splits.dev), len(splits.test)) == (40, 40, 124)
    example = splits.test[0]
    assert task.score(example, dspy.Prediction(feel=f"It feels {example.feel}.")).correct
    assert task.score(example, dspy.Prediction(feel="no idea")).parse_error
