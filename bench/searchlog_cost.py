"""What the search log costs per search: N searches through the app with the log on and off.

    .venv/bin/python -m bench.searchlog_cost [--index var/index] [--rounds 5] [--searches 400]

Rounds alternate off/on so that drift on a shared machine hits both alike; the figure is the
median of the rounds' differences. The writer thread's inserts run beside the searches (one
process), so its CPU is counted too; the queue is drained before each round ends.
"""

from __future__ import annotations

import argparse
import statistics
import tempfile
import time
from pathlib import Path

from search_app import create_app
from search_app.searchlog import make_record
from search_app.services import get_search_log

QUERIES = ("経費精算", "けいひ", "確定申告 医療費", "ふるさと納税", "ぬぬぬぬぬ", "インボイス", "年末調整", "印鑑")


def _round(client, n: int) -> float:
    """Seconds for n searches, the log's queue written out before the clock stops."""
    started = time.perf_counter()
    for i in range(n):
        client.get("/api/search", query_string={"q": QUERIES[i % len(QUERIES)]})
    log = get_search_log()
    if log is not None:
        log.flush()
    return time.perf_counter() - started


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--index", default="var/index")
    parser.add_argument("--rounds", type=int, default=5)
    parser.add_argument("--searches", type=int, default=400)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        base = {"TESTING": True, "INDEX_DIR": args.index, "VOCABULARY_WAIT": 30}
        apps = {
            "off": create_app({**base, "LOG_DB": ""}),
            "on": create_app({**base, "LOG_DB": str(Path(tmp) / "log.sqlite3")}),
        }
        times: dict[str, list[float]] = {"off": [], "on": []}
        for app in apps.values():  # warm: searcher, vocabulary, writer thread
            with app.test_request_context():
                _round(app.test_client(), len(QUERIES) * 2)
        for _ in range(args.rounds):
            for name, app in apps.items():
                with app.test_request_context():
                    times[name].append(_round(app.test_client(), args.searches))
        # The log's own work on the request path: one record made and queued.
        app = apps["on"]
        with app.test_request_context():
            log = get_search_log()
            n = 20_000
            started = time.perf_counter()
            for i in range(n):
                log.record(
                    make_record(
                        QUERIES[i % len(QUERIES)],
                        sort="relevance",
                        filters={},
                        total=3,
                        relaxed=False,
                        suggestion=None,
                        page=1,
                        elapsed=0.01,
                        source="api",
                    )
                )
                if i % 5000 == 4999:
                    log.flush()
            log.flush()
            per_record = (time.perf_counter() - started) / n
    per = {k: [t / args.searches * 1e6 for t in v] for k, v in times.items()}
    diffs = [on - off for on, off in zip(per["on"], per["off"], strict=True)]
    print(f"{args.searches} searches x {args.rounds} rounds over {args.index}")
    print(f"log off: {statistics.median(per['off']):.0f} µs per search (median of rounds)")
    print(f"log on:  {statistics.median(per['on']):.0f} µs per search (median of rounds)")
    print(f"difference: {statistics.median(diffs):+.0f} µs per search (median of per-round differences)")
    print(f"record + queue + write, alone: {per_record * 1e6:.1f} µs per search")


if __name__ == "__main__":
    main()
