"""Calibration figures for the statistics layer (prints a table; about a minute on 2 cores).

    python benchmarks/stats_calibration.py [--quick]

1. agreement of p-values and intervals with statsmodels / scipy on random inputs;
2. family-wise false-positive rate under the null, per test and end to end;
3. coverage of every interval the reports print.
"""
from __future__ import annotations

import argparse
import time

import numpy as np
from scipy.stats import permutation_test
from statsmodels.stats.contingency_tables import mcnemar
from statsmodels.stats.multitest import multipletests
from statsmodels.stats.proportion import proportion_confint

from pytest_arbitrage.reports import StatsOptions, build_summary, find_regressions
from pytest_arbitrage.reports.synthetic import synthetic_run
from pytest_arbitrage.stats import (
    adjust_pvalues, bootstrap_mean_interval, mcnemar_exact_p, sign_flip_p, wilson_interval,
)
from pytest_arbitrage.stats.calibration import (
    familywise_error, newcombe_coverage, null_mcnemar_pvalues, wilson_coverage,
)

SM_NAMES = {"holm": "holm", "bonferroni": "bonferroni", "bh": "fdr_bh"}


def agreement(rng, reps: int) -> list[tuple[str, float]]:
    """Max |ours - reference| over random inputs."""
    tables = rng.integers(0, 80, size=(reps, 4))
    mc = max(abs(mcnemar_exact_p(b, c) - mcnemar([[a, b], [c, d]], exact=True).pvalue)
             for a, b, c, d in tables)
    rows = [("McNemar exact vs statsmodels mcnemar(exact=True)", mc)]
    for ours, theirs in SM_NAMES.items():
        worst = 0.0
        for _ in range(reps // 5):  # statsmodels holm: ~70 ms a call
            p = rng.uniform(size=int(rng.integers(1, 40))) ** 2
            diff = np.array(adjust_pvalues(list(p), ours)) - multipletests(p, method=theirs)[1]
            worst = max(worst, float(np.max(np.abs(diff))))
        rows.append((f"{ours} vs statsmodels multipletests({theirs})", worst))
    rows.append(("Wilson vs statsmodels proportion_confint", _wilson_agreement(rng, reps)))
    rows.append(("exact sign-flip vs scipy permutation_test", _sign_flip_agreement(rng, reps // 10)))
    return rows


def _wilson_agreement(rng, reps: int) -> float:
    worst = 0.0
    for _ in range(reps):
        n = int(rng.integers(1, 500))
        k = int(rng.integers(0, n + 1))
        ours, theirs = wilson_interval(k, n), proportion_confint(k, n, method="wilson")
        worst = max(worst, abs(ours[0] - theirs[0]), abs(ours[1] - theirs[1]))
    return worst


def _sign_flip_agreement(rng, reps: int) -> float:
    worst = 0.0
    for _ in range(reps):
        d = np.round(rng.normal(0.1, 0.3, size=int(rng.integers(3, 13))), 3)
        ref = permutation_test((d, np.zeros_like(d)), lambda x, y: np.mean(x - y),
                               permutation_type="samples", n_resamples=np.inf).pvalue
        worst = max(worst, abs(sign_flip_p(d)[0] - ref))
    return worst


def fwer_end_to_end(reps: int, *, continuous: bool, correction: str) -> dict[str, float]:
    """Whole pipeline on null runs: any false delta, inversion, scoreboard claim or gate failure."""
    hits = {"deltas": 0, "inversions": 0, "arbitrage": 0, "regression gate": 0}
    options = dict(correction=correction, n_permutations=2000, n_bootstrap=500)
    for seed in range(reps):
        kwargs = dict(n=50, seed=seed, optimizers=("none", "bootstrap", "mipro"),
                      continuous=("qa",) if continuous else ())
        records, cells = synthetic_run(lambda *cell: 0.6, **kwargs)
        old, _ = synthetic_run(lambda *cell: 0.6, **(kwargs | {"seed": seed + 10_000}))
        s = build_summary(records, cells, meta={}, options=StatsOptions(baseline_records=old, **options))
        hits["deltas"] += any(r["significant"] for r in s["deltas"])
        hits["inversions"] += bool(s["inversions"]["claimed"])
        hits["arbitrage"] += any(r["significant"] for r in s["arbitrage"])
        hits["regression gate"] += bool(find_regressions(s))
    return {k: v / reps for k, v in hits.items()}


def wilson_summary(n: int) -> tuple[float, float]:
    cov = [wilson_coverage(p, n) for p in np.linspace(0.02, 0.98, 49)]
    return float(np.mean(cov)), float(np.min(cov))


def bootstrap_coverage(rng, reps: int, n: int, paired: bool) -> float:
    hits = 0
    for i in range(reps):
        x = rng.beta(2, 5, size=n)
        values = x - np.clip(x + rng.normal(-0.05, 0.1, size=n), 0, 1) if paired else x
        truth = _paired_truth() if paired else 2 / 7
        lo, hi = bootstrap_mean_interval(values, seed=i, n_resamples=1000)
        hits += lo <= truth <= hi
    return hits / reps


def _paired_truth(_cache={}) -> float:
    """E[x - clip(x + e, 0, 1)], x ~ Beta(2, 5), e ~ N(-0.05, 0.1), by a large simulation."""
    if "v" not in _cache:
        rng = np.random.default_rng(0)
        x = rng.beta(2, 5, size=4_000_000)
        _cache["v"] = float(np.mean(x - np.clip(x + rng.normal(-0.05, 0.1, size=x.size), 0, 1)))
    return _cache["v"]


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--quick", action="store_true", help="fewer repetitions")
    scale = 0.2 if parser.parse_args().quick else 1.0
    rng = np.random.default_rng(20240601)
    started = time.time()
    print("== agreement with independent implementations (max abs difference) ==")
    for name, value in agreement(rng, int(1000 * scale)):
        print(f"{name:55s} {value:.2e}")
    print("\n== family-wise false-positive rate under the null (alpha = 0.05) ==")
    reps = int(20_000 * scale)
    for method in ("none", "bonferroni", "holm", "bh"):
        pvalues = null_mcnemar_pvalues(rng, reps=reps, family=12, n=50)
        print(f"McNemar, 12 comparisons, n=50, {method:10s}  FWER = "
              f"{familywise_error(pvalues, method):.4f}  ({reps} families)")
    for continuous in (False, True):
        e2e = fwer_end_to_end(int(200 * scale), continuous=continuous, correction="holm")
        label = "binary+continuous tasks" if continuous else "binary tasks"
        print(f"end-to-end build_summary, holm, {label}, {int(200 * scale)} null runs: "
              + ", ".join(f"{k} {v:.3f}" for k, v in e2e.items()))
    print("\n== interval coverage (nominal 0.95) ==")
    for n in (20, 50, 200):
        mean, low = wilson_summary(n)
        print(f"Wilson, n={n:3d}: mean coverage over p in [0.02, 0.98] = {mean:.4f}, min = {low:.4f}")
    for probs in ((0.4, 0.15, 0.1, 0.35), (0.6, 0.05, 0.05, 0.3), (0.2, 0.3, 0.1, 0.4)):
        print(f"Newcombe paired delta, n=30, cells {probs}: exact coverage = "
              f"{newcombe_coverage(probs, 30):.4f}")
    boot = int(1000 * scale)
    print(f"BCa bootstrap, cell mean, Beta(2,5) scores, n=50: coverage = "
          f"{bootstrap_coverage(rng, boot, 50, paired=False):.3f} ({boot} runs)")
    print(f"BCa bootstrap, paired delta, continuous scores, n=50: coverage = "
          f"{bootstrap_coverage(rng, boot, 50, paired=True):.3f} ({boot} runs)")
    print(f"\n({time.time() - started:.0f}s)")


if __name__ == "__main__":
    main()
