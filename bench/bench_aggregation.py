"""Benchmark: vectorised Schulze aggregation vs a plain pure-Python reference.

Builds random committee ballots (random scale votes on a random subset of
candidates, random explicit orderings), times ``aggregate`` (best of
``repeats``) and a textbook triple-loop Schulze written here (best of
``reference_repeats``, default 1: it takes seconds at 300 candidates), and
checks that both give the same Schulze levels.

Run: ``.venv/bin/python bench/bench_aggregation.py``
"""

from __future__ import annotations

import json
import random
import sys
import time
from collections.abc import Callable, Sequence
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bot.domain.preference_list import Ballot, Vote, aamc_sort_key, aggregate, schulze_order


def random_ballots(candidates: Sequence[str], n_ballots: int, rng: random.Random) -> list[Ballot]:
    votes = list(Vote)
    ballots = []
    for m in range(n_ballots):
        scored = rng.sample(list(candidates), rng.randint(len(candidates) // 3, len(candidates)))
        ordered = rng.sample(list(candidates), rng.randint(0, min(40, len(candidates))))
        scale = {c: rng.choice(votes) for c in scored}
        ballots.append(Ballot(member=f"U{m:03d}", scale=scale, ordering=tuple(ordered)))
    return ballots


def reference_schulze(candidates: Sequence[str], ballots: Sequence[Ballot]) -> list[list[str]]:
    """Schulze (winning votes) the slow, obvious way: per-pair counts, triple-loop widest paths."""
    n = len(candidates)
    d = [[0] * n for _ in range(n)]
    for b in ballots:
        for i in range(n):
            for j in range(n):
                if i != j and b.prefers(candidates[i], candidates[j]):
                    d[i][j] += 1
    p = [[d[i][j] if d[i][j] > d[j][i] else 0 for j in range(n)] for i in range(n)]
    for k in range(n):
        pk = p[k]
        for i in range(n):
            if i == k:
                continue
            pik = p[i][k]
            if pik == 0:
                continue
            pi = p[i]
            for j in range(n):
                if j != i and j != k:
                    via = pik if pik < pk[j] else pk[j]
                    if via > pi[j]:
                        pi[j] = via
    remaining = set(range(n))
    levels: list[list[str]] = []
    while remaining:
        top = [i for i in remaining if all(p[j][i] <= p[i][j] for j in remaining if j != i)]
        levels.append(sorted((candidates[i] for i in top), key=aamc_sort_key))
        remaining -= set(top)
    return levels


def _best_of(fn: Callable[[], object], repeats: int) -> float:
    best = float("inf")
    for _ in range(repeats):
        start = time.perf_counter()
        fn()
        best = min(best, time.perf_counter() - start)
    return best


def run(
    n_candidates: int = 300, n_ballots: int = 15, seed: int = 1, repeats: int = 5, reference_repeats: int = 1
) -> dict[str, float | int]:
    rng = random.Random(seed)
    candidates = [str(10_000_000 + i) for i in range(n_candidates)]
    rng.shuffle(candidates)
    ballots = random_ballots(candidates, n_ballots, rng)

    ours = schulze_order(candidates, ballots)
    ref = reference_schulze(candidates, ballots)
    if ours != ref:
        raise AssertionError("vectorised and reference Schulze levels differ")

    ours_s = _best_of(lambda: aggregate(candidates, ballots), repeats)
    reference_s = _best_of(lambda: reference_schulze(candidates, ballots), reference_repeats)
    return {
        "ours_s": round(ours_s, 4),
        "reference_s": round(reference_s, 4),
        "n_candidates": n_candidates,
        "n_ballots": n_ballots,
        "levels": len(ours),
    }


if __name__ == "__main__":
    print(json.dumps(run()))
