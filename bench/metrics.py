"""Relevance metrics through ranx, and latency percentiles."""

from __future__ import annotations

import statistics
import warnings
from collections.abc import Mapping, Sequence

# ranx's names, in the order the report shows them.
METRICS = ("mrr@10", "ndcg@10", "recall@10", "recall@100")
DEPTH = 100


def to_run(ranked: Mapping[str, Sequence[str]], depth: int = DEPTH) -> dict[str, dict[str, float]]:
    """Ranked lists as a ranx run: scores fall with rank, so ties in a system's scores keep its order."""
    run: dict[str, dict[str, float]] = {}
    for qid, docids in ranked.items():
        scores: dict[str, float] = {}
        for rank, docid in enumerate(docids[:depth]):
            scores.setdefault(docid, float(depth - rank))
        run[qid] = scores
    return run


def evaluate(qrels: Mapping[str, Mapping[str, int]], ranked: Mapping[str, Sequence[str]]) -> dict[str, float]:
    """MRR@10, nDCG@10, Recall@10 and Recall@100 over the judged queries; an empty or missing run scores 0."""
    from ranx import Qrels, Run
    from ranx import evaluate as ranx_evaluate

    judged = {qid: dict(docs) for qid, docs in qrels.items() if any(rel > 0 for rel in docs.values())}
    if not judged:
        msg = "no query has a relevant document"
        raise ValueError(msg)
    run = to_run({qid: ranked.get(qid, ()) for qid in judged})
    with warnings.catch_warnings():
        # ranx's numba kernels warn about an int cast while compiling; it does not change a result.
        warnings.filterwarnings("ignore", message="unsafe cast from uint64 to int64")
        scores = ranx_evaluate(Qrels(judged), Run(run), list(METRICS), make_comparable=True)
    return {name: float(scores[name]) for name in METRICS}


def latency_ms(seconds: Sequence[float]) -> dict[str, float]:
    """Median and 95th percentile of per-query times, in milliseconds."""
    if not seconds:
        return {"p50": 0.0, "p95": 0.0}
    ms = sorted(s * 1000 for s in seconds)
    if len(ms) == 1:
        return {"p50": ms[0], "p95": ms[0]}
    cuts = statistics.quantiles(ms, n=100, method="inclusive")
    return {"p50": statistics.median(ms), "p95": cuts[94]}
