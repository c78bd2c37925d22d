"""Bounded load test: wrk against the production server while full rebuilds run in a loop.

    python -m bench.load.run [--docs 400] [--duration 60] [--connections 16] [--data ../shared/data]

Builds a corpus (ldcc articles rendered as pages, or synthetic pages when ldcc is absent),
indexes it, starts `python -m search_app` on a free 127.0.0.1 port, then runs wrk with a
rotating mix of queries, pages and errors for --duration seconds while
`python -m indexer --rebuild` runs again and again. Every answer is checked (status, and
hits for queries known to have them). Exit 0 only with zero errors and zero empty answers.
Everything stops by itself: each step has a time limit.
"""

from __future__ import annotations

import argparse
import contextlib
import json
import os
import shutil
import signal
import socket
import subprocess
import sys
import threading
import time
import urllib.error
import urllib.parse
import urllib.request
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from bench.load.corpus import build_corpus

HERE = Path(__file__).resolve().parent
REPO = HERE.parent.parent
LUA = HERE / "mixed.lua"

# Queries to try; those with hits in the fresh index must keep having hits under load.
LDCC_QUERIES = (
    "映画", "スマートフォン", "iPhone", "女性", "結婚", "サッカー", "日本代表", "アプリ", "発売", "写真",
    "Android", "ゲーム", "恋愛", "野球", "家電", "映画 女優", "iPhone OR Android", '"日本代表"',
    "title:映画", "スマートフォン -iPhone", "(映画 OR 音楽) 公開",
)  # fmt: skip
SYNTHETIC_QUERIES = (
    "経費精算", "年末調整", "見積書", "請求書", "印鑑", "契約書", "勤怠管理", "社会保険", "申請 承認",
    "経費精算 OR 年末調整", '"経理部"', "title:見積書", "書類 -印鑑",
)  # fmt: skip
MISSES = ("存在しないはずの語句ですよ", "qqqzzzxxx")
# Input the server must refuse with a 400 (and never a 5xx).
BAD_REQUESTS = (
    "/api/search?q=-" + urllib.parse.quote("映画"),
    "/api/search?q=" + urllib.parse.quote("(" * 40 + "x"),
    "/api/search?q=x&page=0",
    "/api/search?q=x&per_page=500",
    "/api/search?q=" + "a" * 1001,
    "/search?q=x&page=abc",
)


@dataclass
class Rebuilds:
    """What the rebuild loop did."""

    finished: list[tuple[float, float, int]] = field(default_factory=list)  # (start, end, exit code)
    failures: list[str] = field(default_factory=list)
    killed_at_end: bool = False


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def get(url: str, timeout: float = 30) -> tuple[int, Any]:
    """Status and parsed JSON (or text) of a GET."""
    try:
        with urllib.request.urlopen(url, timeout=timeout) as response:
            status, body = response.status, response.read()
    except urllib.error.HTTPError as exc:
        status, body = exc.code, exc.read()
    text = body.decode("utf-8", "replace")
    try:
        return status, json.loads(text)
    except ValueError:
        return status, text


def start_group(args: list[str], log: Path) -> subprocess.Popen:
    """A child in its own process group, output to a log file (the server's search log beside it, not in var/)."""
    env = {**os.environ, "SEARCH_LOG_DB": str(log.parent / "search-log.sqlite3")}
    with open(log, "ab") as out:  # the child keeps its own copy of the descriptor
        return subprocess.Popen(args, cwd=REPO, stdout=out, stderr=subprocess.STDOUT, start_new_session=True, env=env)


def stop_group(proc: subprocess.Popen, sig: int = signal.SIGTERM, wait: float = 20) -> None:
    """Signal the child's process group; SIGKILL it if it has not exited after `wait` seconds."""
    if proc.poll() is None:
        with contextlib.suppress(ProcessLookupError):
            os.killpg(proc.pid, sig)
        try:
            proc.wait(timeout=wait)
        except subprocess.TimeoutExpired:
            with contextlib.suppress(ProcessLookupError):
                os.killpg(proc.pid, signal.SIGKILL)
            proc.wait(timeout=30)


