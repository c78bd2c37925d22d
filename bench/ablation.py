"""python -m bench.ablation: how much MRR@10 the project loses when one text field of the index is dropped.

Each set's index is built once (bench.project.ProjectSystem). Its queries then run
once with every field and once per field with that field dropped at query time:
its postings read as empty, through a patch of search_app.engine.postings._term (text_ng,
computed from title_ng and body_ng, through search_app.engine.bm25's gram_postings
and doc_frequency). The product is not edited; the patches are undone after each
configuration, and each configuration opens a searcher and a service of its own,
so no per-searcher cache (idf, field lengths) carries over from another.

By default dropping title_ng or body_ng leaves text_ng whole (it is a field of its
own in the schema); with --coupled it loses that field's share too.
"""

from __future__ import annotations

import argparse
import contextlib
import contextvars
import datetime as dt
import json
import os
import random
import sys
import tempfile
import time
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any
from unittest import mock

import numpy as np

import search_app.engine.bm25
import search_app.engine.postings
import search_app.engine.searcher
from bench.datasets import DatasetError, EvalSet
from bench.eval_relevance import DEFAULT_SETS, default_set, environment
from bench.metrics import DEPTH, evaluate
from bench.project import ProjectSystem
from bench.runner import log, run_queries
from indexer.schema import build_schema
from search_app.engine.postings import Postings
from search_app.engine.searcher import IndexHandle
from search_app.engine.service import SearchService
from search_app.engine.syntax import QuerySyntaxError

DEFAULT_FIELDS = ("title", "body", "tags", "title_ng", "body_ng", "text_ng", "title_rd", "body_rd")
# The fixed seed of a query sample (ldcc's own sample is bench.datasets.LDCC_SEED's).
SAMPLE_SEED = 20140209
# The metric the table shows; the JSON has all of bench.metrics.METRICS.
METRIC = "mrr@10"
# How deep two rankings are compared for "changed".
CHANGED_DEPTH = 10
NOTHING = "(none)"

# True while text_ng's postings are computed from title_ng and body_ng (unless --coupled).
_computing_text_ng: contextvars.ContextVar[bool] = contextvars.ContextVar("computing_text_ng", default=False)


@dataclass
class Blocked:
    """How many lookups a drop turned away: postings that existed and read as empty."""

    count: int = 0


def parse_args(argv: Sequence[str] | None) -> argparse.Namespace:
    """The command line."""
    parser = argparse.ArgumentParser(prog="python -m bench.ablation", description=__doc__)
    parser.add_argument("--data", type=Path, default=Path("../shared/data"), help="shared data root")
    parser.add_argument("--sets", default=",".join(DEFAULT_SETS), help="sets to run, comma-separated (jsquad,ldcc)")
    parser.add_argument("--ldcc-sample", type=int, default=300, help="ldcc headlines to query (0: all)")
    parser.add_argument("--jsquad-sample", type=int, default=0, help="JSQuAD questions to query (0: all)")
    parser.add_argument("--fields", default=",".join(DEFAULT_FIELDS), help="fields to drop one at a time")
    parser.add_argument(
        "--coupled", action="store_true", help="dropping title_ng or body_ng also takes it out of text_ng"
    )
    parser.add_argument("--jobs", type=int, default=None, help="indexer worker processes (default: CPUs)")
    parser.add_argument("--out", type=Path, default=Path("var/eval/ablation.json"), help="JSON report")
    return parser.parse_args(argv)


def check_fields(fields: Sequence[str]) -> None:
    """Raise DatasetError unless every field is a scored field of the index schema."""
    schema = build_schema()
    wrong = [f for f in fields if f not in schema.names() or not schema[f].scorable]
    if wrong:
        scored = ", ".join(n for n in schema.names() if schema[n].scorable)
        msg = f"not a scored field of the index: {', '.join(wrong)} (choose from {scored})"
        raise DatasetError(msg)


def sample_queries(es: EvalSet, size: int, seed: int = SAMPLE_SEED) -> EvalSet:
    """The set with `size` of its judged queries (a fixed seeded sample), or as it is for 0 or more than it has."""
    judged = sorted(es.judged_queries())
    if size <= 0 or size >= len(judged):
        return es
    qids = sorted(random.Random(seed).sample(judged, size))
    notes = {**es.notes, "query_sample": size, "query_seed": seed}
    return EvalSet(es.name, es.docs, {q: es.queries[q] for q in qids}, {q: es.qrels[q] for q in qids}, notes)


@contextlib.contextmanager
def dropped(field: str | None, *, coupled: bool = False) -> Iterator[Blocked]:
    """While inside, the field's postings read as empty (nothing is dropped for None)."""
    blocked = Blocked()
    if field is None:
        yield blocked
        return
    with contextlib.ExitStack() as stack:
        if field == search_app.engine.bm25.GRAM_FIELD:
            _drop_text_ng(stack, field, blocked)
        else:
            _drop_stored(stack, field, blocked, coupled=coupled)
        yield blocked


