"""The production server's edge: long URLs and headers get the app's own errors (JSON under /api/)."""

from __future__ import annotations

import http.client
import json
from collections.abc import Iterator
from dataclasses import dataclass
from urllib.parse import urlencode, urlsplit

import pytest
from bs4 import BeautifulSoup

from search_app import SECURITY_HEADERS
from search_app.engine.syntax import MAX_QUERY_CHARS
from search_app.worker import HEADER_FIELD_LIMIT, REQUEST_LINE_LIMIT, CappedSocket, longest_search_target
from tests.factories import CORPUS, index_with_cli, serve

pytestmark = pytest.mark.e2e


@dataclass(frozen=True)
class Answer:
    status: int
    content_type: str
    headers: dict[str, str]
    body: bytes

    def json(self) -> dict:
        return json.loads(self.body.decode("utf-8"))

    def soup(self) -> BeautifulSoup:
        return BeautifulSoup(self.body.decode("utf-8"), "html.parser")


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """`python -m search_app` over the bundled corpus (host:port)."""
    root = tmp_path_factory.mktemp("edge")
    with serve(index_with_cli(CORPUS, root / "index"), root / "server.log", workers=1) as base:
        yield urlsplit(base).netloc


def get(server: str, target: str, headers: dict[str, str] | None = None, method: str = "GET") -> Answer:
    """One request with exactly this request target (already encoded), through a raw HTTP/1.1 connection."""
    conn = http.client.HTTPConnection(server, timeout=30)
    try:
        conn.request(method, target, headers=headers or {})
        response = conn.getresponse()
        return Answer(
            response.status, response.getheader("Content-Type", ""), dict(response.getheaders()), response.read()
        )
    finally:
        conn.close()


def search_target(path: str, q: str, **params: str) -> str:
    return f"{path}?{urlencode({'q': q, **params})}"


# (query, what its request line needs): each was gunicorn's HTML 414 before the worker's own cap.
TOO_LONG_FOR_THE_APP = [
    pytest.param("a" * 5000, id="5000-ascii"),
    pytest.param("経" * (MAX_QUERY_CHARS + 1), id="1001-kanji"),
    pytest.param("\U00020bb7" * 2000, id="2000-astral"),
]


@pytest.mark.parametrize("query", TOO_LONG_FOR_THE_APP)
def test_api_answers_an_over_long_query_in_json(server: str, query: str) -> None:
    answer = get(server, search_target("/api/search", query))
    assert answer.status == 400
    assert answer.content_type.startswith("application/json")
    assert "検索語が長すぎます" in answer.json()["error"]


@pytest.mark.parametrize("query", TOO_LONG_FOR_THE_APP)
def test_search_page_answers_an_over_long_query_with_its_own_page(server: str, query: str) -> None:
    answer = get(server, search_target("/search", query))
    assert answer.status == 400
    assert answer.content_type.startswith("text/html")
    soup = answer.soup()
    assert soup.html["lang"] == "ja"
    assert "検索語が長すぎます" in soup.select_one(".error-message").get_text()


@pytest.mark.parametrize("path", ["/api/search", "/search"])
def test_a_query_at_the_limit_in_kanji_is_searched(server: str, path: str) -> None:
    # 1,000 kanji are 9,000 bytes percent-encoded: over gunicorn's own maximum line (8,190).
    target = search_target(path, "経" * MAX_QUERY_CHARS)
    assert len(target) > 8190
    answer = get(server, target)
    assert answer.status == 200
    if path == "/api/search":
        assert answer.json()["query"] == "経" * MAX_QUERY_CHARS


def test_the_longest_search_the_app_accepts_fits_the_request_line() -> None:
    line = f"GET {longest_search_target()} HTTP/1.1"
    assert len(line) <= REQUEST_LINE_LIMIT
    assert len(f"Referer: http://{'h' * 253}:65535{longest_search_target('/search')}") <= HEADER_FIELD_LIMIT


@pytest.mark.parametrize("path", ["/api/search", "/search"])
def test_the_longest_search_the_app_accepts_is_answered(server: str, path: str) -> None:
    answer = get(server, longest_search_target(path))
    assert answer.status == 200, answer.body[:300]
    if path == "/api/search":
        assert answer.json()["total"] == 0
        assert len(answer.json()["filters"]["tag"]) == 1  # ten times the same tag


