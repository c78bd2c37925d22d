"""Popular queries from the search log, offered among the completions (as Fess does).

Only queries searched at least `min_count` times in the last `days` days, none of whose searches
found nothing: a completion never leads a reader to an empty page. The list is read from the
log at most once a minute per worker, in a read-only connection.
"""

from __future__ import annotations

import os
import sqlite3
import threading
import time
from pathlib import Path

from search_app.searchlog import cutoff, normalize_logged

# How often (seconds) a worker reads the log again.
REFRESH_SECONDS = 60.0
# Most popular queries kept in memory per worker.
KEEP = 2000

_POPULAR = """
SELECT normalized, query, count(*) AS n, max(at) FROM searches
WHERE at >= ? AND page = 1 AND normalized != ''
GROUP BY normalized HAVING n >= ? AND sum(total = 0) = 0
ORDER BY n DESC, max(at) DESC LIMIT ?
"""


class PopularQueries:
    """The log's popular queries, refreshed in the background of requests at most every REFRESH_SECONDS."""

    def __init__(self, path: str | os.PathLike[str], min_count: int, days: float = 30.0) -> None:
        self.path = Path(path)
        self.min_count = min_count
        self.days = days
        self._lock = threading.Lock()
        self._loaded = float("-inf")
        self._queries: list[tuple[str, str]] = []

    def complete(self, typed: str, limit: int) -> list[str]:
        """Popular queries (as last typed) whose normalized form starts with the typed text's, most searched first."""
        prefix = normalize_logged(typed)
        if not prefix or limit <= 0:
            return []
        found = []
        for normalized, example in self._current():
            if normalized.startswith(prefix) and normalized != prefix:
                found.append(example)
                if len(found) == limit:
                    break
        return found

    def _current(self) -> list[tuple[str, str]]:
        now = time.monotonic()
        if now - self._loaded >= REFRESH_SECONDS and self._lock.acquire(blocking=False):
            try:
                self._loaded = now
                self._queries = self._read()
            finally:
                self._lock.release()
        return self._queries

    def _read(self) -> list[tuple[str, str]]:
        """The popular queries now in the log (none when it cannot be read: completions go on without them)."""
        if not self.path.is_file():
            return []
        try:
            conn = sqlite3.connect(f"file:{self.path.resolve()}?mode=ro", uri=True, timeout=1.0)
            try:
                rows = conn.execute(_POPULAR, (cutoff(self.days), self.min_count, KEEP)).fetchall()
            finally:
                conn.close()
        except sqlite3.Error:
            return self._queries
        return [(normalized, query) for normalized, query, _n, _at in rows]
