"""Embedded models (llama.cpp): tokens/s under today's settings and the thread plan, and the
harness's cost per example against raw llama_cpp and plain dspy.Evaluate.

    python benchmarks/bench_embedded.py [--rounds 3] [--n 30] [--model SPEC] [--refs] [--other-build DIR]

1. Raw `llama_cpp.Llama` (SmolLM2-135M Q4_1 unless `--model`): a 261-token prompt in
   `LlamaSettings`' n_batch chunks (prompt processing, pp) and 64 greedy tokens (generation,
   tg), in tokens/s. Each setting runs in a process of its own (libgomp reads the wait policy
   once per process), and the settings alternate A/B/C/A/B/C for `--rounds` rounds (this
   machine is shared: figures move by tens of percent between minutes, so only side-by-side
   ratios mean much):
     today    2 threads, OMP_WAIT_POLICY=passive (what the plugin set before the plan)
     plan     what `thread_plan` chooses for one process on this machine's cores
     1 thr    one thread (no OpenMP team: the wait policy is moot)
   then two processes at once (as under `pytest -n 2`): today's 2 passive threads each against
   the plan for 2 workers. `--refs` adds 2 busy-waiting threads (active, and libgomp's default
   spin): fast on an idle machine, a crawl whenever another process holds a core. Two processes
   of 2 spinning threads on 2 cores are never run (the multi-minute crawl passive waiting fixed).
   "idle" is how many cores a process keeps busy in the half second after its last call.
   `--other-build DIR` adds the plan under the llama_cpp in DIR (`pip install --target DIR`).
2. Seconds per example of one sentiment cell (SmolLM2, `--n` examples, a fresh LM cache each
   time) through the harness (`CellRunner.evaluate`), raw `llama_cpp` loops over the same
   prompts (a `Llama` of their own: reusing whole n_batch chunks of the previous prompt as the
   engine does, and llama-cpp-python's reuse of any common prefix), and plain `dspy.Evaluate`
   on the same program and examples; interleaved, under the plan. Target: harness <= 1.1x the
   raw loop with the same reuse.
3. The same cell through the harness in a process of its own per setting: today's settings
   against the plan's, interleaved (what a sweep of the embedded models gains).

A script, not a test module: pytest collects only test_*.py under benchmarks/.
"""
from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

MODEL = "llamacpp/smollm2-135m"
PROMPT_TOKENS = 261
GEN_TOKENS = 64
PP_REPEATS = 3
TARGET_RATIO = 1.1
OMP_VARS = ("OMP_WAIT_POLICY", "GOMP_SPINCOUNT", "OMP_NUM_THREADS", "ARBITRAGE_LLAMA_THREADS",
            "PYTEST_XDIST_WORKER_COUNT")
TEXT = ("The reviewer wrote that the hotel room was spotless and cozy, the front desk made us feel "
        "welcome, and breakfast was better than we hoped, although the pool area was noisy at night "
        "and the street outside was busy with buses until late. ")


# ---- 1. raw tokens/s, one process per setting --------------------------------------------------

def raw_child(path: str, threads: str) -> dict:
    """In a fresh process: pp and tg tokens/s of a raw `Llama` with `threads` ("N", or "BATCH:DECODE"),
    and the cores kept busy when idle."""
    import llama_cpp

    settings = _llama_settings()
    batch, _, decode = threads.partition(":")
    llm = llama_cpp.Llama(model_path=path, n_ctx=settings["n_ctx"], n_threads=int(decode or batch),
                          n_threads_batch=int(batch), n_batch=settings["n_batch"], seed=0, verbose=False)
    tokens = (llm.tokenize(TEXT.encode()) * 20)[:PROMPT_TOKENS]
    llm.eval(tokens[:8])  # warm-up: first allocations
    pp = []
    for _ in range(PP_REPEATS):
        llm.reset()
        started = time.perf_counter()
        llm.eval(tokens)
        pp.append(len(tokens) / (time.perf_counter() - started))
    started = time.perf_counter()
    for _ in range(GEN_TOKENS):
        llm.eval([llm.sample(temp=0.0)])
    tg = GEN_TOKENS / (time.perf_counter() - started)
    cpu = time.process_time()
    time.sleep(0.5)
    idle = (time.process_time() - cpu) / 0.5
    return {"pp": statistics.median(pp), "tg": tg, "idle": idle,
            "simd": "AVX512" if "AVX512 = 1" in llama_cpp.llama_print_system_info().decode() else "AVX2"}


def _llama_settings() -> dict:
    """n_ctx and n_batch as the harness loads models (LlamaSettings), read without importing it,
    which would decide this process's wait policy."""
    import ast

    source = (Path(__file__).parents[1] / "pytest_arbitrage/providers/llamacpp.py").read_text()
    tree = ast.parse(source)
    cls = next(n for n in tree.body if isinstance(n, ast.ClassDef) and n.name == "LlamaSettings")
    fields = {s.target.id: s.value for s in cls.body if isinstance(s, ast.AnnAssign)}
    return {name: ast.literal_eval(fields[name]) for name in ("n_ctx", "n_batch")}


