"""One Whoosh searcher per process, refreshed when the indexer publishes a new index."""

from __future__ import annotations

import contextlib
import math
import os
import threading
import time
from collections.abc import Iterator
from pathlib import Path

from whoosh import scoring
from whoosh.index import EmptyIndexError
from whoosh.searching import Searcher

from indexer.store import IndexUnavailableError, open_index
from search_app.engine.bm25 import doc_frequency
from search_app.engine.settings import WORD_B, WORD_K1


class BM25(scoring.BM25F):
    """Whoosh's BM25F with BM25's own idf, log(1 + (N - n + 0.5) / (n + 0.5)).

    Whoosh's default, log(N / (n + 1)) + 1, keeps a word found in most documents
    (する, こと, n-grams such as した) worth as much as 1 in every match.
    """

    def idf(self, searcher: Searcher, fieldname: str, text: str) -> float:
        """BM25's (Robertson–Spärck Jones) idf over the whole index."""
        parent = searcher.get_parent()
        n = doc_frequency(parent, fieldname, text)
        total = parent.doc_count_all()
        return math.log(1 + (total - n + 0.5) / (n + 0.5))


# BM25 over each field, with the schema's field boosts (K1 and B: settings.py).
WEIGHTING = BM25(B=WORD_B, K1=WORD_K1)


class IndexHandle:
    """Opens the index lazily and swaps in a newer one at most every `reload_interval` seconds."""

    def __init__(self, path: str | os.PathLike[str], reload_interval: float = 1.0) -> None:
        self.path = Path(path)
        self.reload_interval = reload_interval
        self._lock = threading.RLock()
        self._searcher: Searcher | None = None
        self._target: Path | None = None
        self._checked = 0.0

    @contextlib.contextmanager
    def searcher(self) -> Iterator[Searcher]:
        """The current searcher, held for one request (Whoosh searchers are not shared mid-search)."""
        with self._lock:
            self._refresh()
            assert self._searcher is not None
            yield self._searcher

    def _refresh(self) -> None:
        now = time.monotonic()
        if self._searcher is not None and now - self._checked < self.reload_interval:
            return
        self._checked = now
        target = self.path.resolve()
        if self._searcher is not None and target == self._target:
            try:
                if not self._searcher.up_to_date():
                    self._searcher = self._searcher.refresh()
            except (OSError, EmptyIndexError):
                # Files vanished under us (an old generation was collected); reopen.
                self._open(target)
            return
        self._open(target)

    def _open(self, target: Path) -> None:
        last_error: Exception | None = None
        # A swap may land between resolving the link and reading the TOC: retry.
        for _ in range(3):
            try:
                searcher = open_index(self.path).searcher(weighting=WEIGHTING)
            except IndexUnavailableError as exc:
                last_error = exc
                time.sleep(0.05)
                continue
            old, self._searcher, self._target = self._searcher, searcher, self.path.resolve()
            if old is not None:
                with contextlib.suppress(Exception):
                    old.close()
            return
        if self._searcher is None:
            raise last_error or IndexUnavailableError(f"cannot open the index at {self.path}")
        # Keep serving the index we have; try again at the next check.

    def own_searcher(self) -> Searcher:
        """A searcher of its own over the live index, for a background thread (close it when done)."""
        return open_index(self.path).searcher(weighting=WEIGHTING)

    def close(self) -> None:
        """Close the searcher (at app teardown)."""
        with self._lock:
            if self._searcher is not None:
                self._searcher.close()
                self._searcher = None
