"""Query load over HTTP: the production server (gunicorn) under wrk, with a Lua script rotating reader queries."""

from __future__ import annotations

import contextlib
import json
import os
import shutil
import signal
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
from collections.abc import Iterator
from dataclasses import asdict, dataclass
from pathlib import Path
from urllib.parse import quote

from bench.perf.procmon import machine_busy_seconds, tree_cpu

# Short reader queries, one to three words, of the kinds a news reader types.
READER_QUERIES = (
    "iPhone",
    "Android",
    "映画",
    "結婚",
    "ダイエット",
    "サッカー",
    "野球",
    "節約",
    "美容",
    "ドコモ",
    "恋愛",
    "カメラ",
    "女子会",
    "就職",
    "韓国",
    "新製品",
    "スマートフォン 新機種",
    "日本代表 監督",
    "映画 公開",
    "結婚 女性",
    "家電 節電",
    "アプリ 無料",
    "ダイエット 方法",
    "恋愛 相談",
    "タブレット 比較",
    "テレビ 番組",
    "iPhone アプリ 無料",
    "女性 結婚 年収",
    "映画 監督 インタビュー",
    "日本代表 ワールドカップ 予選",
    "節電 エアコン 電気代",
    "韓国 ドラマ 人気",
    "スマホ バッテリー 長持ち",
    "就職 面接 対策",
    "美容 肌 乾燥",
    "デジカメ 新製品 発表",
)

_LUA = """\
-- Rotates over reader queries; each wrk thread starts at its own offset.
local paths = {%(paths)s}
local counter = 0
function setup(thread)
  thread:set("offset", counter)
  counter = counter + 5
end
function init(args)
  i = offset or 0
end
function request()
  i = i %% #paths + 1
  return wrk.format("GET", paths[i])
end
function done(summary, latency, requests)
  local e = summary.errors
  io.write(string.format(
    'WRK-JSON {"requests": %%d, "duration_us": %%d, "errors": %%d, "non2xx": %%d, ' ..
    '"p50_us": %%d, "p95_us": %%d, "p99_us": %%d, "max_us": %%d, "mean_us": %%d}\\n',
    summary.requests, summary.duration, e.connect + e.read + e.write + e.timeout, e.status,
    latency:percentile(50), latency:percentile(95), latency:percentile(99), latency.max, latency.mean))
end
"""


@dataclass(frozen=True)
class LoadResult:
    """Latency percentiles (ms) and throughput of one wrk run."""

    connections: int
    seconds: float
    requests: int
    errors: int
    non2xx: int
    qps: float
    p50_ms: float
    p95_ms: float
    p99_ms: float
    max_ms: float

    def as_dict(self) -> dict[str, float]:
        """Plain numbers for the JSON results."""
        return asdict(self)


def search_paths(route: str = "/search") -> list[str]:
    """URL-encoded request paths, one per reader query (the page with snippets)."""
    return [f"{route}?q={quote(q)}" for q in READER_QUERIES]


def write_lua(target: Path, paths: list[str]) -> Path:
    """The wrk script that rotates over `paths`."""
    quoted = ", ".join(json.dumps(p) for p in paths)
    target.write_text(_LUA % {"paths": quoted}, encoding="utf-8")
    return target


def free_port() -> int:
    """A TCP port nothing listens on right now."""
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def wait_healthy(url: str, timeout: float) -> float:
    """Seconds until GET url answers 200; raise TimeoutError after `timeout`."""
    started = time.perf_counter()
    while time.perf_counter() - started < timeout:
        try:
            with urllib.request.urlopen(url, timeout=2) as resp:
                if resp.status == 200:
                    return time.perf_counter() - started
        except (urllib.error.URLError, ConnectionError, TimeoutError):
            pass
        time.sleep(0.05)
    msg = f"the server did not answer {url} within {timeout:.0f}s"
    raise TimeoutError(msg)


@dataclass
class Server:
    """A running production server: its base URL and how long it took to answer /healthz."""

    url: str
    startup_s: float
    startup_cpu_s: float  # CPU of the master and every worker until the first answer
    proc: subprocess.Popen[bytes]