def spawn(python: str, path: str, threads: str, env: dict) -> subprocess.Popen:
    child_env = {k: v for k, v in os.environ.items() if k not in OMP_VARS} | env
    return subprocess.Popen([python, __file__, "--raw-child", path, threads], env=child_env,
                            stdout=subprocess.PIPE, text=True)


def collect(process: subprocess.Popen) -> dict:
    out, _ = process.communicate(timeout=600)
    if process.returncode:
        return {"pp": float("nan"), "tg": float("nan"), "idle": float("nan"), "simd": f"exit {process.returncode}"}
    return json.loads(out.strip().splitlines()[-1])


def _threads(plan) -> str:
    return f"{plan.batch_threads}:{plan.threads}"


def settings_table(plan, plan2, *, refs: bool, other_build: str | None) -> tuple[list, list]:
    """(one-process settings, two-process settings): (label, python, "BATCH:DECODE" threads, env)."""
    py, passive = sys.executable, {"OMP_WAIT_POLICY": "passive"}
    one = [("today: 2 thr passive", py, "2", passive),
           (f"plan: {plan.batch_threads} prompt/{plan.threads} token thr {plan.wait_policy}", py, _threads(plan),
            {"OMP_WAIT_POLICY": plan.wait_policy}),
           ("ref: 1 thr", py, "1", passive)]
    if refs:  # these crawl whenever another process holds a core (minutes on a busy machine)
        one += [("ref: 2 thr active", py, "2", {"OMP_WAIT_POLICY": "active"}),
                ("ref: 2 thr libgomp default (spin 300k)", py, "2", {})]
    if other_build:  # a folder holding another build of llama_cpp (pip install --target DIR ...)
        one.append(("other build: plan", py, _threads(plan), {"OMP_WAIT_POLICY": plan.wait_policy,
                                                               "PYTHONPATH": other_build}))
    two = [("today: 2 thr passive x2", py, "2", passive),
           (f"plan: {_threads(plan2).replace(':', '/')} thr {plan2.wait_policy} x2", py, _threads(plan2),
            {"OMP_WAIT_POLICY": plan2.wait_policy})]
    return one, two


def raw_rounds(args, path: str, plan, plan2) -> None:
    one, two = settings_table(plan, plan2, refs=args.refs, other_build=args.other_build)
    results: dict[str, list[dict]] = {label: [] for label, *_ in one + two}
    for _ in range(args.rounds):
        for label, python, threads, env in one:
            results[label].append(collect(spawn(python, path, threads, env)))
        for label, python, threads, env in two:  # both at once; a figure is the two processes' sum
            pair = [collect(p) for p in [spawn(python, path, threads, env) for _ in range(2)]]
            results[label].append({k: sum(r[k] for r in pair) for k in ("pp", "tg", "idle")} | {"simd": pair[0]["simd"]})
    print(f"1. raw llama_cpp, {args.model}, {PROMPT_TOKENS}-token prompt, {GEN_TOKENS} generated tokens, "
          f"{args.rounds} interleaved rounds (per round; median)")
    print_rows(results, [label for label, *_ in one], base="today: 2 thr passive")
    print("   two processes at once (sum of both):")
    print_rows(results, [label for label, *_ in two], base="today: 2 thr passive x2")


def print_rows(results: dict, labels: list[str], *, base: str) -> None:
    median = {label: {k: statistics.median(r[k] for r in results[label]) for k in ("pp", "tg", "idle")}
              for label in labels}
    for label in labels:
        runs = results[label]
        pp = "/".join(f"{r['pp']:.0f}" for r in runs)
        tg = "/".join(f"{r['tg']:.0f}" for r in runs)
        m, b = median[label], median[base]
        print(f"   {label:38s} {runs[0]['simd']:6s} pp {pp:>17s} (med {m['pp']:4.0f}, {m['pp'] / b['pp']:4.2f}x)"
              f"  tg {tg:>14s} (med {m['tg']:4.0f}, {m['tg'] / b['tg']:4.2f}x)  idle {m['idle']:.2f} cores")


# ---- 2. the harness against raw llama_cpp and dspy.Evaluate ------------------------------------

def harness_cell(*, n: int, root: Path):
    """(seconds of `CellRunner.evaluate`, records, program, test examples) with a fresh LM cache."""
    from one_cell import prepared_cell

    runner, cell, data, lm, program = prepared_cell(root=root, tasks="sentiment", models=MODEL, optimizers="none",
                                                    n=str(n))
    records = []
    scored = runner.evaluate(cell, data, lm, program, emit=records.append)
    return scored.seconds, records, program, data.test


