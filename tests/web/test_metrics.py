"""/metrics: the counts after known requests, in one process and summed over the production server's workers."""

from __future__ import annotations

import threading
import urllib.error
import urllib.request
from collections.abc import Iterator
from pathlib import Path
from urllib.parse import quote

import pytest
from flask import Flask
from prometheus_client.parser import text_string_to_metric_families

from indexer.status import live_commit, read_status
from tests.factories import make_app, open_app, serve
from tests.pages import SAMPLE_PAGES

Samples = dict[tuple[str, tuple[tuple[str, str], ...]], float]


def samples(text: str) -> Samples:
    """Every sample of a scrape by (name, sorted labels)."""
    found: Samples = {}
    for family in text_string_to_metric_families(text):
        for s in family.samples:
            found[(s.name, tuple(sorted(s.labels.items())))] = s.value
    return found


def value(found: Samples, name: str, **labels: str) -> float:
    return found.get((name, tuple(sorted(labels.items()))), 0.0)


@pytest.fixture
def metrics_app(built_index: Path) -> Iterator[Flask]:
    with open_app(built_index, METRICS=True) as app:
        yield app


def test_metrics_count_known_requests(metrics_app: Flask, built_index: Path) -> None:
    client = metrics_app.test_client()
    before = samples(client.get("/metrics").get_data(as_text=True))
    for q in ("経費精算", "けいひ", "経費"):
        assert client.get("/api/search", query_string={"q": q}).status_code == 200
    for q in ("ＩＤＥＣＯ", "ぬぬぬぬぬ"):
        assert client.get("/api/search", query_string={"q": q}).json["total"] == 0
    assert client.get("/api/search", query_string={"q": "x", "per_page": 500}).status_code == 400
    assert client.get("/search", query_string={"q": "経費 宇宙旅行"}).status_code == 200
    response = client.get("/metrics")
    assert response.status_code == 200
    assert response.headers["Content-Type"].startswith("text/plain; version=")
    after = samples(response.get_data(as_text=True))

    def delta(name: str, **labels: str) -> float:
        return value(after, name, **labels) - value(before, name, **labels)

    assert delta("search_http_requests_total", endpoint="api.search", status="200") == 5
    assert delta("search_http_requests_total", endpoint="api.search", status="400") == 1
    assert delta("search_http_requests_total", endpoint="pages.search", status="200") == 1
    assert delta("search_http_request_duration_seconds_count", endpoint="api.search") == 6
    assert delta("search_results_per_search_count") == 6
    assert delta("search_results_per_search_bucket", le="0.0") == 2
    assert delta("search_zero_result_searches_total") == 2
    assert delta("search_relaxed_searches_total") == 1
    # The index, as the scrape finds it.
    commit = live_commit(built_index)
    status = read_status(built_index)
    assert value(after, "search_index_up") == 1
    assert value(after, "search_index_documents") == len(SAMPLE_PAGES)
    assert value(after, "search_index_commit", generation=commit.generation) == commit.number
    assert 0 <= value(after, "search_index_age_seconds") < 24 * 3600
    assert value(after, "search_indexer_last_run_documents", kind="added") == status["added"] == len(SAMPLE_PAGES)
    assert value(after, "search_indexer_last_run_seconds") == pytest.approx(status["seconds"])


def test_metrics_are_off_unless_turned_on(app: Flask) -> None:
    assert app.test_client().get("/metrics").status_code == 404


@pytest.mark.parametrize("setting", ["0", "false"])
def test_metrics_stay_off_for_a_false_setting(built_index: Path, setting: str) -> None:
    assert make_app(built_index, METRICS=setting).test_client().get("/metrics").status_code == 404


def _get(url: str) -> str:
    with urllib.request.urlopen(url, timeout=30) as resp:
        return resp.read().decode("utf-8")


def test_workers_counts_are_summed_and_a_stale_directory_is_emptied(built_index: Path, tmp_path: Path) -> None:
    prom = tmp_path / "prom"
    prom.mkdir()
    # Left by an earlier run (and not even a valid file): the server empties the directory first.
    (prom / "counter_1.db").write_bytes(b"stale")
    env = {"SEARCH_METRICS": "1", "PROMETHEUS_MULTIPROC_DIR": str(prom)}
    per_thread, threads_n = 10, 4
    failures: list[str] = []

    def hammer(base: str) -> None:
        for i in range(per_thread):
            q = quote(["経費精算", "ぬぬぬぬぬ"][i % 2])
            try:
                _get(f"{base}/api/search?q={q}")
            except (OSError, urllib.error.HTTPError) as exc:
                failures.append(str(exc))

    with serve(built_index, tmp_path / "server.log", workers=3, env=env) as base:
        threads = [threading.Thread(target=hammer, args=(base,)) for _ in range(threads_n)]
        for t in threads:
            t.start()
        for t in threads:
            t.join()
        scrapes = [samples(_get(f"{base}/metrics")) for _ in range(6)]
        pids = {p.name for p in prom.glob("*.db")}
    assert failures == []
    total = per_thread * threads_n
    for found in scrapes:  # whichever worker answers, it sums them all
        assert value(found, "search_http_requests_total", endpoint="api.search", status="200") == total
        assert value(found, "search_zero_result_searches_total") == total / 2
        assert value(found, "search_results_per_search_count") == total
        assert value(found, "search_index_documents") == len(SAMPLE_PAGES)
    assert "counter_1.db" not in pids