def _drop_stored(stack: contextlib.ExitStack, field: str, blocked: Blocked, *, coupled: bool) -> None:
    """Patch postings._term so that the field's terms are absent (except inside text_ng's sums unless coupled)."""
    term = search_app.engine.postings._term

    def without(reader: object, fieldname: str, word: str) -> Any:
        found = term(reader, fieldname, word)
        if found is None or fieldname != field or _computing_text_ng.get():
            return found
        blocked.count += 1
        return None

    stack.enter_context(mock.patch.object(search_app.engine.postings, "_term", without))
    if coupled:
        return
    # bm25.py looks these two up in its own namespace: wrapped there, they see the field.
    for name in ("gram_postings", "gram_doc_frequency"):
        stack.enter_context(
            mock.patch.object(search_app.engine.bm25, name, _seeing_all(getattr(search_app.engine.bm25, name)))
        )


def _seeing_all(function: Callable[..., Any]) -> Callable[..., Any]:
    """The function, run with every field's postings visible (text_ng is computed from title_ng and body_ng)."""

    def wrapper(*args: Any, **kwargs: Any) -> Any:
        token = _computing_text_ng.set(True)
        try:
            return function(*args, **kwargs)
        finally:
            _computing_text_ng.reset(token)

    return wrapper


def _drop_text_ng(stack: contextlib.ExitStack, field: str, blocked: Blocked) -> None:
    """Patch text_ng's computed postings and document frequency to nothing, where each is looked up."""
    postings = search_app.engine.bm25.gram_postings
    frequency = search_app.engine.bm25.doc_frequency

    def no_postings(reader: object, gram: str, wanted: np.ndarray | None = None) -> Postings:
        if len(postings(reader, gram, wanted).ids):
            blocked.count += 1
        return Postings(np.zeros(0, dtype=np.int64), np.zeros(0, dtype=np.float64))

    def no_frequency(searcher: Any, fieldname: str, term: str) -> int:
        found = frequency(searcher, fieldname, term)
        if fieldname != field:
            return found
        if found:
            blocked.count += 1
        return 0

    stack.enter_context(mock.patch.object(search_app.engine.bm25, "gram_postings", no_postings))
    stack.enter_context(mock.patch.object(search_app.engine.bm25, "doc_frequency", no_frequency))
    # search_app.engine.searcher imported it by name (BM25's idf, which openings.py's weights also use).
    stack.enter_context(mock.patch.object(search_app.engine.searcher, "doc_frequency", no_frequency))


def reopen(system: ProjectSystem) -> None:
    """A fresh searcher and service over the same index: no cache of another configuration is used."""
    system.handle.close()
    system.handle = IndexHandle(system.handle.path, reload_interval=3600.0)
    system.service = SearchService(system.handle)


def run_configuration(
    system: ProjectSystem, es: EvalSet, field: str | None, *, coupled: bool
) -> tuple[dict[str, list[str]], dict[str, Any]]:
    """Every judged query with the field dropped (None: nothing): the rankings and their scores."""
    queries = es.judged_queries()
    reopen(system)
    with dropped(field, coupled=coupled) as blocked:
        # One query first: it opens the searcher (and, the first time, loads the dictionaries).
        for text in list(queries.values())[:1]:
            with contextlib.suppress(QuerySyntaxError):
                system.search(text, DEPTH)
        started = time.perf_counter()
        ranked, _seconds, rejected = run_queries(system, queries)
        seconds = time.perf_counter() - started
    result: dict[str, Any] = {
        "metrics": evaluate(es.qrels, ranked),
        "seconds": round(seconds, 2),
        "empty_runs": sum(1 for qid in queries if not ranked[qid]),
        "rejected": len(rejected),
        "blocked_lookups": blocked.count,
    }
    return ranked, result


