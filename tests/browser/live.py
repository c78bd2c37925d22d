"""The real production server and Debian's Chromium, for the browser tests and the screenshots."""

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
from collections.abc import Iterator, Mapping
from pathlib import Path

REPO = Path(__file__).resolve().parents[2]
CORPUS = REPO / "corpus"
DEFAULT_CHROMIUM = "/usr/bin/chromium"
# Playwright's own browser downloads cannot reach this machine: only a system Chromium is used.
INSTALL_HINT = "apt-get install chromium to run the browser tests"


def chromium_path() -> str | None:
    """SEARCH_CHROMIUM when set, else Debian's /usr/bin/chromium, else `chromium` on PATH."""
    configured = os.environ.get("SEARCH_CHROMIUM")
    if configured:
        return configured if Path(configured).is_file() else None
    if Path(DEFAULT_CHROMIUM).is_file():
        return DEFAULT_CHROMIUM
    return shutil.which("chromium")


def missing_chromium_reason() -> str | None:
    """Why the browser tests cannot run here, or None when a Chromium was found."""
    if chromium_path() is not None:
        return None
    where = os.environ.get("SEARCH_CHROMIUM") or DEFAULT_CHROMIUM
    return f"Chromium not found at {where}: {INSTALL_HINT} (or set SEARCH_CHROMIUM)"


def free_port() -> int:
    """A TCP port on the loopback that nothing listens on right now."""
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def build_index(corpus: Path, index: Path) -> None:
    """Index `corpus` into `index` with the real indexer command line."""
    proc = subprocess.run(
        [sys.executable, "-m", "indexer", "--corpus", str(corpus), "--index", str(index), "-q"],
        cwd=REPO,
        capture_output=True,
        text=True,
        encoding="utf-8",
        check=False,
    )
    if proc.returncode != 0:
        msg = f"indexing {corpus} failed ({proc.returncode}): {proc.stderr.strip()}"
        raise RuntimeError(msg)


def _healthy(base: str) -> bool:
    """Whether /healthz answers 200 with an index that has documents."""
    try:
        with urllib.request.urlopen(f"{base}/healthz", timeout=5) as response:
            body = json.loads(response.read().decode("utf-8"))
    except (OSError, ValueError):
        return False
    return body.get("status") == "ok" and body.get("documents", 0) > 0


def _stop(proc: subprocess.Popen[bytes]) -> None:
    """SIGTERM the server's process group (gunicorn and its workers); SIGKILL it if it lingers."""
    if proc.poll() is not None:
        return
    with contextlib.suppress(ProcessLookupError):
        os.killpg(proc.pid, signal.SIGTERM)
    try:
        proc.wait(timeout=15)
    except subprocess.TimeoutExpired:
        with contextlib.suppress(ProcessLookupError):
            os.killpg(proc.pid, signal.SIGKILL)
        proc.wait(timeout=15)


@contextlib.contextmanager
def serve(
    index: Path, log: Path, workers: int = 2, startup: float = 60, env: Mapping[str, str] | None = None
) -> Iterator[str]:
    """Run `python -m search_app` on a free loopback port (`env` added to ours) and yield its base URL once healthy."""
    port = free_port()
    base = f"http://127.0.0.1:{port}"
    args = [sys.executable, "-m", "search_app", "--index", str(index), "--host", "127.0.0.1"]
    args += ["--port", str(port), "--workers", str(workers)]
    with open(log, "ab") as out:  # the child keeps its own copy of the descriptor
        proc = subprocess.Popen(
            args,
            cwd=REPO,
            stdout=out,
            stderr=subprocess.STDOUT,
            start_new_session=True,
            # Test searches stay out of the repository's own search log unless a test asks for one.
            env={**os.environ, "SEARCH_LOG_DB": "", **(env or {})},
        )
    try:
        deadline = time.monotonic() + startup
        while not _healthy(base):
            if proc.poll() is not None or time.monotonic() > deadline:
                tail = log.read_text(encoding="utf-8", errors="replace")[-2000:]
                msg = f"the server at {base} did not become healthy (exit code {proc.poll()}):\n{tail}"
                raise RuntimeError(msg)
            time.sleep(0.3)
        yield base
    finally:
        _stop(proc)
