"""The search log: what readers searched for, written to SQLite off the request path.

Each worker process has one bounded queue and one writer thread, both made lazily in the
process that first records a search (gunicorn forks its workers after loading the app, and a
thread or a SQLite connection must never cross a fork). The writer inserts in batches into a
WAL database with a busy timeout, so several workers write at once. Any SQLite or OS error
(a full or read-only disk) turns the log off with one warning: a search never fails for it.

No client address, cookie, user agent or referrer is stored: only the search itself.
"""

from __future__ import annotations

import atexit
import contextlib
import datetime as dt
import json
import logging
import os
import queue
import sqlite3
import threading
import time
from dataclasses import astuple, dataclass
from pathlib import Path

from indexer.ngrams import normalize

logger = logging.getLogger(__name__)

# Rows waiting for the writer; beyond this a search is not logged rather than held up.
QUEUE_SIZE = 10_000
# Rows per INSERT transaction at most.
BATCH_ROWS = 500
# How long (seconds) the writer gathers rows before a transaction: one commit per search
# would cost more CPU (taken from the searches of the same process) than the searches' rows.
GATHER_SECONDS = 1.0
# How often (seconds) the writer removes rows older than the retention.
PRUNE_EVERY = 600.0
# How long (milliseconds) a writer waits for another worker's write lock.
BUSY_TIMEOUT_MS = 10_000

COLUMNS = (
    "at",
    "query",
    "normalized",
    "sort",
    "filters",
    "total",
    "relaxed",
    "suggestion",
    "page",
    "elapsed_ms",
    "source",
)

SCHEMA = """
CREATE TABLE IF NOT EXISTS searches (
    id INTEGER PRIMARY KEY,
    at TEXT NOT NULL,
    query TEXT NOT NULL,
    normalized TEXT NOT NULL,
    sort TEXT NOT NULL,
    filters TEXT NOT NULL,
    total INTEGER NOT NULL,
    relaxed INTEGER NOT NULL,
    suggestion TEXT,
    page INTEGER NOT NULL,
    elapsed_ms REAL NOT NULL,
    source TEXT NOT NULL
);
CREATE INDEX IF NOT EXISTS searches_at ON searches (at);
"""


def normalize_logged(query: str) -> str:
    """The form searches are grouped by: the query side's one normal form (NFKC, lower case), single spaces."""
    return " ".join(normalize(query).split())


@dataclass(frozen=True)
class SearchRecord:
    """One logged search (a row of the `searches` table, in COLUMNS order)."""

    at: str
    query: str
    normalized: str
    sort: str
    filters: str
    total: int
    relaxed: int
    suggestion: str | None
    page: int
    elapsed_ms: float
    source: str


def make_record(
    query: str,
    *,
    sort: str,
    filters: dict,
    total: int,
    relaxed: bool,
    suggestion: str | None,
    page: int,
    elapsed: float,
    source: str,
    now: dt.datetime | None = None,
) -> SearchRecord:
    """A record of one search; `elapsed` in seconds, `now` (UTC) for tests."""
    at = (now or dt.datetime.now(dt.UTC)).strftime("%Y-%m-%dT%H:%M:%S.%fZ")
    return SearchRecord(
        at=at,
        query=query,
        normalized=normalize_logged(query),
        sort=sort,
        filters=json.dumps(filters, ensure_ascii=False, sort_keys=True),
        total=int(total),
        relaxed=int(bool(relaxed)),
        suggestion=suggestion,
        page=int(page),
        elapsed_ms=round(elapsed * 1000.0, 3),
        source=source,
    )


def connect(path: str | os.PathLike[str], *, timeout_ms: int = BUSY_TIMEOUT_MS) -> sqlite3.Connection:
    """A connection to the log database (created with its table), in WAL mode with a busy timeout."""
    Path(path).parent.mkdir(parents=True, exist_ok=True)
    conn = sqlite3.connect(os.fspath(path), timeout=timeout_ms / 1000.0, isolation_level=None)
    conn.execute(f"PRAGMA busy_timeout = {int(timeout_ms)}")
    conn.execute("PRAGMA journal_mode = WAL")
    # WAL with NORMAL sync loses at most the last batch on a power cut, never the database.
    conn.execute("PRAGMA synchronous = NORMAL")
    conn.executescript(SCHEMA)
    return conn


