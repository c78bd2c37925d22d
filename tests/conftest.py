"""Shared fixtures: a small corpus, an index built from it in tmp_path, the app and its clients."""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from pathlib import Path

import pytest
from flask import Flask
from flask.testing import FlaskClient, FlaskCliRunner

from indexer.pipeline import run
from search_app import create_app
from tests.pages import ADDED_PAGES, SAMPLE_PAGES, Page

REPO = Path(__file__).resolve().parent.parent


def write_corpus(root: Path, pages: Mapping[str, Page]) -> Path:
    """Write pages as files under root (created) and return root."""
    for rel, page in pages.items():
        target = root / rel
        target.parent.mkdir(parents=True, exist_ok=True)
        target.write_bytes(page.encoded())
    return root


@pytest.fixture
def corpus(tmp_path: Path) -> Path:
    """A fresh copy of the sample corpus, free to change."""
    return write_corpus(tmp_path / "corpus", SAMPLE_PAGES)


@pytest.fixture(scope="session")
def built_index(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The sample corpus indexed once for the read-only tests."""
    root = tmp_path_factory.mktemp("built")
    corpus = write_corpus(root / "corpus", SAMPLE_PAGES)
    summary = run(corpus, root / "index", jobs=1)
    assert summary.added == len(SAMPLE_PAGES), summary.problems
    return root / "index"


@pytest.fixture(scope="session")
def bundled_index(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The bundled corpus/ indexed once: readers' cases from the issues are checked on it."""
    index = tmp_path_factory.mktemp("bundled") / "index"
    summary = run(REPO / "corpus", index, jobs=1)
    assert summary.added == len(list((REPO / "corpus").rglob("*.html"))), summary.problems
    return index


@pytest.fixture(scope="session")
def reindexed_index(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The sample corpus indexed, then one article changed and one added and reindexed.

    A second segment, and a deleted document (the changed article's old copy) in the first.
    """
    root = tmp_path_factory.mktemp("reindexed")
    corpus = write_corpus(root / "corpus", SAMPLE_PAGES)
    run(corpus, root / "index", jobs=1)
    page = corpus / "2021/keihi.html"
    page.write_bytes(page.read_bytes().replace("タクシー代".encode(), "新幹線代".encode()))
    write_corpus(corpus, ADDED_PAGES)
    run(corpus, root / "index", jobs=1)
    return root / "index"


def make_app(index: Path, **config: object) -> Flask:
    """An app over `index` with test settings."""
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


@pytest.fixture
def app(built_index: Path) -> Iterator[Flask]:
    app = make_app(built_index)
    yield app
    app.extensions["search_service"].handle.close()


@pytest.fixture
def client(app: Flask) -> FlaskClient:
    return app.test_client()


@pytest.fixture
def runner(app: Flask) -> FlaskCliRunner:
    return app.test_cli_runner()
