"""Extract articles from HTML page dumps, analyze them with Janome and write a Whoosh index."""

from __future__ import annotations

from indexer.pipeline import Summary, run
from indexer.store import IndexLocation, IndexUnavailableError, open_index

__all__ = ["IndexLocation", "IndexUnavailableError", "Summary", "open_index", "run"]
