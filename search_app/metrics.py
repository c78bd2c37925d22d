"""/metrics in the Prometheus text format (SEARCH_METRICS=1), summed over gunicorn's workers.

Under the production server PROMETHEUS_MULTIPROC_DIR is set before the workers fork (see
server.py): each worker's counters and histograms live in files there, and a scrape served by
any worker reads them all. What describes the index (documents, commit, age, the last
indexer run) is read at scrape time, so it never depends on which worker answers.
"""

from __future__ import annotations

import functools
import os
import time
from collections.abc import Iterator
from types import SimpleNamespace
from typing import Any

from flask import Flask, Response, current_app, g, request

from indexer.status import live_commit, parse_time, read_status
from search_app.engine import IndexUnavailableError

# Seconds; a search is usually tens of milliseconds.
LATENCY_BUCKETS = (0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0)
# Results per search.
RESULT_BUCKETS = (0, 1, 2, 5, 10, 20, 50, 100, 200, 500, 1000, 5000, 10000)
# The last run's counts, as the `kind` label of search_indexer_last_run_documents.
RUN_COUNTS = ("added", "updated", "deleted", "unchanged", "skipped")


def multiprocess_dir() -> str | None:
    """The directory of the workers' metric files, when running under the production server."""
    path = os.environ.get("PROMETHEUS_MULTIPROC_DIR")
    return path if path and os.path.isdir(path) else None


@functools.cache
def instruments() -> SimpleNamespace:
    """The process's counters and histograms, made once (prometheus_client registers them globally)."""
    from prometheus_client import Counter, Histogram

    return SimpleNamespace(
        requests=Counter("search_http_requests", "HTTP requests by endpoint and status", ["endpoint", "status"]),
        latency=Histogram(
            "search_http_request_duration_seconds", "Time to answer, by endpoint", ["endpoint"], buckets=LATENCY_BUCKETS
        ),
        results=Histogram("search_results_per_search", "Results found per search", buckets=RESULT_BUCKETS),
        zero=Counter("search_zero_result_searches", "Searches that found nothing"),
        relaxed=Counter("search_relaxed_searches", "Searches answered without some of their words"),
    )


def observe_search(total: int, relaxed: bool) -> None:
    """Count one search's results (called by the views when metrics are on)."""
    m = instruments()
    m.results.observe(total)
    if total == 0:
        m.zero.inc()
    if relaxed:
        m.relaxed.inc()


class IndexCollector:
    """The index as a scrape finds it: documents, live commit and age, and the last indexer run."""

    def __init__(self, index_dir: str, documents: int | None) -> None:
        self.index_dir = index_dir
        self.documents = documents

    def collect(self) -> Iterator[Any]:
        """Metric families read from the index directory and index-status.json."""
        from prometheus_client.core import GaugeMetricFamily

        up = GaugeMetricFamily("search_index_up", "1 when the index opens")
        up.add_metric([], 0 if self.documents is None else 1)
        yield up
        if self.documents is not None:
            yield GaugeMetricFamily("search_index_documents", "Documents in the live index", value=self.documents)
        commit = live_commit(self.index_dir)
        if commit is not None:
            info = GaugeMetricFamily(
                "search_index_commit", "The live commit number, by generation", labels=["generation"]
            )
            info.add_metric([commit.generation], commit.number)
            yield info
            yield GaugeMetricFamily(
                "search_index_age_seconds",
                "Seconds since the live index's last commit",
                value=time.time() - commit.committed_at,
            )
        status = read_status(self.index_dir)
        if status is None:
            return
        yield GaugeMetricFamily(
            "search_indexer_last_run_seconds",
            "Duration of the last indexer run",
            value=float(status.get("seconds") or 0),
        )
        ended = parse_time(status.get("end"))
        if ended is not None:
            yield GaugeMetricFamily(
                "search_indexer_last_run_end_timestamp_seconds", "When the last indexer run ended", value=ended
            )
        counts = GaugeMetricFamily(
            "search_indexer_last_run_documents", "Pages by outcome in the last run", labels=["kind"]
        )
        for kind in RUN_COUNTS:
            counts.add_metric([kind], float(status.get(kind) or 0))
        yield counts


def _start_timer() -> None:
    g.metrics_started = time.perf_counter()


def _count_request(response: Response) -> Response:
    started = g.pop("metrics_started", None)
    endpoint = request.endpoint or "unmatched"
    m = instruments()
    m.requests.labels(endpoint, str(response.status_code)).inc()
    if started is not None:
        m.latency.labels(endpoint).observe(time.perf_counter() - started)
    return response


def metrics_view() -> Response:
    """Every worker's counters (or this process's), and the index's gauges."""
    from prometheus_client import CONTENT_TYPE_LATEST, REGISTRY, CollectorRegistry, generate_latest
    from prometheus_client.multiprocess import MultiProcessCollector

    from search_app.services import get_service

    try:
        documents: int | None = get_service().document_count()
    except IndexUnavailableError:
        documents = None
    index = CollectorRegistry()
    index.register(IndexCollector(current_app.config["INDEX_DIR"], documents))
    path = multiprocess_dir()
    if path:
        MultiProcessCollector(index, path=path)
        body = generate_latest(index)
    else:
        body = generate_latest(REGISTRY) + generate_latest(index)
    return Response(body, content_type=CONTENT_TYPE_LATEST)


def enabled(app: Flask) -> bool:
    """Whether the app serves /metrics (SEARCH_METRICS set to a true value)."""
    value = app.config.get("METRICS")
    return bool(value) and str(value).lower() not in ("0", "false", "no", "off")


def init_app(app: Flask) -> None:
    """Count requests and serve /metrics, when metrics are turned on."""
    if not enabled(app):
        return
    # prometheus_client is imported at the first request, not here: the production server
    # sets PROMETHEUS_MULTIPROC_DIR after making the app, and the library reads it on import.
    app.extensions["metrics"] = True
    app.before_request(_start_timer)
    app.after_request(_count_request)
    app.add_url_rule("/metrics", "metrics", metrics_view)
