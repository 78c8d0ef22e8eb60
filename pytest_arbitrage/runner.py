"""The per-cell work as plain Python: data, LM, compiled program, evaluation, the gate.

Nothing here knows pytest: each step returns values (or raises `ModelUnavailable` /
`DataUnavailable`), and the pytest glue in `session.py` turns them into skips, failed
items, JUnit properties and cell-info lines.

    runner = CellRunner(settings, run_id="r1")
    cell = runner.grid()[0]
    data, lm = runner.cell_data(cell), runner.lm(cell.model.spec)
    compiled = runner.compile(cell, data, lm, lm)
    scored = runner.evaluate(cell, data, lm, compiled, emit=print)
    verdict = runner.judge(cell, scored.outcome)      # None without --arb-compare
"""
from __future__ import annotations

import time
import zlib
from dataclasses import asdict, dataclass, replace
from dataclasses import fields as dataclass_fields
from functools import cached_property
from pathlib import Path
from typing import Callable

import dspy

from pytest_arbitrage import data as task_data
from pytest_arbitrage import providers
from pytest_arbitrage.axes import cell_axes
from pytest_arbitrage.compiled import CompiledProgram, compiled_program
from pytest_arbitrage.concurrency import limit_calls, threads_for
from pytest_arbitrage.evaluation import CellContext, CellOutcome, evaluate_cell
from pytest_arbitrage.grid import GridCell, build_grid
from pytest_arbitrage.lm_cache import configure_lm_cache
from pytest_arbitrage.cell import CellKey
from pytest_arbitrage.options import API_TIMEOUT_S, Settings, shard_of
from pytest_arbitrage.pricing import cost_usd, load_prices
from pytest_arbitrage.providers import ModelUnavailable, adapter_for, parse_model_spec
from pytest_arbitrage.records import Record
from pytest_arbitrage.reports.cells import group_cells
from pytest_arbitrage.reports.comparisons import compare
from pytest_arbitrage.reports.gate import GateRule, judge
from pytest_arbitrage.reports.options import StatsOptions
from pytest_arbitrage.run_folder import read_records
from pytest_arbitrage.stopping import PairFeed, why_not_sequential
from pytest_arbitrage.tasks import get_task
from pytest_arbitrage.usage import meter

Supplier = Callable[..., object]  # (spec, max_tokens) -> dspy.LM or None: a conftest's LM


@dataclass(frozen=True)
class Compiled:
    compiled: CompiledProgram
    seconds: float


@dataclass(frozen=True)
class Scored:
    outcome: CellOutcome
    seconds: float
    adapter: str
    failure: str | None  # why the cell fails (too many LM errors), in words
    sequential: dict | None = None  # the pair's test with the baseline (`--arb-sequential`)


