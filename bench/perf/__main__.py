"""`make bench`: indexing speed, one-article reindex, query load and a growth curve over the livedoor news corpus."""

from __future__ import annotations

import argparse
import json
import os
import shutil
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

from bench.perf import corpus as corpus_mod
from bench.perf import growth, indexing, load
from bench.perf.report import print_table

DEFAULT_LDCC = Path("../shared/data/ldcc")
DEFAULT_SIZES = "1000,5000,20000,50000"


def build_parser() -> argparse.ArgumentParser:
    """Command line of the benchmark run."""
    p = argparse.ArgumentParser(prog="python -m bench.perf", description=__doc__)
    p.add_argument("--ldcc", type=Path, default=DEFAULT_LDCC, help="livedoor news corpus (default: %(default)s)")
    p.add_argument("--work", type=Path, help="scratch directory for corpora and indexes (default: a temporary one)")
    p.add_argument("--results", type=Path, default=Path("var/bench"), help="JSON results (default: %(default)s)")
    p.add_argument("--jobs", type=int, default=os.cpu_count() or 1, help="indexer --jobs (default: CPUs)")
    p.add_argument("--baseline-docs", type=int, default=1000, help="articles Janome alone tokenizes (default: 1000)")
    p.add_argument("--stage-docs", type=int, default=200, help="articles for the CPU-per-stage profile (default: 200)")
    p.add_argument("--query-docs", type=int, default=2000, help="articles for the query benchmark (default: 2000)")
    p.add_argument("--duration", type=float, default=30, help="seconds of load per query measurement")
    p.add_argument("--clients", type=int, default=4, help="concurrent HTTP clients (default: 4)")
    p.add_argument("--sizes", default=DEFAULT_SIZES, help="growth-curve sizes (default: %(default)s)")
    p.add_argument("--plot", type=Path, default=Path("docs/perf-growth.png"), help="growth-curve PNG")
    p.add_argument(
        "--only",
        choices=["stages", "full", "reindex", "queries", "growth", "table"],
        action="append",
        help="run only these parts (repeatable); `table` prints the saved results",
    )
    p.add_argument(
        "--requery",
        action="append",
        default=[],
        metavar="SIZE=INDEX",
        help="measure the queries of a saved growth point again, over INDEX built from the same SIZE articles "
        "(its build figures are kept; repeatable; for query-side changes without rebuilding 50,000 articles)",
    )
    p.add_argument("--keep", action="store_true", help="keep the scratch directory and the growth indexes in it")
    return p


def main(argv: list[str] | None = None) -> int:
    """Run the chosen parts, save each result as it comes, print the table."""
    args = build_parser().parse_args(argv)
    parts = set(args.only or ([] if args.requery else ["stages", "full", "reindex", "queries", "growth"]))
    args.results.mkdir(parents=True, exist_ok=True)
    results_file = args.results / "perf.json"
    results: dict[str, Any] = json.loads(results_file.read_text(encoding="utf-8")) if results_file.exists() else {}
    if parts == {"table"}:
        print_table(results, growth.load_points(args.results))
        return 0
    if not (args.ldcc / "README.txt").exists():
        print(f"bench: skipped: the livedoor news corpus is not at {args.ldcc} (use --ldcc DIR)")
        return 0
    if parts & {"queries", "growth"} and not load.wrk_available():
        print("bench: wrk is not installed (apt-get install wrk; `make bench` does it)", file=sys.stderr)
        return 1
    work = args.work or Path(tempfile.mkdtemp(prefix="perf-"))
    work.mkdir(parents=True, exist_ok=True)
    results["machine"] = {"cpus": os.cpu_count(), "jobs": args.jobs, "when": time.strftime("%Y-%m-%d %H:%M")}

    def save() -> None:
        results_file.write_text(json.dumps(results, ensure_ascii=False, indent=2), encoding="utf-8")

    try:
        run_parts(args, parts, work, results, save)
    finally:
        if not args.keep and args.work is None:
            shutil.rmtree(work, ignore_errors=True)
    print_table(results, growth.load_points(args.results))
    return 0


def run_parts(
    args: argparse.Namespace, parts: set[str], work: Path, results: dict[str, Any], save: Callable[[], None]
) -> None:
    """The benchmarks themselves, each result saved as soon as it is known."""
    sources = corpus_mod.read_ldcc(args.ldcc)
    full_corpus, full_index = work / "ldcc-html", work / "ldcc-index"
    if parts & {"stages", "full", "reindex"} and not full_corpus.exists():
        corpus_mod.write_corpus(sources, full_corpus)
    if "stages" in parts:
        step(f"CPU per stage, one process, {args.stage_docs} articles")
        from bench.perf.stages import measure_stages

        results["stages"] = measure_stages(full_corpus, args.stage_docs)
        save()
    if "full" in parts or ("reindex" in parts and not full_index.exists()):
        step(f"full index: {len(sources)} articles, --jobs {args.jobs}")
        full = indexing.build_index(full_corpus, full_index, args.jobs).as_dict()
        results["full"] = full
        from bench.perf.fields import field_bytes

        results["fields"] = {"table": field_bytes(full_index), "text_bytes": round(full["text_mb"] * 2**20)}
        save()
        step(f"Janome alone on {args.baseline_docs} of the same articles")
        janome = results["janome"] = indexing.janome_speed(full_index, args.baseline_docs)
        full["ratio_to_janome"] = round(full["chars_per_s"] / janome["chars_per_s"], 2)
        ideal_speed = full["chars"] / full["ideal_2core_wall_s"]
        full["ideal_ratio_to_janome"] = round(ideal_speed / janome["chars_per_cpu_s"], 2)
        save()
    if "reindex" in parts:
        step("one changed article, python -m indexer end to end")
        results["reindex"] = indexing.reindex_one(full_corpus, full_index)
        save()
    if "growth" in parts and "full" in results and full_index.exists():
        # The full ldcc build is the growth curve's point at 7,367 articles: only its queries are missing.
        step(f"growth: {results['full']['docs']} articles (the full build), queries")
        queries = load.measure_queries(
            full_index,
            work,
            connections=args.clients,
            seconds=min(args.duration, 20),
            warmup=growth.warmup_seconds(results["full"]["docs"]),
        )
        growth.save_point(args.results, {"size": results["full"]["docs"], "build": results["full"], "queries": queries})
    if "queries" in parts:
        step(f"queries: {args.query_docs} articles, {args.clients} clients, {args.duration:.0f}s")
        point = growth.measure_point(sources, args.query_docs, work, args.jobs, args.clients, args.duration)
        results["queries"] = point
        save()
        if "growth" in parts:
            growth.save_point(args.results, point)
    for spec in args.requery:
        size, _, index = spec.partition("=")
        step(f"growth: {size} articles, queries again over {index}")
        growth.requery_point(args.results, int(size), Path(index), work, args.clients, min(args.duration, 20))
    if args.requery:
        growth.plot(growth.load_points(args.results), args.plot)
    if "growth" in parts:
        for size in [int(s) for s in args.sizes.split(",") if s.strip()]:
            step(f"growth: {size} articles")
            point = growth.measure_point(
                sources, size, work, args.jobs, args.clients, min(args.duration, 20), keep_index=args.keep
            )
            growth.save_point(args.results, point)
        growth.plot(growth.load_points(args.results), args.plot)
        step(f"plot: {args.plot}")


def step(message: str) -> None:
    """A progress line on stderr."""
    print(f"bench: {time.strftime('%H:%M:%S')} {message}", file=sys.stderr, flush=True)


if __name__ == "__main__":
    sys.exit(main())
