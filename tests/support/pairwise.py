"""A small all-pairs (pairwise) covering array: every value of every factor meets every value of
every other factor in at least one case, with far fewer cases than the full product."""

from __future__ import annotations

from itertools import combinations, product
from typing import Any


def all_pairs(factors: dict[str, list[Any]]) -> list[dict[str, Any]]:
    """Greedy, deterministic: each new case covers as many uncovered pairs as possible."""
    names = list(factors)
    index = {n: range(len(factors[n])) for n in names}
    uncovered = {((a, i), (b, j)) for a, b in combinations(names, 2) for i in index[a] for j in index[b]}
    cases: list[tuple[int, ...]] = []
    while uncovered:
        best, best_gain = None, -1
        # Start from each uncovered pair and fill the other factors one by one, greedily.
        for (a, i), (b, j) in sorted(uncovered):
            case = {a: i, b: j}
            for name in names:
                if name in case:
                    continue
                case[name] = max(
                    index[name],
                    key=lambda v, name=name: sum(
                        ((m, case[m]), (name, v)) in uncovered or ((name, v), (m, case[m])) in uncovered for m in case
                    ),
                )
            row = tuple(case[n] for n in names)
            gain = sum(
                ((x, row[names.index(x)]), (y, row[names.index(y)])) in uncovered for x, y in combinations(names, 2)
            )
            if gain > best_gain:
                best, best_gain = row, gain
        assert best is not None
        cases.append(best)
        uncovered -= {((x, best[names.index(x)]), (y, best[names.index(y)])) for x, y in combinations(names, 2)}
    return [{n: factors[n][row[k]] for k, n in enumerate(names)} for row in cases]


def covers_all_pairs(factors: dict[str, list[Any]], cases: list[dict[str, Any]]) -> bool:
    names = list(factors)
    seen = {(a, repr(c[a]), b, repr(c[b])) for c in cases for a, b in combinations(names, 2)}
    return all(
        (a, repr(x), b, repr(y)) in seen for a, b in combinations(names, 2) for x, y in product(factors[a], factors[b])
    )