class CellRunner:
    def __init__(self, settings: Settings, *, run_id: str, compare_dir: Path | None = None,
                 supply_lm: Supplier | None = None, resume_dir: Path | None = None):
        self.settings = settings
        self.run_id = run_id
        self.compare_dir = compare_dir
        self.supply_lm = supply_lm
        self.resume_dir = resume_dir  # the run folder being continued (`--arb-resume`)
        self.gated_cells = 0  # cells the run selected: the gate's family (set by the glue)
        self._lms: dict[str, object] = {}

    def grid(self) -> list[GridCell]:
        s = self.settings
        models = [parse_model_spec(spec, tier_overrides=s.tier_overrides) for spec in s.models]
        return build_grid(s.tasks, models, s.optimizers, axes_of=lambda task, optimizer: cell_axes(s.axes, optimizer))

    def cell_data(self, cell: GridCell) -> task_data.CellData:
        """The cell's seeded splits; `DataUnavailable` when its (hub) data cannot be had."""
        s = self.settings
        source = task_data.data_source(cell.task, kind=s.data, files=s.data_files)
        return task_data.cell_data(get_task(cell.task), source, n=s.n, train=s.train, dev=s.dev, seed=s.seed)

    def lm(self, spec: str):
        """The LM for a spec, provisioned once per process; `ModelUnavailable` (remembered) when it cannot be."""
        if spec not in self._lms:
            try:
                self._lms[spec] = self._provision(parse_model_spec(spec, tier_overrides=self.settings.tier_overrides))
            except ModelUnavailable as exc:
                self._lms[spec] = exc
        lm = self._lms[spec]
        if isinstance(lm, ModelUnavailable):
            raise lm
        return lm

    def _provision(self, model):
        configure_lm_cache(self.settings.cache_dir / "lm")  # here: a run that calls no LM makes no cache
        max_tokens = self.settings.max_tokens or 256
        supplied = self.supply_lm(spec=model, max_tokens=max_tokens) if self.supply_lm else None
        lm = supplied if supplied is not None else providers.provision_lm(
            model, max_tokens=max_tokens, temperature=0.0, **self._call_options(model))
        if not providers.PROVIDERS[model.provider].in_process:
            limit_calls(lm, self.threads(model))  # one limit per endpoint, across the process's cells
        return lm

    def threads(self, model) -> int:
        """Examples scored at once in a cell of `model`: `--arb-threads`, else by provider (8 api, 1 in-process)."""
        return threads_for(model.provider, self.settings.threads)

    def _call_options(self, model) -> dict:
        """Remote models: our retry layer alone (evaluation.py) and a time limit per call."""
        if providers.PROVIDERS[model.provider].in_process:
            return {}
        return {"num_retries": 0, "timeout": self.settings.timeout or API_TIMEOUT_S}

    def for_task(self, lm, task):
        """The LM with the task's generation budget (`--arb-max-tokens` overrides every task's)."""
        return lm.copy(max_tokens=self.settings.max_tokens or task.max_tokens)

    def compile(self, cell: GridCell, cell_data, lm, teacher_lm) -> Compiled:
        started = time.perf_counter()
        compiled = compiled_program(cell, get_task(cell.task), cell_data, lm=lm, teacher_lm=teacher_lm,
                                    settings=replace(self.settings, threads=self.threads(cell.model)))
        return Compiled(compiled, round(time.perf_counter() - started, 3))

    def evaluate(self, cell: GridCell, cell_data, lm, program, *, emit: Callable[[Record], None],
                 program_hash: str | None = None) -> Scored:
        """Score the program on the cell's test examples; a bug in the program propagates."""
        examples = self.shard_examples(cell, cell_data.test)
        feed, sequential = self._pair_feed(cell, examples)
        if feed is not None:
            emit = _also(emit, feed.observe)
        context = CellContext(run_id=self.run_id, key=cell.key, task=get_task(cell.task), seed=self.settings.seed,
                              price=lambda i, o: cost_usd(cell.model.spec, i, o, self.prices),
                              max_error_rate=self.settings.max_error_rate, program_hash=program_hash,
                              repeats=self.settings.repeats, temperature=self.settings.temperature,
                              in_process=providers.PROVIDERS[cell.model.provider].in_process,
                              done=frozenset((r.example_id, r.replicate) for r in self.prior(cell)),
                              halt=feed.decided if feed else None)
        meter(lm)
        adapter = adapter_for(cell.model)
        started = time.perf_counter()
        with dspy.context(lm=lm, adapter=adapter):
            outcome = evaluate_cell(program, examples, context=context, emit=emit, threads=self.threads(cell.model))
        outcome.records[:0] = self.prior(cell)  # a resumed cell is judged on all its records
        if feed is not None:
            sequential = feed.summary(cell.key.reference(self.settings.baseline).id, len(examples))
        return Scored(outcome, round(time.perf_counter() - started, 3), type(adapter).__name__,
                      outcome.failure(self.settings.max_error_rate), sequential)

    def _pair_feed(self, cell: GridCell, examples: list) -> tuple[PairFeed | None, dict | None]:
        """The cell's sequential test against its baseline, or None with why it runs its full n."""
        s = self.settings
        if not s.sequential or cell.optimizer == s.baseline:
            return None, None
        reference_key = cell.key.reference(s.baseline)
        scored = group_cells(read_records(self.run_dir), [])  # no results file yet: no cells
        reference = scored[reference_key].scores if reference_key in scored else {}
        why = why_not_sequential(binary=get_task(cell.task).binary, repeats=s.repeats, reference=reference)
        if why:
            return None, {"reference": reference_key.id, "decided": False, "why_full_n": why}
        family = sum(c.optimizer != s.baseline for c in self.grid())
        return PairFeed(examples, reference, alpha=s.alpha, family_size=max(family, 1)), None

    @property
    def run_dir(self) -> Path:
        return self.resume_dir or self.settings.report_dir / self.run_id

    def shard_examples(self, cell: GridCell, examples: list) -> list:
        """This shard's share of a cell's test examples (all of them without --arb-shard): example j
        of a cell goes to shard (offset + j) mod N, the offset from the cell id, so every shard gets
        about n/N examples of every cell and the cells' leftovers spread over the shards."""
        shard = shard_of(self.settings)
        if shard is None:
            return examples
        index, total = shard
        offset = zlib.crc32(cell.id.encode())
        return [e for j, e in enumerate(examples) if (offset + j) % total == index - 1]

    def prior(self, cell: GridCell) -> list[Record]:
        """The cell's records already in the run folder when the run resumes (`--arb-resume`)."""
        return self._prior_records.get(cell.key, [])

    @cached_property
    def _prior_records(self) -> dict:
        if self.resume_dir is None:
            return {}
        fields = {f.name for f in dataclass_fields(Record)}
        prior: dict = {}
        for line in read_records(self.resume_dir):
            prior.setdefault(CellKey.of(line), []).append(Record(**{k: v for k, v in line.items() if k in fields}))
        return prior

    def judge(self, cell: GridCell, outcome: CellOutcome) -> dict | None:
        """The gate's verdict on the cell against the compared run (None when there is none)."""
        if self.compare_dir is None:
            return None
        new = group_cells([asdict(r) for r in outcome.records], [])[cell.key]
        old = self.baseline_cells.get(cell.key)
        row = compare(old, new, self.stats_options) if old is not None else None
        return judge(old, new, row, self.gate_rule)

    @cached_property
    def baseline_cells(self) -> dict:
        return group_cells(read_records(self.compare_dir), [])

    @cached_property
    def stats_options(self) -> StatsOptions:
        s = self.settings
        return StatsOptions(alpha=s.alpha, correction=s.correction, prices=self.prices, baseline=s.baseline,
                            reference=s.reference, mcnemar=s.mcnemar,
                            baseline_run=self.compare_dir.name if self.compare_dir else None, gate=self.gate_rule)

    @cached_property
    def gate_rule(self) -> GateRule:
        s = self.settings
        return GateRule(alpha=s.alpha, correction=s.correction, family_size=self.gated_cells,
                        min_effect=s.min_effect, fail_on=s.fail_on,
                        against=self.compare_dir.name if self.compare_dir else None)

    @cached_property
    def prices(self) -> dict:
        return load_prices(self.settings.prices)


def _also(emit: Callable[[Record], None], observe: Callable[[Record], None]) -> Callable[[Record], None]:
    def both(record: Record) -> None:
        emit(record)
        observe(record)

    return both
