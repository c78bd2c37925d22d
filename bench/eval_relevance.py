"""python -m bench.eval_relevance: retrieval sets through the project and two peers, one table per set."""

from __future__ import annotations

import argparse
import datetime as dt
import json
import os
import platform
import sqlite3
import sys
from collections.abc import Sequence
from importlib import metadata
from pathlib import Path
from typing import Any

from bench.datasets import LDCC_SAMPLE, DatasetError, EvalSet, load_jsquad, load_ldcc, load_set
from bench.runner import SYSTEMS, evaluate_set, log

DEFAULT_SETS = ("jsquad", "ldcc")
_COLUMNS = ("system", "MRR@10", "nDCG@10", "R@10", "R@100", "no hits", "index s", "p50 ms", "p95 ms")


def parse_args(argv: Sequence[str] | None) -> argparse.Namespace:
    """The command line."""
    parser = argparse.ArgumentParser(prog="python -m bench.eval_relevance", description=__doc__)
    parser.add_argument("--data", type=Path, default=Path("../shared/data"), help="shared data root")
    parser.add_argument(
        "--sets", default=None, help="default sets to run, comma-separated (jsquad,ldcc; none when --set is given)"
    )
    parser.add_argument(
        "--ldcc-sample", type=int, default=LDCC_SAMPLE, help="ldcc headlines to query (0: all); all articles indexed"
    )
    parser.add_argument(
        "--set",
        dest="custom",
        action="append",
        default=[],
        metavar="NAME=CORPUS,QUERIES,QRELS",
        help="another set in the corpus.jsonl / queries.tsv / qrels.trec format (repeatable)",
    )
    parser.add_argument("--systems", default=",".join(SYSTEMS), help="systems to score, comma-separated")
    parser.add_argument("--jobs", type=int, default=None, help="indexer worker processes (default: CPUs)")
    parser.add_argument("--out", type=Path, default=Path("var/eval/report.json"), help="JSON report")
    return parser.parse_args(argv)


def custom_set(spec: str) -> EvalSet:
    """A set from NAME=CORPUS,QUERIES,QRELS."""
    name, sep, files = spec.partition("=")
    paths = files.split(",")
    if not sep or not name or len(paths) != 3:
        msg = f"--set {spec!r}: expected NAME=CORPUS,QUERIES,QRELS"
        raise DatasetError(msg)
    corpus, queries, qrels = (Path(p) for p in paths)
    return load_set(name, corpus, queries, qrels)


def default_set(name: str, data: Path, ldcc_sample: int) -> EvalSet | None:
    """A default set from the shared data, or None (with a message) when its files are absent."""
    try:
        if name == "jsquad":
            return load_jsquad(data)
        if name == "ldcc":
            return load_ldcc(data, sample=ldcc_sample or None)
    except DatasetError as exc:
        log(f"skipping {name}: {exc}")
        return None
    msg = f"unknown set {name!r} (choose from {', '.join(DEFAULT_SETS)}, or pass --set)"
    raise DatasetError(msg)


def table(name: str, result: dict[str, Any]) -> str:
    """One set's results as a fixed-width table."""
    rows = [_COLUMNS]
    for system, r in result["systems"].items():
        m = r["metrics"]
        rows.append(
            (
                system,
                *(f"{m[k]:.4f}" for k in ("mrr@10", "ndcg@10", "recall@10", "recall@100")),
                f"{r['empty_runs']:,}",
                f"{r['index_seconds']:.1f}",
                f"{r['latency_ms']['p50']:.1f}",
                f"{r['latency_ms']['p95']:.1f}",
            )
        )
    widths = [max(len(row[i]) for row in rows) for i in range(len(_COLUMNS))]
    lines = [
        "  ".join(c.ljust(w) if i == 0 else c.rjust(w) for i, (c, w) in enumerate(zip(row, widths, strict=True)))
        for row in rows
    ]
    rejected = ", ".join(f"{s}: {r['rejected']}" for s, r in result["systems"].items() if r["rejected"])
    head = (
        f"{name}: {result['documents']:,} documents, {result['queries']:,} queries, "
        f"{result['seconds']:.0f}s; rejected queries (empty runs): {rejected or 'none'}"
    )
    return "\n".join([head, *lines])


def environment() -> dict[str, str]:
    """Versions that decide the numbers."""
    versions = {"python": platform.python_version(), "sqlite": sqlite3.sqlite_version, "cpus": str(os.cpu_count())}
    # Timings are only comparable on a quiet machine: the load says how quiet it was.
    versions["loadavg"] = " ".join(f"{x:.2f}" for x in os.getloadavg())
    for package in ("ranx", "bm25s", "whoosh", "janome"):
        try:
            versions[package] = metadata.version(package)
        except metadata.PackageNotFoundError:
            versions[package] = "absent"
    return versions


def main(argv: Sequence[str] | None = None) -> int:
    """Run the sets, print a table per set, write the JSON report; 2 for bad arguments."""
    args = parse_args(argv)
    systems = [s for s in args.systems.split(",") if s]
    unknown = sorted(set(systems) - set(SYSTEMS))
    names = [
        s
        for s in (args.sets if args.sets is not None else "" if args.custom else ",".join(DEFAULT_SETS)).split(",")
        if s
    ]
    try:
        if unknown:
            msg = f"unknown system(s) {', '.join(unknown)} (choose from {', '.join(SYSTEMS)})"
            raise DatasetError(msg)
        sets = [s for s in (default_set(n, args.data, args.ldcc_sample) for n in names) if s is not None]
        sets += [custom_set(spec) for spec in args.custom]
    except DatasetError as exc:
        print(f"eval_relevance: {exc}", file=sys.stderr)
        return 2
    report: dict[str, Any] = {
        "generated": dt.datetime.now(dt.UTC).isoformat(timespec="seconds"),
        "environment": environment(),
        "sets": {},
    }
    for es in sets:
        result = evaluate_set(es, systems, args.jobs)
        result["loadavg_after"] = " ".join(f"{x:.2f}" for x in os.getloadavg())
        report["sets"][es.name] = result
        print(table(es.name, result) + "\n", flush=True)
    if not sets:
        print("eval_relevance: no set to run (the default sets' files are absent)")
    args.out.parent.mkdir(parents=True, exist_ok=True)
    with open(args.out, "w", encoding="utf-8") as fh:
        json.dump(report, fh, ensure_ascii=False, indent=2)
    print(f"report: {args.out}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
