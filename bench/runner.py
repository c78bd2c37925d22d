"""Run one set through every system: build, query, score."""

from __future__ import annotations

import contextlib
import sys
import tempfile
import time
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

from bench.datasets import Document, EvalSet
from bench.metrics import DEPTH, evaluate, latency_ms
from bench.peers import CharBigramBM25, Fts5Trigram, Retriever
from bench.project import ProjectSystem
from bench.render import as_extracted
from search_app.engine.syntax import QuerySyntaxError

# A peer name with EXTRACTED after it indexes the text the project's extractor takes
# from the same pages (bench.render.as_extracted), not the documents as given.
EXTRACTED = "+extracted"
PEERS = ("fts5-trigram", "bm25s-bigram")
SYSTEMS = ("project", *PEERS, *(p + EXTRACTED for p in PEERS))


def log(message: str) -> None:
    """Progress on stderr: the runs take minutes."""
    print(message, file=sys.stderr, flush=True)


def build_system(name: str, docs: Sequence[Document], workdir: Path, jobs: int | None) -> Retriever:
    """Index the documents with the named system."""
    if name == "project":
        return ProjectSystem(docs, workdir, jobs=jobs)
    if name.endswith(EXTRACTED) and name.removesuffix(EXTRACTED) in PEERS:
        return build_system(name.removesuffix(EXTRACTED), as_extracted(docs), workdir, jobs)
    if name == "fts5-trigram":
        return Fts5Trigram(docs)
    if name == "bm25s-bigram":
        return CharBigramBM25(docs)
    msg = f"unknown system {name!r} (choose from {', '.join(SYSTEMS)})"
    raise ValueError(msg)


def run_queries(
    system: Retriever, queries: dict[str, str], clock: Callable[[], float] = time.perf_counter
) -> tuple[dict[str, list[str]], list[float], list[str]]:
    """Ranked doc ids per query, per-query seconds, and the qids the system rejected (an empty run each)."""
    ranked: dict[str, list[str]] = {}
    seconds: list[float] = []
    rejected: list[str] = []
    for qid, text in queries.items():
        started = clock()
        try:
            ranked[qid] = system.search(text, DEPTH)
        except QuerySyntaxError:
            ranked[qid] = []
            rejected.append(qid)
            continue
        seconds.append(clock() - started)
    return ranked, seconds, rejected


def evaluate_system(name: str, es: EvalSet, workdir: Path, jobs: int | None) -> dict[str, Any]:
    """Build, warm up, run every judged query and score one system on one set."""
    queries = es.judged_queries()
    log(f"[{es.name}] {name}: indexing {len(es.docs):,} documents")
    system = build_system(name, es.docs, workdir, jobs)
    try:
        log(f"[{es.name}] {name}: indexed in {system.index_seconds:.1f}s; running {len(queries):,} queries")
        # One query before the clock starts: the first loads dictionaries and opens the searcher.
        for text in list(queries.values())[:1]:
            with contextlib.suppress(QuerySyntaxError):
                system.search(text, DEPTH)
        started = time.perf_counter()
        ranked, seconds, rejected = run_queries(system, queries)
        query_seconds = time.perf_counter() - started
        result: dict[str, Any] = {
            "metrics": evaluate(es.qrels, ranked),
            "index_seconds": round(system.index_seconds, 2),
            "query_seconds": round(query_seconds, 2),
            "latency_ms": {k: round(v, 2) for k, v in latency_ms(seconds).items()},
            "queries": len(queries),
            "empty_runs": sum(1 for qid in queries if not ranked[qid]),
            "rejected": len(rejected),
            "rejected_qids": rejected[:20],
        }
        if isinstance(system, ProjectSystem):
            result["render_seconds"] = round(system.render_seconds, 2)
            result["indexer"] = system.summary.line()
            result["skipped_documents"] = [f"{p}: {why}" for p, why in system.summary.problems[:20]]
    finally:
        system.close()
    m = result["metrics"]
    log(
        f"[{es.name}] {name}: MRR@10 {m['mrr@10']:.4f}, R@100 {m['recall@100']:.4f}, "
        f"queries in {query_seconds:.1f}s ({result['rejected']} rejected)"
    )
    return result


def evaluate_set(es: EvalSet, systems: Sequence[str], jobs: int | None) -> dict[str, Any]:
    """Every system on one set, each in its own temporary directory."""
    started = time.perf_counter()
    out: dict[str, Any] = {
        "documents": len(es.docs),
        "queries": len(es.judged_queries()),
        "notes": es.notes,
        "systems": {},
    }
    for name in systems:
        with tempfile.TemporaryDirectory(prefix=f"eval-{es.name}-") as tmp:
            out["systems"][name] = evaluate_system(name, es, Path(tmp), jobs)
    out["seconds"] = round(time.perf_counter() - started, 1)
    return out
