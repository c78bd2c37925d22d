"""The real-shaped CMS pages of tests/fixtures/cms: title, date, category, body and no chrome, page by page."""

from __future__ import annotations

import datetime as dt

import pytest

from bench.extraction import PAGES, Case, load_cases
from indexer.extract import Article, extract_file

CASES = load_cases()


@pytest.fixture(scope="module")
def extracted() -> dict[str, Article]:
    return {c.file: extract_file((PAGES / c.file).read_bytes(), c.file) for c in CASES}


def _id(case: Case) -> str:
    return case.file.removesuffix(".html")


@pytest.mark.parametrize("case", CASES, ids=_id)
def test_title(case: Case, extracted: dict[str, Article]) -> None:
    assert extracted[case.file].title == case.title


@pytest.mark.parametrize("case", CASES, ids=_id)
def test_published_date(case: Case, extracted: dict[str, Article]) -> None:
    expected = dt.date.fromisoformat(case.date) if case.date else None
    assert extracted[case.file].date == expected


@pytest.mark.parametrize("case", CASES, ids=_id)
def test_category(case: Case, extracted: dict[str, Article]) -> None:
    assert extracted[case.file].category == case.category


@pytest.mark.parametrize("case", CASES, ids=_id)
def test_body_keeps_the_article(case: Case, extracted: dict[str, Article]) -> None:
    body = extracted[case.file].body
    assert [s for s in (case.first, case.last, *case.keep) if s not in body] == []


@pytest.mark.parametrize("case", CASES, ids=_id)
def test_body_has_no_chrome(case: Case, extracted: dict[str, Article]) -> None:
    body = extracted[case.file].body
    assert [s for s in case.boilerplate if s in body] == []
    assert not body.startswith(case.title)


def test_the_set_covers_the_platforms() -> None:
    assert len(CASES) >= 25
    assert sum(c.file.startswith("news-") for c in CASES) == 12
    assert all((PAGES / c.file).is_file() for c in CASES)
