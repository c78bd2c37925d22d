"""Hostile queries within the length limit compile to small queries, so every answer stays fast.

Fuzzing found queries of under 1000 characters that took minutes on a 7,000-article index:
"あ" * 1000 and "a b " * 300 (hundreds of identical AND terms and a phrase of hundreds of
positions), "NOT " * 240 (nested inverse matchers), "日本 -x -y …" (an inverse matcher per
negated word). The shape of the compiled query is checked here, not the time it takes.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
from flask import Flask
from whoosh import query as wq

from search_app.engine import candidates
from search_app.engine.evaluator import Evaluator
from search_app.engine.features import unit_words
from search_app.services import get_service
from tests.factories import open_app

NEGATED = " ".join(f"-否定{i}" for i in range(150))


def walk(q: wq.Query) -> Iterator[wq.Query]:
    yield q
    for child in q.children():
        yield from walk(child)


@pytest.fixture(scope="module")
def cost_app(built_index: Path) -> Iterator[Flask]:
    with open_app(built_index) as app:
        yield app


def searches(app: Flask, monkeypatch: pytest.MonkeyPatch, text: str, *, did_you_mean: bool) -> list[wq.Query]:
    """Every query one search runs, with or without the counts of もしかして."""
    seen: list[wq.Query] = []

    def spy(real: Callable[..., Any]) -> Callable[..., Any]:
        def recording(evaluator: Evaluator, q: wq.Query, *args: object, **kwargs: object) -> object:
            seen.append(q)
            return real(evaluator, q, *args, **kwargs)

        return recording

    def units(evaluator: Evaluator, queries: list[wq.Query]) -> object:
        # The units of a sentence or of relaxed keywords, each evaluated: counted as one OR.
        seen.append(wq.Or(queries))
        return unit_words(evaluator, queries)

    monkeypatch.setattr("search_app.engine.pipeline.run_query", spy(candidates.run_query))
    monkeypatch.setattr("search_app.engine.pipeline.unit_words", units)
    monkeypatch.setattr("search_app.engine.service.count_matches", spy(candidates.count_matches))
    if not did_you_mean:
        monkeypatch.setattr("search_app.engine.service.wants_suggestion", lambda total, relaxed: False)
    with app.app_context():
        get_service().search(text)
    monkeypatch.undo()
    return seen


def compiled_all(app: Flask, monkeypatch: pytest.MonkeyPatch, text: str) -> list[wq.Query]:
    """Every query one search runs (the strict one, and the units of a relaxed search after zero hits)."""
    seen = searches(app, monkeypatch, text, did_you_mean=False)
    assert len(seen) <= 2
    return seen


@pytest.mark.parametrize("text", ["経費 " * 333, "あ" * 1000, "a b " * 250, "経費精算" * 250, "見" * 101])
def test_hostile_queries_get_no_did_you_mean_searches(
    cost_app: Flask, monkeypatch: pytest.MonkeyPatch, text: str
) -> None:
    # Long queries are never corrected: only the query's own searches run.
    assert searches(cost_app, monkeypatch, text, did_you_mean=True) == compiled_all(cost_app, monkeypatch, text)


def compiled(app: Flask, monkeypatch: pytest.MonkeyPatch, text: str) -> wq.Query:
    return compiled_all(app, monkeypatch, text)[0]


def leaves(app: Flask, monkeypatch: pytest.MonkeyPatch, text: str) -> int:
    return max((len(list(q.leaves())) for q in compiled_all(app, monkeypatch, text)), default=0)


@pytest.mark.parametrize(
    ("text", "once"),
    [
        ("経費 " * 333, "経費"),
        ("あ" * 1000, "あ" * 32),
        ("a b " * 250, "a b"),
        ("経費精算" * 250, "経費精算"),  # a long run of the same two words: no phrase of 500 positions
        ("(経費 OR 経費) " * 60, "(経費 OR 経費)"),
        ("経費 " + "NOT " * 240 + "見積書", "経費 NOT NOT 見積書"),
    ],
)
def test_repetition_does_not_grow_the_query(
    cost_app: Flask, monkeypatch: pytest.MonkeyPatch, text: str, once: str
) -> None:
    assert leaves(cost_app, monkeypatch, text) <= max(leaves(cost_app, monkeypatch, once), 8)
    for q in compiled_all(cost_app, monkeypatch, text):
        assert not any(isinstance(n, wq.Not) and isinstance(n.query, wq.Not) for n in walk(q))


def test_many_negated_words_share_one_exclusion(cost_app: Flask, monkeypatch: pytest.MonkeyPatch) -> None:
    q = compiled(cost_app, monkeypatch, "経費 " + NEGATED)
    assert not [n for n in walk(q) if isinstance(n, wq.Not)]  # no inverse matcher per word
    assert isinstance(q, wq.AndNot)


def test_the_rewrites_keep_the_answers(cost_app: Flask) -> None:
    with cost_app.app_context():
        service = get_service()
        assert service.search("経費 " * 50).total == service.search("経費").total == 2
        assert service.search("経費 NOT NOT 年末調整").total == service.search("経費 年末調整").total == 1
        assert [h.path for h in service.search("経費 -年末調整 -見積書").hits] == ["2021/keihi.html"]
        assert service.search("経費 " + NEGATED).total == 2
