"""LM calls saved by sequential stopping (`--arb-sequential`) against a fixed n, by simulation.

    python benchmarks/bench_sequential.py [--quick] [--alpha 0.05] [--concentration 0.5]

For each effect (true accuracies of cells a and b) and each n, many paired 0/1 streams are
scored; the sequential test may stop a stream at any pair, the fixed design scores all n and
runs the exact McNemar test the reports use. The table says how often each rejects, how often
they reach the same decision (reject in the same direction, or both not), and the share of
pairs (each pair is one LM call per cell) the sequential test did not score.
A script, not a test module: pytest collects only test_*.py under benchmarks/.
"""
from __future__ import annotations

import argparse
import time
from functools import lru_cache

import numpy as np
from tabulate import tabulate

from pytest_arbitrage.stats.paired import mcnemar_exact_p
from pytest_arbitrage.stats.sequential import DEFAULT_CONCENTRATION, stopping_times

EFFECTS = ((0.5, 0.5), (0.55, 0.5), (0.6, 0.5), (0.7, 0.5), (0.8, 0.4))
SIZES = (100, 200, 500)
SHARED = 0.5  # share of examples both cells get right or wrong together (paired cells correlate)


def paired_streams(rng, p_a: float, p_b: float, *, streams: int, n: int) -> tuple[np.ndarray, np.ndarray]:
    a = rng.random((streams, n)) < p_a
    b = rng.random((streams, n)) < p_b
    return a, np.where(rng.random((streams, n)) < SHARED, a, b)


@lru_cache(maxsize=None)
def _mcnemar(only_a: int, only_b: int) -> float:
    return mcnemar_exact_p(only_a, only_b)


def fixed_n_decisions(a: np.ndarray, b: np.ndarray, alpha: float) -> np.ndarray:
    """+1 / -1 where McNemar on all n pairs rejects (a better / b better), else 0."""
    only_a, only_b = (a > b).sum(axis=1), (b > a).sum(axis=1)
    p = np.array([_mcnemar(int(x), int(y)) for x, y in zip(only_a, only_b)])
    return np.where(p < alpha, np.sign(only_a - only_b), 0)


def row(rng, p_a: float, p_b: float, n: int, *, streams: int, alpha: float, concentration: float) -> list:
    a, b = paired_streams(rng, p_a, p_b, streams=streams, n=n)
    stop, sequential = stopping_times(a, b, alpha=alpha, concentration=concentration)
    fixed = fixed_n_decisions(a, b, alpha)
    scored = np.where(stop > 0, stop, n)
    agree = sequential == fixed
    saved_agreeing = 1 - scored[agree].mean() / n if agree.any() else float("nan")
    return [f"{p_a:.2f} vs {p_b:.2f}", n, f"{(fixed != 0).mean():.3f}", f"{(sequential != 0).mean():.3f}",
            f"{agree.mean():.3f}", f"{scored.mean():.0f}", f"{1 - scored.mean() / n:.1%}", f"{saved_agreeing:.1%}"]


HEADERS = ["accuracy a vs b", "n", "fixed-n rejects", "sequential rejects", "same decision",
           "pairs scored (mean)", "LM calls saved", "saved where decisions agree"]


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--quick", action="store_true", help="400 streams per row instead of 2000")
    parser.add_argument("--alpha", type=float, default=0.05)
    parser.add_argument("--concentration", type=float, default=DEFAULT_CONCENTRATION,
                        help="the Beta(c, c) mixing prior (default: %(default)s)")
    args = parser.parse_args()
    streams = 400 if args.quick else 2000
    rng = np.random.default_rng(20250101)
    started = time.time()
    rows = [row(rng, p_a, p_b, n, streams=streams, alpha=args.alpha, concentration=args.concentration)
            for p_a, p_b in EFFECTS for n in SIZES]
    print(f"sequential (Beta({args.concentration:g}, {args.concentration:g}) mixture e-process, reject at "
          f"E >= 1/alpha) vs fixed-n exact McNemar, alpha = {args.alpha}, {streams} streams a row, "
          f"{SHARED:.0%} of examples shared outcomes")
    print(tabulate(rows, headers=HEADERS, tablefmt="github"))
    print(f"\n({time.time() - started:.0f}s)")


if __name__ == "__main__":
    main()