def indexer_args(corpus: Path, index: Path, jobs: int | None) -> list[str]:
    args = [sys.executable, "-m", "indexer", "--corpus", str(corpus), "--index", str(index), "--rebuild", "-q"]
    return [*args, "--jobs", str(jobs)] if jobs else args


def rebuild_loop(cmd: list[str], log: Path, stop: threading.Event, out: Rebuilds, grace: float) -> None:
    """Run full rebuilds back to back until `stop`; the one running then gets `grace` seconds to finish."""
    while not stop.is_set():
        started = time.monotonic()
        proc = start_group(cmd, log)
        while proc.poll() is None and not stop.wait(0.5):
            pass
        if proc.poll() is None:
            try:
                proc.wait(timeout=grace)
            except subprocess.TimeoutExpired:
                # Killing a rebuild is safe by design (the fault tests prove it); the loop is bounded.
                out.killed_at_end = True
                stop_group(proc, signal.SIGKILL)
                return
        stop_group(proc)
        out.finished.append((started, time.monotonic(), proc.returncode))
        if proc.returncode != 0:
            out.failures.append(f"rebuild exited {proc.returncode} (see {log})")


def plan_requests(base: str, queries: tuple[str, ...]) -> tuple[list[tuple[int, bool, str]], dict[str, int]]:
    """The request mix, each with its expected status and whether it must have hits; probed once before the load."""
    plan: list[tuple[int, bool, str]] = []
    probe: dict[str, int] = {}
    article = ""
    for q in (*queries, *MISSES):
        status, body = get(f"{base}/api/search?q={urllib.parse.quote(q)}")
        if status != 200:
            msg = f"probe of {q!r} answered {status}: {body}"
            raise RuntimeError(msg)
        total = int(body["total"])
        probe[q] = total
        quoted = urllib.parse.quote(q)
        has_hits = total > 0
        plan += [(200, has_hits, f"/api/search?q={quoted}")] * 3
        plan.append((200, has_hits, f"/search?q={quoted}"))
        if total > 10:
            plan.append((200, True, f"/api/search?q={quoted}&page=2"))
        if has_hits and not article:
            article = body["hits"][0]["path"]
    plan += [(400, False, path) for path in BAD_REQUESTS]
    plan += [(200, False, "/healthz"), (200, False, "/"), (404, False, "/articles/no/such/article.html")]
    if article:
        plan += [(200, False, f"/articles/{urllib.parse.quote(article)}")] * 2
    return plan, probe


def run_wrk(base: str, plan_file: Path, duration: int, connections: int, log: Path) -> dict[str, Any]:
    cmd = [
        "wrk", "-t", str(connections), "-c", str(connections), "-d", f"{duration}s", "--timeout", "10s",
        "-s", str(LUA), base, "--", str(plan_file),
    ]  # fmt: skip
    done = subprocess.run(cmd, capture_output=True, text=True, encoding="utf-8", timeout=duration + 60, check=False)
    log.write_text(done.stdout + done.stderr, encoding="utf-8")
    line = next((x for x in done.stdout.splitlines() if x.startswith("LOADTEST_JSON ")), None)
    if done.returncode != 0 or line is None:
        msg = f"wrk failed ({done.returncode}): {done.stderr.strip() or done.stdout.strip()}"
        raise RuntimeError(msg)
    return json.loads(line.removeprefix("LOADTEST_JSON "))