# Beyond the worker's cap (and far beyond gunicorn's 8,190): refused before the app parses it.
BEYOND_ANY_LIMIT = [
    pytest.param("q=" + "a" * (REQUEST_LINE_LIMIT + 10), id="ascii"),
    pytest.param(urlencode({"q": "経" * 4000}), id="kanji"),
    pytest.param(urlencode({"q": "経費", "tag": "a" * 40_000}), id="a-filter"),
]


@pytest.mark.parametrize("query", BEYOND_ANY_LIMIT)
def test_api_answers_a_line_beyond_any_limit_in_json(server: str, query: str) -> None:
    answer = get(server, f"/api/search?{query}")
    assert answer.status == 414
    assert answer.content_type.startswith("application/json")
    error = answer.json()["error"]
    assert "URL が長すぎます" in error
    assert f"{REQUEST_LINE_LIMIT:,}" in error
    for name, value in SECURITY_HEADERS.items():
        assert answer.headers.get(name) == value
    assert answer.headers["Connection"] == "close"


@pytest.mark.parametrize("query", BEYOND_ANY_LIMIT)
def test_search_page_answers_a_line_beyond_any_limit_with_its_own_page(server: str, query: str) -> None:
    answer = get(server, f"/search?{query}")
    assert answer.status == 414
    assert answer.content_type.startswith("text/html")
    soup = answer.soup()
    assert soup.html["lang"] == "ja"
    assert soup.select_one("h1").get_text(strip=True) == "URL が長すぎます"
    assert "URL が長すぎます" in soup.select_one(".error-message").get_text()
    assert soup.select_one("form.search-form input#q")["value"] == ""


def test_head_beyond_the_limit_gets_headers_only(server: str) -> None:
    answer = get(server, f"/api/search?q={'a' * (REQUEST_LINE_LIMIT + 10)}", method="HEAD")
    assert answer.status == 414
    assert answer.content_type.startswith("application/json")
    assert answer.body == b""


def test_an_article_opened_from_a_long_search_gets_its_page(server: str) -> None:
    # The browser sends the long search URL it came from as the Referer.
    referer = f"http://{server}{search_target('/search', '経' * MAX_QUERY_CHARS)}"
    assert len(referer) > 8190
    answer = get(server, "/articles/2021/mos-excel.html", headers={"Referer": referer})
    assert answer.status == 200


@pytest.mark.parametrize("path", ["/api/search", "/search"])
def test_a_header_beyond_the_limit_gets_the_apps_own_431(server: str, path: str) -> None:
    answer = get(server, search_target(path, "経費"), headers={"X-Filler": "a" * (HEADER_FIELD_LIMIT + 10)})
    assert answer.status == 431
    assert answer.content_type.startswith("application/json" if path.startswith("/api/") else "text/html")
    assert "ヘッダーが大きすぎます" in answer.body.decode("utf-8")


class FakeSocket:
    """Hands out the chunks of a request as recv() would."""

    def __init__(self, chunks: list[bytes]) -> None:
        self.chunks = chunks

    def recv(self, size: int) -> bytes:
        return self.chunks.pop(0) if self.chunks else b""


@pytest.mark.parametrize(
    ("chunks", "refused"),
    [
        ([b"GET /" + b"a" * 99 + b" HTTP/1.1\r\n\r\n"], True),
        ([b"GET /" + b"a" * 80 + b" HTTP/1.1\r\n\r\n"], False),
        ([b"GET /" + b"a" * 60, b"a" * 60, b" HTTP/1.1\r\n"], True),  # spread over reads
        ([b"\r\nGET /" + b"a" * 80 + b" HTTP/1.1\r\n"], False),  # one empty line before it is allowed
        ([b"GET /" + b"a" * 80 + b" HTTP/1.1\r\nX-Long: " + b"a" * 500 + b"\r\n"], False),  # headers are not the line
    ],
)
def test_the_capped_socket_measures_the_request_line_only(chunks: list[bytes], refused: bool) -> None:
    from gunicorn.http.errors import LimitRequestLine

    capped = CappedSocket(FakeSocket(list(chunks)), limit=100)  # type: ignore[arg-type]
    read = b""
    try:
        while data := capped.recv(8192):
            read += data
    except LimitRequestLine:
        assert refused
        assert capped.start.startswith(b"GET /") or capped.start.startswith(b"\r\nGET /")
    else:
        assert not refused
        assert read == b"".join(chunks)
