"""Shared fixtures: a small corpus, indexes built from it in tmp_path, the app and its clients (tests/factories.py)."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from flask import Flask
from flask.testing import FlaskClient, FlaskCliRunner

from indexer.pipeline import run
from tests.factories import CORPUS, index_pages, open_app, write_corpus
from tests.pages import ADDED_PAGES, SAMPLE_PAGES
from tests.postings_truth import ODD_PAGES


@pytest.fixture
def corpus(tmp_path: Path) -> Path:
    """A fresh copy of the sample corpus, free to change."""
    return write_corpus(tmp_path / "corpus", SAMPLE_PAGES)


@pytest.fixture(scope="session")
def built_index(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The sample corpus indexed once for the read-only tests (its corpus beside it)."""
    return index_pages(tmp_path_factory.mktemp("built"), SAMPLE_PAGES)


@pytest.fixture(scope="session")
def bundled_index(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The bundled corpus/ indexed once: readers' cases from the issues are checked on it."""
    index = tmp_path_factory.mktemp("bundled") / "index"
    summary = run(CORPUS, index, jobs=1)
    assert summary.added == len(list(CORPUS.rglob("*.html"))), summary.problems
    return index


@pytest.fixture(scope="session")
def reindexed_index(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The sample corpus indexed, then one article changed and one added and reindexed.

    A second segment, and a deleted document (the changed article's old copy) in the first.
    """
    root = tmp_path_factory.mktemp("reindexed")
    index = index_pages(root, SAMPLE_PAGES)
    page = root / "corpus" / "2021/keihi.html"
    page.write_bytes(page.read_bytes().replace("タクシー代".encode(), "新幹線代".encode()))
    run(write_corpus(root / "corpus", ADDED_PAGES), index, jobs=1)
    return index


@pytest.fixture(scope="session")
def odd_index(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """ODD_PAGES (text that NFKC changes, a word repeated past a one-byte count...) indexed by the pipeline."""
    return index_pages(tmp_path_factory.mktemp("odd"), ODD_PAGES)


@pytest.fixture
def app(built_index: Path) -> Iterator[Flask]:
    with open_app(built_index) as app:
        yield app


@pytest.fixture
def client(app: Flask) -> FlaskClient:
    return app.test_client()


@pytest.fixture
def runner(app: Flask) -> FlaskCliRunner:
    return app.test_cli_runner()