@contextlib.contextmanager
def production_server(index: Path, workers: int | None = None, log: Path | None = None) -> Iterator[Server]:
    """`python -m search_app` over `index` on a free port, stopped (SIGTERM to its group) afterwards."""
    port = free_port()
    argv = [sys.executable, "-m", "search_app", "--index", str(index), "--port", str(port)]
    if workers:
        argv += ["--workers", str(workers)]
    out = open(log, "wb") if log else subprocess.DEVNULL  # noqa: SIM115 - closed below
    started = time.perf_counter()
    # Its own process group (to stop it whole), but our session: it shares our scheduling group.
    # The search log stays on (as in production) but beside the benchmark's index, not in var/.
    env = {**os.environ, "SEARCH_LOG_DB": str(index.parent / "search-log.sqlite3")}
    proc = subprocess.Popen(argv, stdout=out, stderr=subprocess.STDOUT, process_group=0, env=env)
    try:
        url = f"http://127.0.0.1:{port}"
        wait_healthy(f"{url}/healthz", timeout=60)
        yield Server(url, time.perf_counter() - started, tree_cpu(proc.pid), proc)
    finally:
        with contextlib.suppress(ProcessLookupError):
            os.killpg(proc.pid, signal.SIGTERM)
        try:
            proc.wait(timeout=20)
        except subprocess.TimeoutExpired:
            os.killpg(proc.pid, signal.SIGKILL)
            proc.wait()
        if log:
            out.close()


def wrk_available() -> bool:
    """True if the wrk load generator is installed."""
    return shutil.which("wrk") is not None


def run_wrk(url: str, script: Path, *, connections: int = 4, seconds: float = 30, threads: int = 2) -> LoadResult:
    """One wrk run against url with `connections` concurrent clients."""
    argv = ["wrk", f"-t{threads}", f"-c{connections}", f"-d{max(1, round(seconds))}s", "--timeout", "10s"]
    argv += ["-s", str(script), url]
    proc = subprocess.run(argv, capture_output=True, encoding="utf-8", errors="replace", check=True)
    line = next((ln for ln in proc.stdout.splitlines() if ln.startswith("WRK-JSON ")), None)
    if line is None:
        msg = f"wrk printed no summary:\n{proc.stdout}\n{proc.stderr}"
        raise RuntimeError(msg)
    data = json.loads(line.removeprefix("WRK-JSON "))
    secs = data["duration_us"] / 1e6
    return LoadResult(
        connections=connections,
        seconds=round(secs, 2),
        requests=data["requests"],
        errors=data["errors"],
        non2xx=data["non2xx"],
        qps=data["requests"] / secs if secs else 0.0,
        p50_ms=data["p50_us"] / 1000,
        p95_ms=data["p95_us"] / 1000,
        p99_ms=data["p99_us"] / 1000,
        max_ms=data["max_us"] / 1000,
    )


def measure_queries(
    index: Path, workdir: Path, *, connections: int = 4, seconds: float = 30, warmup: float = 3
) -> dict[str, float]:
    """Start the production server over `index`, warm it, load it with wrk: latency, throughput, CPU, startup."""
    script = write_lua(workdir / "reader-queries.lua", search_paths())
    with production_server(index, log=workdir / "server.log") as server:
        if warmup:
            run_wrk(server.url, script, connections=connections, seconds=warmup)
        cpu0, busy0 = tree_cpu(server.proc.pid), machine_busy_seconds()
        result = run_wrk(server.url, script, connections=connections, seconds=seconds)
        server_cpu, busy = tree_cpu(server.proc.pid) - cpu0, machine_busy_seconds() - busy0
    out = result.as_dict()
    requests = max(1, result.requests)
    out["server_cpu_ms_per_query"] = round(server_cpu / requests * 1000, 2)
    # Everything else the machine did meanwhile, wrk included, per second of load.
    out["others_cores"] = round(max(0.0, busy - server_cpu) / result.seconds, 2) if result.seconds else 0.0
    out["startup_s"] = round(server.startup_s, 2)
    out["startup_cpu_s"] = round(server.startup_cpu_s, 2)
    return out
