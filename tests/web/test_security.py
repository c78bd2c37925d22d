"""Safety of what the app serves: headers on every page, escaping, no file access by path, input limits."""

from __future__ import annotations

import re
from collections.abc import Iterator
from pathlib import Path

import pytest
from bs4 import BeautifulSoup
from flask import Flask
from flask.testing import FlaskClient
from hypothesis import example, given
from hypothesis import strategies as st

from search_app import SECURITY_HEADERS
from tests.factories import REPO, assert_refused, indexed_fixture, make_app, open_app
from tests.pages import SAMPLE_PAGES, Page, paragraphs
from tests.strategies import FUZZ

TEMPLATES = REPO / "search_app" / "templates"
# A value for each URL variable of the app's routes.
ROUTE_ARGUMENTS = {"path": "2021/keihi.html", "filename": "style.css"}


def urls_of_every_route(app: Flask) -> list[str]:
    """One URL for each GET route of the app, from the URL map (a new route is covered automatically)."""
    urls = []
    for rule in app.url_map.iter_rules():
        if "GET" not in (rule.methods or ()):
            continue
        missing = set(rule.arguments) - set(ROUTE_ARGUMENTS)
        assert not missing, f"add a value for {missing} of {rule} to ROUTE_ARGUMENTS"
        urls.append(re.sub(r"<(?:[^<>:]+:)?([^<>]+)>", lambda m: ROUTE_ARGUMENTS[m[1]], rule.rule))
    return urls


def assert_security_headers(response) -> None:
    for name, value in SECURITY_HEADERS.items():
        assert response.headers.get(name) == value, name
    csp = response.headers["Content-Security-Policy"]
    assert "unsafe-inline" not in csp
    assert "unsafe-eval" not in csp
    assert "frame-ancestors 'none'" in csp


def test_every_route_and_error_sends_the_security_headers(client: FlaskClient, app: Flask) -> None:
    urls = urls_of_every_route(app)
    assert {"/", "/search", "/api/search", "/healthz", "/api/openapi.json"} <= set(urls)
    errors = ["/nowhere", "/api/nowhere", "/articles/none.html", "/search?q=-x", "/api/search?page=0"]
    for url in [*urls, *errors, "/search?q=経費", "/api/search?q=経費"]:
        with client.get(url) as response:  # static files are streamed: close them
            assert response.status_code < 500, url
            assert_security_headers(response)
    assert_security_headers(client.post("/api/search"))  # 405
    assert_security_headers(client.open("/healthz", method="TRACE"))


def test_503_pages_send_the_security_headers(tmp_path: Path) -> None:
    client = make_app(tmp_path / "missing").test_client()
    for url in ("/healthz", "/api/search?q=経費", "/search?q=経費", "/articles/a.html"):
        response = client.get(url)
        assert response.status_code == 503
        assert_security_headers(response)


def test_method_not_allowed_says_which_methods_are(client: FlaskClient) -> None:
    for url in ("/api/search", "/search"):
        response = client.delete(url)
        assert response.status_code == 405
        assert set(response.headers["Allow"].split(", ")) >= {"GET", "HEAD"}


@pytest.mark.parametrize("template", sorted(p.name for p in TEMPLATES.glob("*.html")))
def test_templates_hold_no_inline_script_or_style(template: str) -> None:
    # The policy forbids inline code; a template that needed it would break in the browser.
    source = (TEMPLATES / template).read_text(encoding="utf-8")
    soup = BeautifulSoup(source, "html.parser")
    for script in soup.find_all("script"):
        assert script.get("src"), f"inline <script> in {template}"
    assert not soup.find_all("style"), f"<style> in {template}"
    assert not re.search(r"\sstyle\s*=", source), f"style attribute in {template}"
    assert not re.search(r"\son[a-z]+\s*=", source, re.IGNORECASE), f"event handler attribute in {template}"
    assert "javascript:" not in source.lower()


# ---------------------------------------------------------------- escaping of indexed text

HOSTILE = {
    "evil.html": Page(
        title="経費<img src=x onerror=alert(1)>の話",
        body_html=paragraphs(
            "経費の&lt;script&gt;alert(1)&lt;/script&gt;と&lt;/mark&gt;と&amp;lt;b&amp;gt;の本文。",
            "経費&quot;&gt;&lt;svg onload=alert(2)&gt;が続きます。",
        ),
        tags=('"><script>alert(3)</script>', "経費"),
        category="<b>総務</b>",
        description="<i>説明</i>",
    ),
}


hostile_client = indexed_fixture(HOSTILE, client=True)


def test_indexed_text_is_escaped_in_the_api(hostile_client: FlaskClient) -> None:
    hit = hostile_client.get("/api/search", query_string={"q": "経費"}).json["hits"][0]
    snippet = BeautifulSoup(hit["snippet"], "html.parser")
    assert {t.name for t in snippet.find_all()} == {"mark"}
    assert "<script>" in snippet.get_text()  # shown as text, not markup
    assert hit["title"] == "経費<img src=x onerror=alert(1)>の話"  # JSON carries text; clients escape