def cutoff(days: float, now: dt.datetime | None = None) -> str:
    """The `at` value before which rows are older than `days`."""
    return ((now or dt.datetime.now(dt.UTC)) - dt.timedelta(days=days)).strftime("%Y-%m-%dT%H:%M:%S.%fZ")


class SearchLog:
    """Queues search records and writes them from one thread per process."""

    def __init__(
        self, path: str | os.PathLike[str], retention_days: float = 90.0, queue_size: int = QUEUE_SIZE
    ) -> None:
        self.path = Path(path)
        self.retention_days = float(retention_days)
        self.queue_size = queue_size
        self.disabled = False
        self.dropped = 0
        self._pid: int | None = None
        self._queue: queue.Queue[SearchRecord | None] = queue.Queue(queue_size)
        self._lock = threading.Lock()
        self._thread: threading.Thread | None = None

    def record(self, rec: SearchRecord) -> None:
        """Queue a record for the writer; never blocks and never raises."""
        if self.disabled:
            return
        try:
            self._ensure_writer()
            self._queue.put_nowait(rec)
        except queue.Full:
            self.dropped += 1
        except Exception:  # the log must never fail a search
            logger.exception("search log: cannot queue a search")

    def flush(self, timeout: float = 10.0) -> bool:
        """Wait until every queued record is written (or the log is off); True if so."""
        if self._thread is not None and self._pid == os.getpid() and not self.disabled:
            # None asks the writer to write what it gathered now rather than at the end of its wait.
            with contextlib.suppress(queue.Full):
                self._queue.put_nowait(None)
        deadline = time.monotonic() + timeout
        while self._queue.unfinished_tasks and not self.disabled:
            if time.monotonic() >= deadline:
                return False
            time.sleep(0.005)
        return True

    def _ensure_writer(self) -> None:
        pid = os.getpid()
        if self._pid == pid and self._thread is not None:
            return
        with self._lock:
            if self._pid == pid and self._thread is not None:
                return
            # In a forked child: a fresh queue and thread, nothing inherited from the parent.
            self._queue = queue.Queue(self.queue_size)
            self._pid = pid
            self._thread = threading.Thread(target=self._run, name="search-log-writer", daemon=True)
            self._thread.start()
            atexit.register(self.flush, 2.0)

    def _run(self) -> None:
        try:
            conn = self._connect()
        except (sqlite3.Error, OSError) as exc:
            self._disable(exc)
            return
        pruned_at = 0.0
        try:
            while True:
                batch = self._gather()
                try:
                    self._write(conn, [r for r in batch if r is not None])
                    if time.monotonic() - pruned_at >= PRUNE_EVERY:
                        pruned_at = time.monotonic()
                        conn.execute("DELETE FROM searches WHERE at < ?", (cutoff(self.retention_days),))
                except (sqlite3.Error, OSError) as exc:
                    self._disable(exc)
                    return
                finally:
                    for _ in batch:
                        self._queue.task_done()
        finally:
            conn.close()

    def _gather(self) -> list[SearchRecord | None]:
        """The next batch: rows arriving within GATHER_SECONDS of the first, up to BATCH_ROWS, or up to a flush."""
        batch = [self._queue.get()]
        deadline = time.monotonic() + GATHER_SECONDS
        while len(batch) < BATCH_ROWS and batch[-1] is not None:
            remaining = deadline - time.monotonic()
            try:
                batch.append(self._queue.get(timeout=remaining) if remaining > 0 else self._queue.get_nowait())
            except queue.Empty:
                break
        return batch

    def _connect(self) -> sqlite3.Connection:
        return connect(self.path)

    def _write(self, conn: sqlite3.Connection, batch: list[SearchRecord]) -> None:
        if not batch:
            return
        placeholders = ", ".join("?" for _ in COLUMNS)
        with conn:
            conn.execute("BEGIN IMMEDIATE")
            conn.executemany(
                f"INSERT INTO searches ({', '.join(COLUMNS)}) VALUES ({placeholders})",  # noqa: S608 - fixed names
                [astuple(r) for r in batch],
            )

    def _disable(self, exc: BaseException) -> None:
        """Turn the log off for this process with one warning, and let go of what is queued."""
        self.disabled = True
        logger.warning("search log disabled: cannot write %s: %s", self.path, exc)
        while True:
            try:
                self._queue.get_nowait()
            except queue.Empty:
                break
            self._queue.task_done()