def wait_healthy(base: str, deadline: float) -> dict[str, Any]:
    while time.monotonic() < deadline:
        with contextlib.suppress(OSError):
            status, body = get(f"{base}/healthz", timeout=5)
            if status == 200:
                return body
        time.sleep(0.5)
    msg = f"the server at {base} did not become healthy"
    raise RuntimeError(msg)


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="python -m bench.load.run", description=__doc__.split("\n\n")[0])
    parser.add_argument("--data", type=Path, default=REPO.parent / "shared" / "data", help="shared data (ldcc/)")
    parser.add_argument("--docs", type=int, default=400, help="articles in the corpus (default: %(default)s)")
    parser.add_argument("--duration", type=int, default=60, help="seconds of load (default: %(default)s)")
    parser.add_argument("--connections", type=int, default=16, help="concurrent clients (default: %(default)s)")
    parser.add_argument("--jobs", type=int, default=None, help="indexer workers (default: the indexer's, CPUs)")
    parser.add_argument("--workers", type=int, default=None, help="server workers (default: the server's)")
    parser.add_argument("--workdir", type=Path, default=REPO / "var" / "loadtest", help="corpus, index, logs")
    return parser


def prepare_corpus(work: Path, data: Path, docs: int) -> dict[str, Any]:
    """Build (or reuse) the corpus under work/corpus; its description."""
    marker = work / "corpus.json"
    wanted = {"docs": docs, "data": str(data)}
    if not marker.exists() or json.loads(marker.read_text(encoding="utf-8")).get("wanted") != wanted:
        shutil.rmtree(work / "corpus", ignore_errors=True)
        count, source = build_corpus(work / "corpus", data, docs)
        marker.write_text(json.dumps({"wanted": wanted, "count": count, "source": source}), encoding="utf-8")
    return json.loads(marker.read_text(encoding="utf-8"))


@dataclass
class LoadRun:
    """What happened while the server was up."""

    wrk: dict[str, Any]
    probe: dict[str, int]
    load_window: tuple[float, float]
    healthz_after: tuple[int, Any]
    rebuilds: Rebuilds


def serve_and_load(args: argparse.Namespace, info: dict[str, Any], work: Path) -> LoadRun:
    """Start the server, probe the queries, run wrk while rebuilds loop, stop everything."""
    corpus, index, logs = work / "corpus", work / "index", work / "logs"
    port = free_port()
    base = f"http://127.0.0.1:{port}"
    server_cmd = [sys.executable, "-m", "search_app", "--index", str(index), "--host", "127.0.0.1", "--port", str(port)]
    if args.workers:
        server_cmd += ["--workers", str(args.workers)]
    (logs / "server.log").unlink(missing_ok=True)
    (logs / "rebuild.log").unlink(missing_ok=True)
    server = start_group(server_cmd, logs / "server.log")
    rebuilds = Rebuilds()
    stop = threading.Event()
    try:
        health = wait_healthy(base, time.monotonic() + 120)
        queries = LDCC_QUERIES if info["source"].startswith("ldcc") else SYNTHETIC_QUERIES
        plan, probe = plan_requests(base, queries)
        plan_file = work / "plan.tsv"
        plan_file.write_text("".join(f"{s}\t{int(h)}\t{p}\n" for s, h, p in plan), encoding="utf-8")
        print(f"server {base}: {health['documents']} documents; {len(plan)} requests in the rotation", flush=True)
        loop_args = (indexer_args(corpus, index, args.jobs), logs / "rebuild.log", stop, rebuilds, 30.0)
        loop = threading.Thread(target=rebuild_loop, args=loop_args, daemon=True)
        loop.start()
        time.sleep(1)  # the first rebuild is under way when the load starts
        print(f"load: wrk {args.connections} connections for {args.duration}s while full rebuilds run", flush=True)
        start = time.monotonic()
        result = run_wrk(base, plan_file, args.duration, args.connections, logs / "wrk.log")
        end = time.monotonic()
        stop.set()
        loop.join(timeout=120)
        after = get(f"{base}/healthz")
    finally:
        stop.set()
        stop_group(server)
    return LoadRun(result, probe, (start, end), after, rebuilds)


