"""The one way tests build what they need: a corpus, its index, the app over it, the real commands and server.

In process: `index_pages(root, pages)` writes the pages to root/corpus and indexes them into root/index;
`indexed_app(root, pages, **config)` (a context manager) yields the app over that index and closes it after;
`indexed_client` yields its test client; `open_app(index, **config)` does the same over an index already built;
`indexed_fixture(pages)` is a module's fixture of such an app (or client).
As a reader or an operator would: `run_indexer(...)` is `python -m indexer`, `serve(index, log)` the production
server. Then small readers of the answers (`api_search`, `paths`, `soup_of`, `marks`, `assert_refused`).
"""

from __future__ import annotations

import contextlib
import json
import os
import signal
import socket
import subprocess
import sys
import time
import urllib.request
from collections.abc import Iterator, Mapping
from pathlib import Path
from typing import Any

import pytest
from bs4 import BeautifulSoup
from flask import Flask
from flask.testing import FlaskClient
from whoosh import index as whoosh_index
from whoosh.searching import Searcher

from indexer.pipeline import run
from indexer.schema import build_schema
from indexer.store import IndexLocation, open_index
from search_app import create_app
from search_app.engine.searcher import IndexHandle
from tests.pages import Page

REPO = Path(__file__).resolve().parent.parent
CORPUS = REPO / "corpus"  # the bundled corpus

# Whoosh leaves some of its files open when a write (or a read of a damaged index) fails; the garbage
# collector closes them, under the filter of the test that marks itself with this.
WHOOSH_LEAKS_ON_FAILURE = pytest.mark.filterwarnings(
    "ignore::ResourceWarning", "ignore::pytest.PytestUnraisableExceptionWarning"
)

# ---------------------------------------------------------------- a corpus and its index


def write_corpus(root: Path, pages: Mapping[str, Page]) -> Path:
    """Write pages as files under root (created) and return root."""
    for rel, page in pages.items():
        target = root / rel
        target.parent.mkdir(parents=True, exist_ok=True)
        target.write_bytes(page.encoded())
    return root


def index_pages(root: Path, pages: Mapping[str, Page], **run_args: Any) -> Path:
    """Write `pages` to root/corpus, index every one of them into root/index with one job; the index."""
    corpus = write_corpus(root / "corpus", pages)
    summary = run(corpus, root / "index", jobs=1, **run_args)
    assert summary.added == len(pages), summary.problems
    return root / "index"


def empty_index(path: Path) -> Path:
    """A published Whoosh index with no documents."""
    loc = IndexLocation(path)
    gen = loc.new_generation()
    whoosh_index.create_in(str(gen), build_schema()).close()
    loc.publish(gen)
    return path


def stored(index: Path) -> dict[str, dict]:
    """Every document's stored fields, by path."""
    with open_index(index).searcher() as s:
        return {d["path"]: d for d in s.all_stored_fields()}


@contextlib.contextmanager
def index_searcher(index: Path) -> Iterator[Searcher]:
    """A searcher of the engine's own handle on `index`, the handle closed after."""
    handle = IndexHandle(index)
    try:
        with handle.searcher() as searcher:
            yield searcher
    finally:
        handle.close()


# ---------------------------------------------------------------- the app


def make_app(index: Path, **config: object) -> Flask:
    """An app over `index` with test settings (`config` on top)."""
    # もしかして waits for the vocabulary (built in the background) as long as a slow test machine needs.
    settings = {
        "TESTING": True,
        "INDEX_DIR": str(index),
        "RELOAD_INTERVAL": 0,
        "VOCABULARY_WAIT": 30,
        "LOG_DB": "",
        **config,
    }
    return create_app(settings)


def close_app(app: Flask) -> None:
    """Let go of the app's index."""
    app.extensions["search_service"].handle.close()


@contextlib.contextmanager
def open_app(index: Path, **config: object) -> Iterator[Flask]:
    """`make_app(index, **config)`, closed after."""
    app = make_app(index, **config)
    try:
        yield app
    finally:
        close_app(app)


@contextlib.contextmanager
def indexed_app(root: Path, pages: Mapping[str, Page], **config: object) -> Iterator[Flask]:
    """The app over `pages` indexed under root (root/corpus, root/index), closed after."""
    with open_app(index_pages(root, pages), **config) as app:
        yield app


@contextlib.contextmanager
def indexed_client(root: Path, pages: Mapping[str, Page], **config: object) -> Iterator[FlaskClient]:
    """A test client of `indexed_app(root, pages, **config)`."""
    with indexed_app(root, pages, **config) as app:
        yield app.test_client()


def indexed_fixture(pages: Mapping[str, Page], *, client: bool = False, **config: object) -> Any:
    """A fixture over `pages`, indexed once for the module that names it (`facet_app = indexed_fixture(PAGES)`).

    It gives the app, or with `client=True` one test client of it for the whole module.
    """

    @pytest.fixture(scope="module")
    def site(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Flask | FlaskClient]:
        with indexed_app(tmp_path_factory.mktemp("site"), pages, **config) as app:
            yield app.test_client() if client else app

    return site


# ---------------------------------------------------------------- the real commands and the production server


def run_python(*args: str, **options: Any) -> subprocess.CompletedProcess[str]:
    """`python ARGS` from the repository, its output captured as text; `options` go to subprocess.run."""
    return subprocess.run(
        [sys.executable, *args], cwd=REPO, capture_output=True, text=True, encoding="utf-8", check=False, **options
    )


