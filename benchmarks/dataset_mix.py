"""The dataset's realised mix against its priors (issue #22): sample cases as the dataset
runner does, in this process, and print each realised share beside its prior.

    python benchmarks/dataset_mix.py            # 2000 cases, seed 11
    python benchmarks/dataset_mix.py --n 300 --seed 3

Every share is the contact engine's finding on the case as built (not what was asked); rows
departing from the prior by more than --tolerance (default 0.02) are marked with ``!``, or
``~`` where the share is over so few cases that one case is more than the tolerance.
"""

from __future__ import annotations

import argparse
import time

import pyarrow as pa

from mvd_sim.dataset.mix import PUBLISHED_CONTACT_ODDS_RATIOS, format_mix, mix, odds_ratios
from mvd_sim.dataset.priors import load_priors
from mvd_sim.dataset.runner import shard_rows
from mvd_sim.dataset.tables import cases_schema


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--n", type=int, default=2000)
    parser.add_argument("--seed", type=int, default=11)
    parser.add_argument("--tolerance", type=float, default=0.02)
    parser.add_argument("--priors", default=None)
    args = parser.parse_args()
    priors = load_priors(args.priors)
    started = time.perf_counter()
    rows = shard_rows(priors.model_dump_json(), args.seed, args.n, 0, args.n)
    elapsed = time.perf_counter() - started
    cases = pa.Table.from_pylist(rows.cases, schema=cases_schema(False))
    shares = mix(cases, priors)
    print(f"{args.n} cases (seed {args.seed}) in {elapsed:.1f} s ({args.n / elapsed:.1f} "
          f"cases/s, one process); realised (the contact engine's finding) against prior")
    print("\n".join(format_mix(shares, args.tolerance)))
    ratios = odds_ratios(cases)
    print("check, not a prior: odds ratio of a contact at each segment, symptomatic sides "
          "against controls: " + ", ".join(
              f"{k} {v:.2f}" + (f" (Li 2024: {PUBLISHED_CONTACT_ODDS_RATIOS[k]})"
                                if k in PUBLISHED_CONTACT_ODDS_RATIOS else "")
              for k, v in ratios.items()))
    worst = max(shares, key=lambda s: abs(s.difference))
    off = [s for s in shares if abs(s.difference) > args.tolerance]
    coarse = [s for s in off if s.n and 1 / s.n > args.tolerance]
    print(f"{len(off)} of {len(shares)} shares depart by more than {args.tolerance:.3f} "
          f"({len(coarse)} of them over fewer than {1 / args.tolerance:.0f} cases); largest "
          f"{worst.difference:+.3f} ({worst.quantity} {worst.value})")


if __name__ == "__main__":
    main()
