"""Production serving with gunicorn: `python -m search_app [--index DIR] [--host H] [--port P]`."""

from __future__ import annotations

import argparse
import contextlib
import os
import shutil
import tempfile
from collections.abc import Sequence
from typing import Any

from flask import Flask
from gunicorn.app.base import BaseApplication

from search_app import create_app
from search_app.worker import HEADER_FIELD_LIMIT, SearchWorker


class _Gunicorn(BaseApplication):
    """Runs an already configured Flask app under gunicorn's pre-fork workers."""

    def __init__(self, app: Flask, options: dict[str, Any]) -> None:
        self.application = app
        self.options = options
        super().__init__()

    def load_config(self) -> None:
        for key, value in self.options.items():
            self.cfg.set(key, value)

    def load(self) -> Flask:
        return self.application


def _warm_worker(worker: Any) -> None:
    """Open the worker's searcher before its first request, and start building the vocabulary (when an index exists).

    The vocabulary (もしかして, completions) is built in a background thread with a
    searcher of its own: about a second at 20,000 articles, which would otherwise
    hold up the first request that needs it, or every worker's start.
    """
    from indexer.store import IndexUnavailableError
    from search_app.services import get_service

    with worker.app.load().app_context(), contextlib.suppress(IndexUnavailableError):
        get_service().warm()


def _metrics_dir() -> tuple[str, bool]:
    """PROMETHEUS_MULTIPROC_DIR for this run, emptied (an operator's own), or a new temporary one.

    Files left by an earlier run would add its counts to this one's. True when the directory is ours to remove.
    """
    configured = os.environ.get("PROMETHEUS_MULTIPROC_DIR")
    if configured:
        os.makedirs(configured, exist_ok=True)
        for name in os.listdir(configured):
            if name.endswith(".db"):
                os.unlink(os.path.join(configured, name))
        return configured, False
    path = tempfile.mkdtemp(prefix="search-metrics-")
    os.environ["PROMETHEUS_MULTIPROC_DIR"] = path
    return path, True


def _mark_worker_dead(_server: Any, worker: Any) -> None:
    """A worker exited: its live gauges go (prometheus_client's multiprocess rule); its counts stay summed."""
    from prometheus_client import multiprocess

    multiprocess.mark_process_dead(worker.pid)


def _metrics_options(app: Flask) -> dict[str, Any]:
    """Gunicorn hooks for /metrics in multiprocess mode, set up before the workers fork (nothing when off)."""
    from search_app.metrics import enabled, instruments

    if not enabled(app):
        return {}
    path, owned = _metrics_dir()
    instruments()  # imported once in the master, with the directory set

    def cleanup(_server: Any) -> None:
        if owned:
            shutil.rmtree(path, ignore_errors=True)

    return {"child_exit": _mark_worker_dead, "on_exit": cleanup}


def build_parser() -> argparse.ArgumentParser:
    """Command line of the production server."""
    parser = argparse.ArgumentParser(prog="python -m search_app", description="Serve the search app with gunicorn.")
    parser.add_argument("--index", help="index directory (default: SEARCH_INDEX_DIR or var/index)")
    parser.add_argument("--host", help="address to bind (default: SEARCH_HOST or 127.0.0.1)")
    parser.add_argument("--port", type=int, help="port (default: SEARCH_PORT or 5000)")
    parser.add_argument("--workers", type=int, help="worker processes (default: CPUs + 1)")
    return parser


def main(argv: Sequence[str] | None = None) -> None:
    """Configure the app once, check the index, then fork the workers."""
    args = build_parser().parse_args(argv)
    if args.index:
        os.environ["SEARCH_INDEX_DIR"] = args.index
    app = create_app()
    host = args.host or app.config["HOST"]
    port = args.port or int(app.config["PORT"])
    workers = args.workers or int(app.config["WORKERS"]) or (os.cpu_count() or 1) + 1
    # Load Janome's dictionary before forking so workers share its pages.
    from indexer.analysis import janome_tokenizer

    janome_tokenizer()
    options = {
        "bind": f"{host}:{port}",
        "workers": workers,
        # gunicorn's sync worker with the app's own request-line cap and error pages (search_app/worker.py).
        "worker_class": SearchWorker,
        # 0 lifts gunicorn's own cap (at most 8,190 bytes, less than a 1,000-kanji query needs): the
        # worker caps the line at REQUEST_LINE_LIMIT instead, before reading any more of it.
        "limit_request_line": 0,
        "limit_request_field_size": HEADER_FIELD_LIMIT,
        "preload_app": True,
        "accesslog": "-",
        "timeout": 30,
        "graceful_timeout": 10,
        "post_worker_init": _warm_worker,
        **_metrics_options(app),
    }
    print(f"serving {app.config['INDEX_DIR']} on http://{host}:{port}/ with {workers} workers", flush=True)
    _Gunicorn(app, options).run()