@pytest.mark.parametrize("url", ["/", "/search?q=経費", "/search?q=経費 OR script", "/articles/evil.html?q=経費"])
def test_indexed_text_is_escaped_in_the_pages(hostile_client: FlaskClient, url: str) -> None:
    response = hostile_client.get(url)
    assert response.status_code == 200
    soup = BeautifulSoup(response.get_data(as_text=True), "html.parser")
    assert not soup.find_all(["img", "svg", "b", "i"])
    # The only scripts are the site's own files (the search box's completions).
    assert all(s.get("src", "").startswith("/static/") and not s.string for s in soup.find_all("script"))
    assert not [t for t in soup.find_all() if any(a.startswith("on") for a in t.attrs)]
    for mark in soup.find_all("mark"):
        assert not mark.attrs
        assert mark.find_parent(class_=["snippet", "hit-title", "article-body"]) is not None
    text = soup.get_text()
    assert "<img src=x onerror=alert(1)>" in text
    assert '"><script>alert(3)</script>' in text


# ---------------------------------------------------------------- /articles/<path> is a key, never a file

SECRET = "SECRET-FILE-CONTENT-4b1d"


@pytest.fixture
def secret_file(built_index: Path) -> Iterator[Path]:
    """A readable file beside the corpus the index was built from."""
    secret = built_index.parent / "corpus" / "secret.txt"
    secret.write_text(SECRET, encoding="utf-8")
    yield secret
    secret.unlink()


TRAVERSALS = [
    "../corpus/secret.txt",
    "../../etc/passwd",
    "..%2f..%2fetc%2fpasswd",
    "%2e%2e/%2e%2e/etc/passwd",
    "%2e%2e%2f%2e%2e%2fetc%2fpasswd",
    "%252e%252e%252fetc%252fpasswd",
    "..%5c..%5cetc%5cpasswd",
    "..\\..\\etc\\passwd",
    "....//....//etc/passwd",
    "%c0%ae%c0%ae/%c0%ae%c0%ae/etc/passwd",
    "/etc/passwd",
    "%2fetc%2fpasswd",
    "//etc/passwd",
    "2021/../../corpus/secret.txt",
    "2021/keihi.html/../../secret.txt",
    "2021/keihi.html%00.txt",
    "file:///etc/passwd",
    "setup.cfg",
    "secret.txt",
]


@pytest.mark.parametrize("path", TRAVERSALS)
def test_article_paths_never_reach_a_file(client: FlaskClient, secret_file: Path, path: str) -> None:
    for url in (f"/articles/{path}", f"/articles/{path.replace('/', '%2F')}"):
        response = client.get(url, follow_redirects=True)
        assert response.status_code in (404, 400), url
        body = response.get_data(as_text=True)
        assert SECRET not in body
        assert "root:" not in body
        assert "[metadata]" not in body


def test_absolute_paths_of_real_files_are_not_articles(client: FlaskClient, secret_file: Path) -> None:
    for target in (secret_file, REPO / "setup.cfg"):
        response = client.get(f"/articles/{target}", follow_redirects=True)
        assert response.status_code == 404
        assert SECRET not in response.get_data(as_text=True)


@pytest.fixture(scope="module")
def module_client(built_index: Path) -> Iterator[FlaskClient]:
    with open_app(built_index) as app:
        yield app.test_client()


@given(path=st.text(st.characters(codec="utf-8", exclude_characters="?#"), min_size=1, max_size=60))
@FUZZ
@example(path="2021/keihi.html")
@example(path="../" * 20 + "etc/passwd")
def test_any_article_path_is_a_page_or_a_404(module_client: FlaskClient, path: str) -> None:
    response = module_client.get("/articles/" + path.lstrip("/"))
    assert response.status_code in (200, 308, 404), path
    if response.status_code == 200:
        assert path.lstrip("/") in SAMPLE_PAGES
    assert_security_headers(response)


# ---------------------------------------------------------------- limits

LIMITS = [
    ({"q": "あ" * 1001}, "長すぎ"),
    ({"q": "経費", "page": "1001"}, "page"),
    ({"q": "経費", "page": "0"}, "page"),
    ({"q": "経費", "per_page": "101"}, "per_page"),
    ({"q": "経費", "per_page": "0"}, "per_page"),
    ({"q": "経費", "page": "9" * 5000}, "page"),
]


@pytest.mark.parametrize(("params", "fragment"), LIMITS)
def test_limits_are_enforced_with_a_message(client: FlaskClient, params: dict, fragment: str) -> None:
    assert_refused(client, params, fragment)


def test_limits_at_the_edge_are_accepted(client: FlaskClient) -> None:
    for params in ({"q": "あ" * 1000}, {"q": "経費", "page": "1000", "per_page": "100"}):
        assert client.get("/api/search", query_string=params).status_code == 200
        assert client.get("/search", query_string=params).status_code == 200


def test_the_search_box_limits_length_too(client: FlaskClient) -> None:
    box = BeautifulSoup(client.get("/").get_data(as_text=True), "html.parser").find("input", attrs={"name": "q"})
    assert box["maxlength"] == "1000"
