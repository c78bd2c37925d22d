"""The search log: what is recorded (and what never is), failures that turn it off, and the report."""

from __future__ import annotations

import csv
import datetime as dt
import io
import json
import logging
import sqlite3
import threading
import urllib.request
from collections.abc import Iterator
from pathlib import Path
from urllib.parse import quote

import pytest
from flask import Flask

from search_app import report
from search_app.searchlog import COLUMNS, SearchLog, SearchRecord, connect, make_record
from search_app.services import get_search_log
from tests.factories import make_app, open_app, serve

CLIENT_ADDRESS = "203.0.113.77"
USER_AGENT = "Secret-Agent/1.0 (reader-fingerprint)"
REFERRER = "https://referrer.example/private?page=1"
COOKIE = "session=cookie-secret-value"


@pytest.fixture
def log_db(tmp_path: Path) -> Path:
    return tmp_path / "var" / "search-log.sqlite3"


@pytest.fixture
def logged_app(built_index: Path, log_db: Path) -> Iterator[Flask]:
    with open_app(built_index, LOG_DB=str(log_db)) as app:
        yield app


def rows(db: Path) -> list[sqlite3.Row]:
    conn = sqlite3.connect(db)
    conn.row_factory = sqlite3.Row
    try:
        return conn.execute("SELECT * FROM searches ORDER BY id").fetchall()
    finally:
        conn.close()


def search_as_a_reader(app: Flask, url: str) -> int:
    """One request with everything a reader's browser sends about them."""
    client = app.test_client()
    client.set_cookie("session", "cookie-secret-value")
    response = client.get(
        url,
        headers={"User-Agent": USER_AGENT, "Referer": REFERRER, "X-Forwarded-For": CLIENT_ADDRESS},
        environ_base={"REMOTE_ADDR": CLIENT_ADDRESS},
    )
    return response.status_code


def test_a_search_is_logged_with_what_it_found_and_nothing_about_the_reader(logged_app: Flask, log_db: Path) -> None:
    assert search_as_a_reader(logged_app, "/search?q=" + quote("経費精算")) == 200
    assert search_as_a_reader(logged_app, "/api/search?q=" + quote("ＷＥＢ 宇宙旅行") + "&sort=newest&page=1") == 200
    assert search_as_a_reader(logged_app, "/api/search?q=" + quote("経費清算")) == 200
    with logged_app.app_context():
        assert get_search_log().flush()
    found = rows(log_db)
    assert tuple(found[0].keys()) == ("id", *COLUMNS)
    assert [(r["query"], r["source"]) for r in found] == [
        ("経費精算", "html"),
        ("ＷＥＢ 宇宙旅行", "api"),
        ("経費清算", "api"),
    ]
    first, second, third = found
    assert first["total"] > 0 and first["relaxed"] == 0 and first["page"] == 1
    assert second["normalized"] == "web 宇宙旅行"
    assert second["sort"] == "newest"
    assert json.loads(second["filters"])["tag"] == []
    assert third["suggestion"] == "経費精算"
    assert all(r["elapsed_ms"] > 0 for r in found)
    dt.datetime.strptime(first["at"], "%Y-%m-%dT%H:%M:%S.%fZ")  # UTC, sortable
    # The privacy rule, on the stored values: no address, agent, referrer or cookie anywhere.
    stored = " ".join(str(v) for r in found for v in tuple(r))
    for secret in (CLIENT_ADDRESS, "Secret-Agent", "referrer.example", "cookie-secret-value", "session"):
        assert secret not in stored


@pytest.mark.parametrize(
    ("url", "logged"),
    [
        ("/search", 0),  # the empty search page is not a search
        ("/api/search?q=x&per_page=500", 0),  # a request the reader must fix is not logged
        ("/api/search?q=x&page=0", 0),
        ("/search?category=" + quote("経理"), 1),  # a filtered listing is
    ],
)
def test_only_searches_that_ran_are_logged(logged_app: Flask, log_db: Path, url: str, logged: int) -> None:
    logged_app.test_client().get(url)
    with logged_app.app_context():
        log = get_search_log()
        assert log.flush()
    count = len(rows(log_db)) if log_db.exists() else 0
    assert count == logged


def test_the_log_can_be_turned_off(built_index: Path, tmp_path: Path) -> None:
    app = make_app(built_index, LOG_DB="")
    assert app.test_client().get("/api/search?q=" + quote("経費")).status_code == 200
    with app.app_context():
        assert get_search_log() is None
    assert not list(tmp_path.rglob("*.sqlite3"))


def _full_disk(log: SearchLog) -> sqlite3.Connection:
    conn = connect(log.path)
    # The database may not grow past its first pages: the next big batch meets SQLITE_FULL.
    pages = conn.execute("PRAGMA page_count").fetchone()[0]
    conn.execute(f"PRAGMA max_page_count = {pages + 1}")
    return conn