def raw_loop(llm, program, examples) -> tuple[float, list[str]]:
    """Seconds for `create_chat_completion` on the prompts the program's adapter writes, and the texts."""
    from pytest_arbitrage.providers import adapter_for, parse_model_spec
    from pytest_arbitrage.tasks import get_task

    adapter, task = adapter_for(parse_model_spec(MODEL)), get_task("sentiment")
    (predictor,) = program.predictors()
    prompts = [adapter.format(predictor.signature, predictor.demos, e.inputs()) for e in examples]
    texts = []
    started = time.perf_counter()
    for messages in prompts:
        result = llm.create_chat_completion(messages=messages, max_tokens=task.max_tokens, temperature=0.0,
                                            top_k=1, seed=0, stop=[])
        texts.append(result["choices"][0]["message"]["content"] or "")
    return time.perf_counter() - started, texts


def plain_evaluate(program, examples, *, root: Path) -> float:
    """Seconds for `dspy.Evaluate` on the same program and examples (DSPy's own cache, fresh)."""
    import dspy

    from pytest_arbitrage.providers import adapter_for, parse_model_spec
    from pytest_arbitrage.providers.embedded import gguf_path
    from pytest_arbitrage.providers.llamacpp import LlamaCppEngine
    from pytest_arbitrage.tasks import get_task

    spec, task = parse_model_spec(MODEL), get_task("sentiment")
    dspy.configure_cache(enable_disk_cache=True, enable_memory_cache=True, disk_cache_dir=str(root / "dspy"))
    lm = dspy.LM(spec.model, engine=LlamaCppEngine(gguf_path(spec)), temperature=0.0, max_tokens=task.max_tokens,
                 num_retries=0)
    evaluate = dspy.Evaluate(devset=examples, metric=lambda e, p, trace=None: task.score(e, p).value,
                             num_threads=1, display_progress=False)
    with dspy.context(lm=lm, adapter=adapter_for(spec)):
        started = time.perf_counter()
        evaluate(program)
        return time.perf_counter() - started


def raw_llama(*, aligned: bool):
    """A `Llama` of its own with the plan's settings; `aligned`: reusing only whole n_batch chunks of the
    previous prompt, as the engine does (`AlignedPrefixReuse`), else llama-cpp-python's any common prefix."""
    import llama_cpp

    from pytest_arbitrage.providers import parse_model_spec
    from pytest_arbitrage.providers.embedded import gguf_path
    from pytest_arbitrage.providers.llamacpp import AlignedPrefixReuse, LlamaSettings

    s = LlamaSettings()
    llm = llama_cpp.Llama(model_path=gguf_path(parse_model_spec(MODEL)), n_ctx=s.n_ctx, n_threads=s.n_threads,
                          n_threads_batch=s.n_threads_batch, n_batch=s.n_batch, seed=s.seed, verbose=False)
    if aligned:
        AlignedPrefixReuse(llm)
    return llm


RUNS = (("raw", "raw llama_cpp loop, chunk-aligned reuse"), ("raw_any", "raw llama_cpp loop, any-prefix reuse"),
        ("evaluate", "plain dspy.Evaluate"), ("harness", "harness (CellRunner.evaluate)"))


def overhead(args, tmp: Path) -> None:
    llms = {"raw": raw_llama(aligned=True), "raw_any": raw_llama(aligned=False)}
    _, records, program, examples = harness_cell(n=args.n, root=tmp / "warm")  # imports, first calls: untimed
    answers = {r.example_id: r.raw_answer for r in records}
    timed = {"harness": lambda rep: harness_cell(n=args.n, root=tmp / f"h{rep}")[0],
             "evaluate": lambda rep: plain_evaluate(program, examples, root=tmp / f"e{rep}")}
    times: dict[str, list[float]] = {key: [] for key, _ in RUNS}
    same = {}
    for rep in range(args.rounds):
        keys = [key for key, _ in RUNS]
        for key in keys[rep % len(keys):] + keys[:rep % len(keys)]:  # each round starts elsewhere: drift cancels
            if key in llms:
                seconds, texts = raw_loop(llms[key], program, examples)
                same[key] = sum(answers.get(str(e.example_id)) == t for e, t in zip(examples, texts))
            else:
                seconds = timed[key](rep)
            times[key].append(seconds)
    print_overhead(args, times, same)


