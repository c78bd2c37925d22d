"""The search service and the search log as app resources: one per process, registered with init_app."""

from __future__ import annotations

from flask import Flask, current_app

from search_app.engine import MAX_SUGGESTIONS, SearchPage, SearchService, Suggestion
from search_app.popular import PopularQueries
from search_app.searchlog import SearchLog, make_record, normalize_logged

_EXTENSION = "search_service"
_LOG = "search_log"
_POPULAR = "popular_queries"
# Popular queries among the completions at most.
POPULAR_COMPLETIONS = 3


def init_app(app: Flask) -> None:
    """Attach a SearchService over the app's INDEX_DIR, and the search log unless it is turned off."""
    app.extensions[_EXTENSION] = SearchService.open(
        app.config["INDEX_DIR"],
        reload_interval=float(app.config["RELOAD_INTERVAL"]),
        vocabulary_wait=float(app.config["VOCABULARY_WAIT"]),
    )
    path = app.config.get("LOG_DB")
    # Only a path or nothing: the writer thread starts with the first search, in the worker.
    app.extensions[_LOG] = SearchLog(str(path), float(app.config["LOG_DAYS"])) if path else None
    min_count = int(app.config["POPULAR_MIN_COUNT"])
    app.extensions[_POPULAR] = PopularQueries(str(path), min_count) if path and min_count > 0 else None


def get_service() -> SearchService:
    """The current app's SearchService."""
    return current_app.extensions[_EXTENSION]


def get_search_log() -> SearchLog | None:
    """The current app's search log, or None when it is turned off."""
    return current_app.extensions.get(_LOG)


def complete(prefix: str) -> list[Suggestion]:
    """Completions: up to POPULAR_COMPLETIONS popular queries from the log, then the index's titles and terms."""
    found = get_service().suggest(prefix)
    popular: PopularQueries | None = current_app.extensions.get(_POPULAR)
    if popular is None:
        return found
    texts = popular.complete(prefix, POPULAR_COMPLETIONS)
    seen = {normalize_logged(t) for t in texts}
    merged = [Suggestion(t, "popular") for t in texts]
    merged += [s for s in found if s.kind == "title" or normalize_logged(s.text) not in seen]
    return merged[:MAX_SUGGESTIONS]


def log_search(page: SearchPage, elapsed: float, source: str) -> None:
    """Record a search that ran in the log and the metrics (never its reader: no address, cookie or user agent)."""
    if current_app.extensions.get("metrics"):
        from search_app.metrics import observe_search

        observe_search(page.total, page.relaxed)
    log = get_search_log()
    if log is None:
        return
    log.record(
        make_record(
            page.query,
            sort=page.sort,
            filters=page.filters.as_json(),
            total=page.total,
            relaxed=page.relaxed,
            suggestion=page.suggestion,
            page=page.page,
            elapsed=elapsed,
            source=source,
        )
    )