def ablate_set(es: EvalSet, fields: Sequence[str], jobs: int | None, *, coupled: bool) -> dict[str, Any]:
    """Build the set's index once, then score it with nothing dropped and with each field dropped."""
    started = time.perf_counter()
    queries = es.judged_queries()
    out: dict[str, Any] = {"documents": len(es.docs), "queries": len(queries), "notes": es.notes}
    with tempfile.TemporaryDirectory(prefix=f"ablation-{es.name}-") as tmp:
        log(f"[{es.name}] indexing {len(es.docs):,} documents")
        system = ProjectSystem(es.docs, Path(tmp), jobs=jobs)
        try:
            out["index_seconds"] = round(system.index_seconds, 2)
            out["indexer"] = system.summary.line()
            log(f"[{es.name}] indexed in {system.index_seconds:.1f}s; {len(queries):,} queries per configuration")
            base_ranked, base = run_configuration(system, es, None, coupled=coupled)
            out["baseline"] = base
            log(f"[{es.name}] {NOTHING}: {METRIC} {base['metrics'][METRIC]:.4f} in {base['seconds']:.1f}s")
            out["dropped"] = {}
            for field in fields:
                ranked, result = run_configuration(system, es, field, coupled=coupled)
                result["delta"] = {k: round(v - base["metrics"][k], 6) for k, v in result["metrics"].items()}
                result["changed_queries"] = sum(
                    1 for qid in queries if ranked[qid][:CHANGED_DEPTH] != base_ranked[qid][:CHANGED_DEPTH]
                )
                out["dropped"][field] = result
                log(
                    f"[{es.name}] -{field}: {METRIC} {result['metrics'][METRIC]:.4f} "
                    f"({result['delta'][METRIC]:+.4f}), top {CHANGED_DEPTH} changed for "
                    f"{result['changed_queries']:,} queries, {result['seconds']:.1f}s"
                )
        finally:
            system.close()
    out["seconds"] = round(time.perf_counter() - started, 1)
    return out


def table(results: dict[str, dict[str, Any]], fields: Sequence[str]) -> str:
    """Per field and set: MRR@10 with nothing dropped, the change when the field is dropped, and seconds."""
    head = ["field"]
    for name in results:
        head += [f"{name} {METRIC.upper()}", f"{name} Δ", f"{name} s"]
    rows = [head]
    for field in (NOTHING, *fields):
        row = [field if field == NOTHING else f"-{field}"]
        for r in results.values():
            if field == NOTHING:
                row += [f"{r['baseline']['metrics'][METRIC]:.4f}", "", f"{r['baseline']['seconds']:.1f}"]
            else:
                d = r["dropped"][field]
                row += [f"{d['metrics'][METRIC]:.4f}", f"{d['delta'][METRIC]:+.4f}", f"{d['seconds']:.1f}"]
        rows.append(row)
    widths = [max(len(row[i]) for row in rows) for i in range(len(head))]
    lines = [
        "  ".join(c.ljust(w) if i == 0 else c.rjust(w) for i, (c, w) in enumerate(zip(row, widths, strict=True)))
        for row in rows
    ]
    sizes = "; ".join(f"{n}: {r['documents']:,} documents, {r['queries']:,} queries" for n, r in results.items())
    return "\n".join([sizes, *lines, "Δ: the change when the field is dropped (negative: the field helps)"])


def main(argv: Sequence[str] | None = None) -> int:
    """Run the ablation on each set, print the table, write the JSON report; 2 for bad arguments."""
    args = parse_args(argv)
    names = [s for s in args.sets.split(",") if s]
    fields = list(dict.fromkeys(f for f in args.fields.split(",") if f))
    try:
        unknown = sorted(set(names) - set(DEFAULT_SETS))
        if unknown:
            msg = f"unknown set(s) {', '.join(unknown)} (choose from {', '.join(DEFAULT_SETS)})"
            raise DatasetError(msg)
        if args.ldcc_sample < 0 or args.jsquad_sample < 0:
            msg = "a sample size is 0 (all) or more"
            raise DatasetError(msg)
        check_fields(fields)
        sets = [s for s in (default_set(n, args.data, args.ldcc_sample) for n in names) if s is not None]
    except DatasetError as exc:
        print(f"ablation: {exc}", file=sys.stderr)
        return 2
    sets = [sample_queries(s, args.jsquad_sample) if s.name == "jsquad" else s for s in sets]
    report: dict[str, Any] = {
        "generated": dt.datetime.now(dt.UTC).isoformat(timespec="seconds"),
        "environment": environment(),
        "arguments": {
            "sets": names,
            "fields": fields,
            "ldcc_sample": args.ldcc_sample,
            "jsquad_sample": args.jsquad_sample,
            "sample_seed": SAMPLE_SEED,
            "coupled": args.coupled,
        },
        "sets": {},
    }
    for es in sets:
        report["sets"][es.name] = ablate_set(es, fields, args.jobs, coupled=args.coupled)
        report["sets"][es.name]["loadavg_after"] = " ".join(f"{x:.2f}" for x in os.getloadavg())
    if not sets:
        print("ablation: no set to run (the sets' files are absent)")
    else:
        print(table(report["sets"], fields), flush=True)
    args.out.parent.mkdir(parents=True, exist_ok=True)
    with open(args.out, "w", encoding="utf-8") as fh:
        json.dump(report, fh, ensure_ascii=False, indent=2)
    print(f"report: {args.out}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