@pytest.mark.parametrize("failure", ["unwritable directory", "full disk"])
def test_a_failing_disk_turns_the_log_off_with_one_warning_and_searches_go_on(
    built_index: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture, failure: str
) -> None:
    if failure == "unwritable directory":
        blocker = tmp_path / "not-a-directory"
        blocker.write_text("a file where the log's directory should be\n", encoding="utf-8")
        db = blocker / "search-log.sqlite3"
    else:
        db = tmp_path / "search-log.sqlite3"
        monkeypatch.setattr(SearchLog, "_connect", _full_disk)
    app = make_app(built_index, LOG_DB=str(db))
    client = app.test_client()
    caplog.set_level(logging.WARNING, logger="search_app.searchlog")
    long_query = "経費 " + "あ" * 400  # rows big enough to need new pages
    for _ in range(30):
        assert client.get("/api/search", query_string={"q": long_query}).status_code == 200
        assert client.get("/search", query_string={"q": "経費"}).status_code == 200
    with app.app_context():
        log = get_search_log()
        assert log.flush()
    assert log.disabled
    warnings = [r for r in caplog.records if "search log disabled" in r.getMessage()]
    assert len(warnings) == 1
    assert client.get("/api/search", query_string={"q": "経費"}).json["total"] > 0


def test_rows_older_than_the_retention_are_removed(tmp_path: Path) -> None:
    db = tmp_path / "log.sqlite3"
    conn = connect(db)
    SearchLog(db)._write(conn, [_rec("古い検索", 1, 60 * 24 * 40)])
    conn.close()
    log = SearchLog(db, retention_days=30)
    log.record(_rec("新しい検索", 1, 0))
    assert log.flush()
    assert [r["query"] for r in rows(db)] == ["新しい検索"]


def test_concurrent_workers_lose_no_row(built_index: Path, tmp_path: Path) -> None:
    db = tmp_path / "search-log.sqlite3"
    queries = ["経費精算", "けいひ", "宇宙旅行", "印紙 書類", "ＩＤＥＣＯ"]
    clients, per_client = 6, 20
    failures: list[str] = []

    def hammer(base: str, n: int) -> None:
        for i in range(per_client):
            q = quote(queries[(n + i) % len(queries)])
            path = "/api/search?q=" if i % 2 else "/search?q="
            try:
                with urllib.request.urlopen(f"{base}{path}{q}", timeout=30) as resp:
                    if resp.status != 200:
                        failures.append(f"{resp.status} {path}")
            except OSError as exc:
                failures.append(str(exc))

    log = tmp_path / "server.log"
    with serve(built_index, log, workers=3, env={"SEARCH_LOG_DB": str(db)}) as base:
        threads = [threading.Thread(target=hammer, args=(base, n)) for n in range(clients)]
        for t in threads:
            t.start()
        for t in threads:
            t.join()
    # The server is stopped: every worker wrote its queue out before it exited.
    assert failures == []
    found = rows(db)
    assert len(found) == clients * per_client
    assert {r["source"] for r in found} == {"html", "api"}
    text = log.read_text(encoding="utf-8", errors="replace")
    assert "search log disabled" not in text and "locked" not in text


# --- the report ----------------------------------------------------------------------------------

NOW = dt.datetime.now(dt.UTC)


def _rec(
    query: str,
    total: int,
    minutes_ago: float,
    *,
    relaxed: bool = False,
    suggestion: str | None = None,
    page: int = 1,
    ms: float = 10.0,
) -> SearchRecord:
    at = NOW - dt.timedelta(minutes=minutes_ago)
    return make_record(
        query,
        sort="relevance",
        filters={},
        total=total,
        relaxed=relaxed,
        suggestion=suggestion,
        page=page,
        elapsed=ms / 1000,
        source="api",
        now=at,
    )


KNOWN_SEQUENCE = [
    _rec("経費精算", 5, 50),
    _rec("経費精算", 5, 40),
    _rec("経費精算", 5, 39, page=2),  # a next page: not a new search
    _rec("ｉＤｅＣｏ", 0, 30),
    _rec("iDeCo", 0, 20),
    _rec("ideco", 0, 10, ms=900.0),
    _rec("ふるさと納税", 0, 5),
    _rec("経費清算", 0, 4, suggestion="経費精算"),
    _rec("経費 宇宙旅行", 3, 3, relaxed=True),
    _rec("", 12, 2),  # a filter-only listing
    _rec("昔の検索", 0, 60 * 24 * 40),  # outside --days 30
]


@pytest.fixture
def known_log(tmp_path: Path) -> Path:
    db = tmp_path / "known.sqlite3"
    conn = connect(db)
    SearchLog(db)._write(conn, KNOWN_SEQUENCE)
    conn.close()
    return db


