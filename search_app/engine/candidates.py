"""The pipeline's first step: which articles a query admits, and which of its units relaxation keeps."""

from __future__ import annotations

import numpy as np
from whoosh import query as wq

from search_app.engine.evaluator import Evaluated, Evaluator

# Relaxation tries every unit; beyond this many it only drops units that match nothing
# (a bound on the cost of a hostile query, not a ranking setting).
MAX_GREEDY_UNITS = 16


class Matched:
    """Every candidate before the filters, gathered for the facet counts: a mask by docnum."""

    def __init__(self, size: int) -> None:
        self.mask = np.zeros(size, dtype=bool)

    def add(self, matches: np.ndarray) -> None:
        """Count these matches too."""
        self.mask |= matches

    def clear(self) -> None:
        """Forget what was gathered (the ranking started over with other candidates)."""
        self.mask[:] = False


def run_query(evaluator: Evaluator, query: wq.Query, depth: int, sort: str) -> Evaluated:
    """A query's matches, with exact scores for at least the best `depth` when ranked by relevance."""
    return evaluator.evaluate_top(query, depth) if sort == "relevance" else evaluator.evaluate(query)


def count_matches(evaluator: Evaluator, query: wq.Query) -> int:
    """How many documents the query matches."""
    return int(np.count_nonzero(evaluator.docs(query)))


def kept_units(docsets: list[set[int]], strong: list[bool] | None = None) -> list[int]:
    """The units (by index) to keep so that some document has them all: the others are dropped.

    Units that match nothing go first; then, while the rest never occur together,
    a weak unit before a strong one (`strong`, by index), and among those the unit
    whose removal leaves the most documents (the commonest on a tie).
    """
    kept = [i for i, docs in enumerate(docsets) if docs]
    weak = [not s for s in strong] if strong is not None else [False] * len(docsets)
    if len(kept) <= MAX_GREEDY_UNITS:
        while len(kept) > 1 and not _common(docsets, kept):
            victim = max(
                kept, key=lambda i: (weak[i], len(_common(docsets, [k for k in kept if k != i])), len(docsets[i]))
            )
            kept.remove(victim)
    return kept


def meaningful(kept: list[int], strong: list[bool]) -> bool:
    """Whether the kept units can mean the query: one of them is strong (a lone 二 or 級 is not)."""
    return any(strong[i] for i in kept)


def _common(docsets: list[set[int]], indexes: list[int]) -> set[int]:
    if not indexes:
        return set()
    common = set(docsets[indexes[0]])
    for i in indexes[1:]:
        common &= docsets[i]
        if not common:
            break
    return common
