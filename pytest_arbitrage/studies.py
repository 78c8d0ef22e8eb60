"""Study presets (`--arb-study=NAME`): each experiment of the seed studies as one command.

Offline, `phase1` runs 3 of the 9 domains and plays the larger embedded model as the api tier
(`@api`), so the scoreboard and inversions have something to compare; the real study names
the 9 domains and real api models.

A preset is a set of option values between the defaults and what the user wrote: an
`--arb-*` option or an `arbitrage_*` ini key always wins over it. Offline, on the embedded
models, each runs at a small n in minutes; with the study's models and `--arb-data=hub`
(`real`) it is the study itself. Plain data: no DSPy, no pytest.
"""
from __future__ import annotations

from dataclasses import dataclass, field

EMBEDDED = "llamacpp/smollm2-135m,llamacpp/gemma3-270m"
PHASE1_TASKS = "sentiment,classification,math,qa,extraction,analysis,synthesis,agentic,code"
REAL_MODELS = "ollama_chat/llama3.2:1b,ollama_chat/qwen2.5:3b,openai/gpt-4o-mini,openai/gpt-4o"


@dataclass(frozen=True)
class Study:
    name: str
    question: str  # what its report answers, in one line
    options: dict[str, str]  # option name (without --arb-) -> value
    real: dict[str, str] = field(default_factory=dict)  # what changes for the real study


STUDIES: dict[str, Study] = {s.name: s for s in (
    Study("phase1", "Does MIPROv2 lift each model on each of 9 task domains, and does a local model overtake an api one?",
          {"tasks": "sentiment,heart_disease,arithmetic", "models": "llamacpp/smollm2-135m,llamacpp/gemma3-270m@api",
           "optimizers": "none,mipro", "n": "10", "train": "6", "dev": "6",
           "optimizer_settings": "mipro.num_candidates=2,mipro.num_trials=2"},
          {"tasks": PHASE1_TASKS, "models": REAL_MODELS, "data": "hub", "n": "100", "train": "50", "dev": "50",
           "optimizer_settings": "mipro.auto=light"}),
    Study("demo-curve", "How does the score grow with the number of demos, and is the lift instructions or demos?",
          {"tasks": "sentiment,classification", "optimizers": "none,bootstrap", "demos": "0,1,2,3", "n": "20",
           "optimizer_settings": "bootstrap.max_bootstrapped_demos=3,bootstrap.max_labeled_demos=3"},
          {"models": REAL_MODELS, "data": "hub", "n": "100", "demos": "0,1,2,3,5",
           "optimizer_settings": "bootstrap.max_bootstrapped_demos=5,bootstrap.max_labeled_demos=5"}),
    Study("tipping-point", "How many labeled examples does optimization need before it lifts the score significantly?",
          {"tasks": "sentiment,heart_disease", "optimizers": "none,labeled", "train": "0,1,2,4,8,16", "n": "20"},
          {"models": REAL_MODELS, "data": "hub", "n": "200", "train": "0,1,2,4,8,16,32,64"}),
    Study("modules", "Do Best-of-N, self-consistency and chain-of-thought beat plain prediction per call and per dollar?",
          {"tasks": "sentiment,arithmetic", "optimizers": "none", "modules": "predict,cot,sc3,bestof3", "n": "12"},
          {"models": REAL_MODELS, "data": "hub", "n": "100", "modules": "predict,cot,bestof3,refine3,mcc3,sc5"}),
    Study("gepa-vs-mipro", "Which optimizer wins on the same task and model: GEPA, MIPROv2 or bootstrapped demos?",
          {"tasks": "sentiment", "optimizers": "none,bootstrap,mipro,gepa", "n": "15", "train": "8", "dev": "8",
           "optimizer_settings": "mipro.num_candidates=2,mipro.num_trials=3,gepa.max_metric_calls=40"},
          {"models": REAL_MODELS, "data": "hub", "n": "100", "train": "50", "dev": "50",
           "optimizer_settings": "mipro.auto=light,gepa.auto=light"}),
    Study("gepa-tiny", "Can GEPA's reflective prompt evolution lift tiny local models (sentiment, agent monitoring)?",
          {"tasks": "sentiment,agent_monitor", "models": EMBEDDED, "optimizers": "none,gepa", "n": "15",
           "train": "8", "dev": "8", "optimizer_settings": "gepa.max_metric_calls=40"},
          {"models": "ollama_chat/gemma3:270m,ollama_chat/qwen2.5:0.5b,ollama_chat/llama3.2:1b", "n": "100",
           "optimizer_settings": "gepa.auto=light", "teacher": "openai/gpt-4o-mini"}),
    Study("pipeline-depth", "Does a deeper pipeline (1, 2, 3, 5 LM steps) score better once optimized?",
          {"tasks": "classification,heart_disease", "optimizers": "none,labeled", "depth": "1,2,3,5", "n": "8"},
          {"tasks": "classification,heart_disease,qa", "models": REAL_MODELS, "data": "hub", "n": "100",
           "optimizers": "none,mipro", "optimizer_settings": "mipro.auto=light"}),
)}


def preset(name: str | None) -> dict[str, str]:
    """The option values of a study (none for no study); ValueError names the valid studies."""
    name = (name or "").strip()
    if not name:
        return {}
    if name not in STUDIES:
        raise ValueError(f"unknown study {name!r}; valid: {', '.join(STUDIES)} (or list)")
    return dict(STUDIES[name].options)


def listing() -> str:
    """`--arb-study=list`: each study with what it answers."""
    from tabulate import tabulate

    rows = [[s.name, s.question] for s in STUDIES.values()]
    return tabulate(rows, headers=["study", "what its report answers"]) + (
        "\n\nRun one: pytest benchmarks --arb-study=NAME (any --arb-* option still wins over the preset).")


def real_command(study: Study) -> str:
    """The command line of the real study (the README shows it)."""
    values = study.options | study.real
    return "pytest benchmarks --arb-study=" + study.name + "".join(
        f" --arb-{k.replace('_', '-')}={v}" for k, v in study.real.items() if values.get(k))
