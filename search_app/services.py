"""The search service as an app resource: one per process, registered with init_app."""

from __future__ import annotations

from flask import Flask, current_app

from search_app.index import IndexHandle
from search_app.search import SearchService

_EXTENSION = "search_service"


def init_app(app: Flask) -> None:
    """Attach a SearchService over the app's INDEX_DIR."""
    handle = IndexHandle(app.config["INDEX_DIR"], reload_interval=float(app.config["RELOAD_INTERVAL"]))
    app.extensions[_EXTENSION] = SearchService(handle, vocabulary_wait=float(app.config["VOCABULARY_WAIT"]))


def get_service() -> SearchService:
    """The current app's SearchService."""
    return current_app.extensions[_EXTENSION]