def run_indexer(*args: str, **options: Any) -> subprocess.CompletedProcess[str]:
    """`python -m indexer ARGS`, run to its end (the caller checks its exit code)."""
    return run_python("-m", "indexer", *args, **options)


def start_indexer(*args: str, **options: Any) -> subprocess.Popen[str]:
    """Start `python -m indexer ARGS` in its own process group (a test may kill it with its workers).

    Its output is piped as text unless `options` say otherwise.
    """
    popen: dict[str, Any] = {"stdout": subprocess.PIPE, "stderr": subprocess.PIPE, "text": True, "encoding": "utf-8"}
    return subprocess.Popen(
        [sys.executable, "-m", "indexer", *args], cwd=REPO, start_new_session=True, **{**popen, **options}
    )


def index_with_cli(corpus: Path, index: Path) -> Path:
    """Index `corpus` into `index` with the real indexer command line; the index."""
    proc = run_indexer("--corpus", str(corpus), "--index", str(index), "-q")
    if proc.returncode != 0:
        msg = f"indexing {corpus} failed ({proc.returncode}): {proc.stderr.strip()}"
        raise RuntimeError(msg)
    return index


def free_port() -> int:
    """A TCP port on the loopback that nothing listens on right now."""
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def _healthy(base: str) -> bool:
    """Whether /healthz answers 200 with an index that has documents."""
    try:
        with urllib.request.urlopen(f"{base}/healthz", timeout=5) as response:
            body = json.loads(response.read().decode("utf-8"))
    except (OSError, ValueError):
        return False
    return body.get("status") == "ok" and body.get("documents", 0) > 0


def _stop(proc: subprocess.Popen[bytes]) -> None:
    """SIGTERM the server's process group (gunicorn and its workers); SIGKILL it if it lingers."""
    if proc.poll() is not None:
        return
    with contextlib.suppress(ProcessLookupError):
        os.killpg(proc.pid, signal.SIGTERM)
    try:
        proc.wait(timeout=15)
    except subprocess.TimeoutExpired:
        with contextlib.suppress(ProcessLookupError):
            os.killpg(proc.pid, signal.SIGKILL)
        proc.wait(timeout=15)


@contextlib.contextmanager
def serve(
    index: Path,
    log: Path,
    workers: int = 2,
    startup: float = 60,
    env: Mapping[str, str] | None = None,
    *,
    wait_healthy: bool = True,
) -> Iterator[str]:
    """Run `python -m search_app` on a free loopback port (`env` added to ours); yield its base URL.

    Yielded once /healthz says the index is served, or at once with `wait_healthy=False` (the first
    request is then the test's own, and it must retry while nothing listens yet).
    """
    port = free_port()
    base = f"http://127.0.0.1:{port}"
    args = [sys.executable, "-m", "search_app", "--index", str(index), "--host", "127.0.0.1"]
    args += ["--port", str(port), "--workers", str(workers)]
    with open(log, "ab") as out:  # the child keeps its own copy of the descriptor
        proc = subprocess.Popen(
            args,
            cwd=REPO,
            stdout=out,
            stderr=subprocess.STDOUT,
            start_new_session=True,
            # Test searches stay out of the repository's own search log unless a test asks for one.
            env={**os.environ, "SEARCH_LOG_DB": "", **(env or {})},
        )
    try:
        deadline = time.monotonic() + startup
        while wait_healthy and not _healthy(base):
            if proc.poll() is not None or time.monotonic() > deadline:
                tail = log.read_text(encoding="utf-8", errors="replace")[-2000:]
                msg = f"the server at {base} did not become healthy (exit code {proc.poll()}):\n{tail}"
                raise RuntimeError(msg)
            time.sleep(0.3)
        yield base
    finally:
        _stop(proc)


# ---------------------------------------------------------------- reading the answers


def api_search(client: FlaskClient, q: str | None = None, **params: object) -> dict:
    """GET /api/search with `q` (when given) and `params`: the JSON of its 200 answer."""
    response = client.get("/api/search", query_string=params if q is None else {"q": q, **params})
    assert response.status_code == 200, response.json
    return response.json


def paths(result: dict) -> list[str]:
    """The paths of an API answer's hits, in order."""
    return [h["path"] for h in result["hits"]]


def soup_of(client: FlaskClient, url: str, status: int = 200, **params: object) -> BeautifulSoup:
    """GET an HTML page (its query string in `url` or as `params`), parsed, once its status and type are as expected."""
    response = client.get(url, query_string=params or None)
    assert response.status_code == status
    assert response.mimetype == "text/html"
    return BeautifulSoup(response.get_data(as_text=True), "html.parser")


def assert_refused(client: FlaskClient, params: Mapping[str, object], fragment: str) -> None:
    """The search with `params` is a 400 naming `fragment`: in the API's JSON and on the search page."""
    api = client.get("/api/search", query_string=params)
    assert api.status_code == 400
    assert fragment in api.json["error"]
    message = soup_of(client, "/search", status=400, **params).select_one(".error-message").get_text()
    assert fragment in message


def marks(html: str | BeautifulSoup) -> list[str]:
    """The texts marked with <mark>, in order."""
    soup = BeautifulSoup(html, "html.parser") if isinstance(html, str) else html
    return [m.get_text() for m in soup.find_all("mark")]