def test_the_report_groups_a_known_sequence(known_log: Path) -> None:
    conn = sqlite3.connect(known_log)
    built = report.build_report(conn, days=30)
    conn.close()
    assert (built.searches, built.zero_result_searches) == (8, 5)
    assert [(g.normalized, g.count) for g in built.top][:2] == [("ideco", 3), ("経費精算", 2)]
    zero = [(g.normalized, g.count, g.example) for g in built.zero_results]
    assert zero == [("ideco", 3, "ideco"), ("経費清算", 1, "経費清算"), ("ふるさと納税", 1, "ふるさと納税")]
    assert built.zero_results[0].last_seen == KNOWN_SEQUENCE[5].at
    assert [g.example for g in built.relaxed] == ["経費 宇宙旅行"]
    assert [(g.example, g.suggestion) for g in built.suggested] == [("経費清算", "経費精算")]
    assert built.slowest[0].query == "ideco" and built.slowest[0].elapsed_ms == 900.0
    assert "昔の検索" not in {s.query for s in built.slowest}


@pytest.mark.parametrize("form", ["text", "json", "csv"])
def test_report_command_formats(known_log: Path, capsys: pytest.CaptureFixture[str], form: str) -> None:
    assert report.main(["--log", str(known_log), "--days", "30", "--format", form]) == 0
    out = capsys.readouterr().out
    if form == "json":
        data = json.loads(out)
        assert data["zero_results"][0]["normalized"] == "ideco"
        assert data["searches"] == 8
    elif form == "csv":
        table = list(csv.DictReader(io.StringIO(out)))
        zero = [r for r in table if r["section"] == "zero_results"]
        assert (zero[0]["normalized"], zero[0]["count"]) == ("ideco", "3")
        assert {r["section"] for r in table} == {"top", "zero_results", "relaxed", "suggested", "slowest"}
    else:
        assert "8 searches, 5 with no result (62%)" in out
        zero_section = out.split("zero-result queries")[1].split("\n\n")[0]
        assert "    3  ideco" in zero_section and "ふるさと納税" in zero_section
        assert "→ 経費精算" in out


def test_report_without_a_log_says_so(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert report.main(["--log", str(tmp_path / "none.sqlite3")]) == 1
    assert "no search log" in capsys.readouterr().err
    assert not (tmp_path / "none.sqlite3").exists()


@pytest.mark.parametrize(
    ("query", "text_shows", "csv_cell"),
    [
        ("\x1b[2J経費", "\\u001b[2J経費", "\x1b[2J経費"),
        ('=HYPERLINK("http://x.example")', "=HYPERLINK", '\'=HYPERLINK("http://x.example")'),
        ("-2+3", "-2+3", "'-2+3"),
        ("@SUM(A1)", "@SUM(A1)", "'@SUM(A1)"),
    ],
)
def test_a_readers_query_cannot_drive_the_terminal_or_the_spreadsheet(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], query: str, text_shows: str, csv_cell: str
) -> None:
    db = tmp_path / "hostile.sqlite3"
    conn = connect(db)
    SearchLog(db)._write(conn, [_rec(query, 0, 1)])
    conn.close()
    assert report.main(["--log", str(db)]) == 0
    text = capsys.readouterr().out
    assert text_shows in text and "\x1b" not in text
    assert report.main(["--log", str(db), "--format", "csv"]) == 0
    table = list(csv.DictReader(io.StringIO(capsys.readouterr().out)))
    assert next(r for r in table if r["section"] == "zero_results")["query"] == csv_cell


def test_popular_queries_join_the_completions_but_never_one_that_found_nothing(
    built_index: Path, tmp_path: Path
) -> None:
    db = tmp_path / "popular.sqlite3"
    conn = connect(db)
    rows_ = [_rec("経費精算の手順", 4, m) for m in range(6)]
    rows_ += [_rec("経費精算 ｅｘｃｅｌ", 2, m) for m in range(5)] + [_rec("経費精算 excel", 0, 9)]  # once nothing
    rows_ += [_rec("経費精算 締め日", 1, m) for m in range(2)]  # too rare
    SearchLog(db)._write(conn, rows_)
    conn.close()
    with open_app(built_index, LOG_DB=str(db), POPULAR_MIN_COUNT=5) as app:
        found = app.test_client().get("/api/suggest", query_string={"q": "経費"}).json["suggestions"]
        popular = [s["text"] for s in found if s["kind"] == "popular"]
        assert popular == ["経費精算の手順"]
        assert found[0] == {"text": "経費精算の手順", "kind": "popular", "path": None}
        assert len(found) <= 8
        opensearch = app.test_client().get("/api/suggest", query_string={"q": "経費", "format": "opensearch"}).json
        assert opensearch[1][0] == "経費精算の手順"


@pytest.mark.parametrize("config", [{"LOG_DB": ""}, {"POPULAR_MIN_COUNT": 0}])
def test_no_popular_completions_when_turned_off(built_index: Path, tmp_path: Path, config: dict) -> None:
    db = tmp_path / "popular.sqlite3"
    conn = connect(db)
    SearchLog(db)._write(conn, [_rec("経費精算の手順", 4, m) for m in range(9)])
    conn.close()
    app = make_app(built_index, **{"LOG_DB": str(db), **config})
    found = app.test_client().get("/api/suggest", query_string={"q": "経費"}).json["suggestions"]
    assert found and all(s["kind"] != "popular" for s in found)
