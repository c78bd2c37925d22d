"""Property-based tests of everything a search box receives: the parser, the service, the JSON API, the HTML page."""

from __future__ import annotations

import unicodedata
import urllib.parse
from collections.abc import Iterator
from pathlib import Path

import pytest
from bs4 import BeautifulSoup
from flask import Flask
from flask.testing import FlaskClient
from hypothesis import example, given
from hypothesis import strategies as st
from markupsafe import Markup

from search_app import SECURITY_HEADERS
from search_app.engine.service import MAX_PAGE, MAX_PER_PAGE, SearchService
from search_app.engine.syntax import (
    FIELD_PREFIXES,
    MAX_QUERY_CHARS,
    And,
    Node,
    Not,
    Or,
    QuerySyntaxError,
    Words,
    parse_query,
)
from search_app.services import get_service
from tests.factories import open_app
from tests.strategies import FUZZ, PARAM_VALUES, QUERIES, RAW_PARAM_BYTES, RAW_QUERIES

ALLOWED_FIELDS = set(FIELD_PREFIXES.values())
# Every element the templates write; anything else in a page came from input.
TEMPLATE_TAGS = {
    "html", "head", "meta", "title", "link", "body", "a", "header", "p", "form", "label", "input", "button",
    "main", "section", "h1", "h2", "span", "strong", "ol", "li", "time", "nav", "ul", "footer", "code", "mark",
    "article", "div", "aside", "details", "summary", "fieldset", "legend", "script",
}  # fmt: skip


@pytest.fixture(scope="module")
def fuzz_app(built_index: Path) -> Iterator[Flask]:
    """One app for all examples of a module (Hypothesis reruns the test body, not the fixtures)."""
    with open_app(built_index) as app:
        with app.app_context():
            get_service().search("経費")  # load the dictionary before the first timed example
        yield app


@pytest.fixture(scope="module")
def fuzz_client(fuzz_app: Flask) -> FlaskClient:
    return fuzz_app.test_client()


def walk(node: Node) -> Iterator[Node]:
    yield node
    if isinstance(node, Not):
        yield from walk(node.node)
    elif isinstance(node, And | Or):
        for child in node.nodes:
            yield from walk(child)


def only_marks(html: str) -> bool:
    """True if the fragment's only elements are <mark> without attributes."""
    tags = BeautifulSoup(html, "html.parser").find_all()
    return all(t.name == "mark" and not t.attrs for t in tags)


@given(RAW_QUERIES)
@FUZZ
@example("NOT " * 250 + "経費")
@example("(" * 16 + "経費" + ")" * 16)
@example("\ud800経費\udfff")
def test_parser_returns_a_tree_or_a_syntax_error(q: str) -> None:
    try:
        tree = parse_query(q)
    except QuerySyntaxError as exc:
        assert str(exc)
        return
    if tree is None:
        return
    for node in walk(tree):
        if isinstance(node, Words):
            assert node.text
            assert node.text == node.text.strip()
            assert not any(unicodedata.category(c) in ("Cc", "Cf", "Cs") for c in node.text)
            assert node.fields is None or node.fields in ALLOWED_FIELDS
        elif isinstance(node, And | Or):
            assert node.nodes


@given(q=RAW_QUERIES, page=st.integers(1, MAX_PAGE), per_page=st.integers(1, MAX_PER_PAGE))
@FUZZ
@example(q="経費 OR 見積書", page=MAX_PAGE, per_page=MAX_PER_PAGE)
def test_search_service_answers_or_explains(fuzz_app: Flask, q: str, page: int, per_page: int) -> None:
    with fuzz_app.app_context():
        service: SearchService = get_service()
        try:
            result = service.search(q, page, per_page)
        except (QuerySyntaxError, ValueError) as exc:
            assert str(exc)
            return
    assert result.total >= len(result.hits)
    assert len(result.hits) <= per_page
    for hit in result.hits:
        assert isinstance(hit.snippet, Markup)
        assert only_marks(hit.snippet)
        assert only_marks(hit.title_html)


def check_api_answer(response) -> None:
    assert response.status_code in (200, 400), response.get_data(as_text=True)[:500]
    assert response.mimetype == "application/json"
    for name in SECURITY_HEADERS:
        assert name in response.headers
    body = response.json
    if response.status_code == 400:
        assert isinstance(body["error"], str)
        assert body["error"].strip()
        return
    assert set(body) == {
        "query", "terms", "total", "page", "per_page", "relaxed", "dropped", "hits", "sort", "filters", "facets",
        "suggestion",
    }  # fmt: skip
    assert body["total"] >= len(body["hits"])
    assert body["suggestion"] is None or (isinstance(body["suggestion"], str) and body["suggestion"] != body["query"])
    assert len(body["hits"]) <= body["per_page"] <= MAX_PER_PAGE
    for hit in body["hits"]:
        assert only_marks(hit["snippet"])


@given(q=QUERIES, page=PARAM_VALUES, per_page=PARAM_VALUES)
@FUZZ
@example(q="x" * 10_000, page="1", per_page="10")
@example(q="経費", page="9" * 5000, per_page=None)
@example(q="経費", page="٣", per_page="１")
def test_api_answers_200_or_400(fuzz_client: FlaskClient, q: str, page: str | None, per_page: str | None) -> None:
    params = {k: v for k, v in {"q": q, "page": page, "per_page": per_page}.items() if v is not None}
    response = fuzz_client.get("/api/search", query_string=params)
    check_api_answer(response)
    if response.status_code == 200:
        assert response.json["query"] == q
    elif len(q) > MAX_QUERY_CHARS:
        # The over-long query, unless a bad page or per_page was reported first.
        assert any(word in response.json["error"] for word in ("長すぎ", "page"))


@given(raw=RAW_PARAM_BYTES)
@FUZZ
def test_api_survives_undecodable_query_strings(fuzz_client: FlaskClient, raw: bytes) -> None:
    encoded = urllib.parse.quote_from_bytes(raw, safe="")
    check_api_answer(fuzz_client.get(f"/api/search?q={encoded}&page={encoded}"))
    check_api_answer(fuzz_client.get(f"/api/search?q={encoded}"))


@given(q=QUERIES)
@FUZZ
@example(q='"><script>alert(1)</script>')
@example(q="</mark><img src=x onerror=alert(1)>")
@example(q="{{ config }}")
def test_search_page_escapes_every_user_string(fuzz_client: FlaskClient, q: str) -> None:
    response = fuzz_client.get("/search", query_string={"q": q})
    assert response.status_code in (200, 400)
    assert response.mimetype == "text/html"
    html = response.get_data(as_text=True)
    soup = BeautifulSoup(html, "html.parser")
    tags = soup.find_all()
    assert {t.name for t in tags} <= TEMPLATE_TAGS
    assert not [t for t in tags if any(a.lower().startswith("on") for a in t.attrs)]
    assert all(s.get("src", "").startswith("/static/") and not s.string for s in soup.find_all("script"))
    for mark in soup.find_all("mark"):
        assert mark.find_parent(class_=["snippet", "hit-title"]) is not None
    box = soup.find("input", attrs={"name": "q"})
    assert box["value"] == q  # the query round-trips through the attribute: escaped, not interpreted