def print_overhead(args, times: dict, same: dict) -> None:
    per = {k: [s / args.n * 1000 for s in v] for k, v in times.items()}
    med = {k: statistics.median(v) for k, v in per.items()}
    print(f"\n2. one sentiment cell, {MODEL}, {args.n} examples, fresh LM cache, {args.rounds} interleaved rounds "
          f"(ms per example; per round, median)")
    for key, label in RUNS:
        rounds = "/".join(f"{v:.0f}" for v in per[key])
        print(f"   {label:42s} {rounds:>20s}  (med {med[key]:5.1f}, {med[key] / med['raw']:4.2f}x raw)")
    ratios = [h / r for h, r in zip(times["harness"], times["raw"])]
    ratio = statistics.median(ratios)
    print(f"   harness / raw (same reuse) per round: {' '.join(f'{r:.2f}' for r in ratios)}; median {ratio:.2f} "
          f"(target <= {TARGET_RATIO}: {'ok' if ratio <= TARGET_RATIO else 'MISSED'})")
    print(f"   harness / raw any-prefix reuse {med['harness'] / med['raw_any']:.2f} (the price of outputs that do "
          f"not depend on the order of calls); harness / dspy.Evaluate {med['harness'] / med['evaluate']:.2f}")
    print(f"   raw answers equal to the harness's raw_answer: "
          f"{', '.join(f'{k} {v} of {args.n}' for k, v in same.items())}")


def harness_child(n: int) -> dict:
    """In a fresh process (its own wait policy and threads): ms per example of one harness cell."""
    with tempfile.TemporaryDirectory() as tmp:
        harness_cell(n=2, root=Path(tmp) / "warm")  # imports and first calls
        return {"ms": harness_cell(n=n, root=Path(tmp) / "cell")[0] / n * 1000}


def harness_today_vs_plan(args) -> None:
    """The user-visible figure: one harness cell per process, today's settings against the plan's."""
    settings = (("today: 2 thr passive", {"OMP_WAIT_POLICY": "passive", "ARBITRAGE_LLAMA_THREADS": "2"}),
                ("plan", {}))
    ms: dict[str, list[float]] = {label: [] for label, _ in settings}
    for _ in range(args.rounds):
        for label, env in settings:
            child_env = {k: v for k, v in os.environ.items() if k not in OMP_VARS} | env
            done = subprocess.run([sys.executable, __file__, "--harness-child", str(args.n)], env=child_env,
                                  capture_output=True, text=True, timeout=900)
            ms[label].append(json.loads(done.stdout.strip().splitlines()[-1])["ms"] if not done.returncode
                             else float("nan"))
    (today, plan) = (statistics.median(v) for v in ms.values())
    print(f"\n3. the same cell through the harness, one process per setting, {args.rounds} interleaved rounds "
          f"(ms per example)")
    for label, values in ms.items():
        print(f"   {label:22s} {'/'.join(f'{v:.0f}' for v in values):>16s}  (med {statistics.median(values):5.1f})")
    print(f"   plan / today: {plan / today:.2f}")


def parse_args() -> argparse.Namespace:
    parser = argparse.ArgumentParser()
    parser.add_argument("--rounds", type=int, default=3, help="interleaved rounds (default: %(default)s)")
    parser.add_argument("--n", type=int, default=30, help="examples in the cell (default: %(default)s)")
    parser.add_argument("--model", default=MODEL, help="the embedded model of part 1 (default: %(default)s)")
    parser.add_argument("--refs", action="store_true", help="also 2 busy-waiting threads (slow on a busy machine)")
    parser.add_argument("--other-build", metavar="DIR", help="also the plan with the llama_cpp in DIR (another build)")
    parser.add_argument("--only", type=int, choices=(1, 2, 3), help="run one part")
    parser.add_argument("--raw-child", nargs=2, metavar=("GGUF", "THREADS"), help=argparse.SUPPRESS)
    parser.add_argument("--harness-child", type=int, metavar="N", help=argparse.SUPPRESS)
    return parser.parse_args()


def run(args) -> None:
    from pytest_arbitrage.providers import parse_model_spec
    from pytest_arbitrage.providers.embedded import gguf_path
    from pytest_arbitrage.providers.llamacpp import PLAN, thread_plan, usable_cores

    cores = usable_cores()
    plan2 = thread_plan(cores=cores, workers=2)
    print(f"{cores} usable cores; this process's plan: {PLAN}; for 2 xdist workers: {plan2}\n")
    if args.only in (None, 1):
        raw_rounds(args, gguf_path(parse_model_spec(args.model)), thread_plan(cores=cores, workers=1), plan2)
    if args.only in (None, 2):
        with tempfile.TemporaryDirectory() as tmp:
            overhead(args, Path(tmp))
    if args.only in (None, 3):
        harness_today_vs_plan(args)


def main() -> None:
    args = parse_args()
    os.environ.setdefault("LITELLM_LOCAL_MODEL_COST_MAP", "true")
    if args.raw_child:
        print(json.dumps(raw_child(*args.raw_child)))
    elif args.harness_child:
        print(json.dumps(harness_child(args.harness_child)))
    else:
        run(args)


if __name__ == "__main__":
    main()