def make_report(info: dict[str, Any], first_build: float, args: argparse.Namespace, run: LoadRun, logs: Path) -> dict:
    result, rebuilds = run.wrk, run.rebuilds
    server_text = (logs / "server.log").read_text(encoding="utf-8", errors="replace")
    start, end = run.load_window
    return {
        "corpus": info,
        "initial_build_s": round(first_build, 1),
        "duration_s": result["duration_us"] / 1e6,
        "connections": args.connections,
        "requests": result["requests"],
        "requests_per_s": round(result["requests"] / (result["duration_us"] / 1e6), 1),
        "latency_ms": {k: round(result[f"{k}_us"] / 1000, 1) for k in ("p50", "p90", "p99", "max", "mean")},
        "errors": {
            "wrong_status": result["wrong_status"],
            "server_5xx": result["server_errors"],
            "socket": result["connect_errors"] + result["read_errors"] + result["write_errors"],
            "timeouts": result["timeouts"],
        },
        "empty_answers_for_queries_with_hits": result["empty_answers"],
        "first_problem": result["first_problem"],
        "rebuilds": {
            "completed_during_load": sum(1 for s, e, _ in rebuilds.finished if e >= start and s <= end),
            "completed": len(rebuilds.finished),
            "seconds_each": [round(e - s, 1) for s, e, _ in rebuilds.finished],
            "failures": rebuilds.failures,
            "killed_at_end": rebuilds.killed_at_end,
        },
        "healthz_after": list(run.healthz_after),
        "server_log": {
            "tracebacks": server_text.count("Traceback"),
            "worker_timeouts": server_text.count("WORKER TIMEOUT"),
        },
        "queries_probed": run.probe,
    }


def main(argv: list[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    if not shutil.which("wrk"):
        print("loadtest: wrk is not installed (make loadtest installs it with apt-get)", file=sys.stderr)
        return 2
    work = args.workdir
    (work / "logs").mkdir(parents=True, exist_ok=True)
    info = prepare_corpus(work, args.data, args.docs)
    print(f"corpus: {info['count']} pages from {info['source']}", flush=True)

    started = time.monotonic()
    subprocess.run(indexer_args(work / "corpus", work / "index", args.jobs), cwd=REPO, check=True, timeout=3600)
    first_build = time.monotonic() - started
    print(f"initial index built in {first_build:.1f}s", flush=True)

    run = serve_and_load(args, info, work)
    report = make_report(info, first_build, args, run, work / "logs")
    (work / "report.json").write_text(json.dumps(report, ensure_ascii=False, indent=2), encoding="utf-8")
    print_report(report)
    errors = sum(report["errors"].values()) + report["empty_answers_for_queries_with_hits"]
    errors += len(run.rebuilds.failures) + report["server_log"]["tracebacks"] + (run.healthz_after[0] != 200)
    print(f"loadtest: {'PASS' if errors == 0 else 'FAIL'} (report: {work / 'report.json'})")
    return 0 if errors == 0 else 1


def print_report(r: dict[str, Any]) -> None:
    lat = r["latency_ms"]
    rb = r["rebuilds"]
    print(
        f"\n{r['requests']} requests in {r['duration_s']:.1f}s with {r['connections']} connections: "
        f"{r['requests_per_s']} req/s\n"
        f"latency ms: p50 {lat['p50']}  p90 {lat['p90']}  p99 {lat['p99']}  max {lat['max']}\n"
        f"errors: {r['errors']}  empty answers for queries with hits: {r['empty_answers_for_queries_with_hits']}\n"
        f"rebuilds: {rb['completed_during_load']} completed during the load ({rb['seconds_each']} s each), "
        f"failures {len(rb['failures'])}, one killed at the end: {rb['killed_at_end']}\n"
        f"server log: {r['server_log']}  healthz after: {r['healthz_after']}"
        + (f"\nfirst problem: {r['first_problem']}" if r["first_problem"] else ""),
        flush=True,
    )


if __name__ == "__main__":
    sys.exit(main())
