"""The query language: parsing readers' input into a tree, tolerant where it can be."""

from __future__ import annotations

import pytest

from search_app.engine.syntax import MAX_QUERY_CHARS, And, Not, Or, QuerySyntaxError, Words, parse_query


@pytest.mark.parametrize(
    ("query", "tree"),
    [
        ("経費", Words("経費")),
        ("経費 精算", And((Words("経費"), Words("精算")))),
        ("経費\u3000精算", And((Words("経費"), Words("精算")))),
        ("経費 AND 精算", And((Words("経費"), Words("精算")))),
        ("経費 OR 精算", Or((Words("経費"), Words("精算")))),
        ("経費 ＯＲ 精算", Or((Words("経費"), Words("精算")))),
        ("経費 or 精算", And((Words("経費"), Words("or"), Words("精算")))),
        ('"申告書を社員"', Words("申告書を社員", phrase=True)),
        ("“申告書を社員”", Words("申告書を社員", phrase=True)),
        ("”申告書を社員”", Words("申告書を社員", phrase=True)),  # a phone's smart quotes
        ("“申告書” 社員", And((Words("申告書", phrase=True), Words("社員")))),
        ("title:“締め日”", Words("締め日", ("title",), phrase=True)),
        # Curly quotes attached to the text around them quote within prose (a pasted headline).
        ("“隙だらけ”の女に学ぶ", Words("“隙だらけ”の女に学ぶ")),
        ("独女なりの“ちょいエコ”とは", Words("独女なりの“ちょいエコ”とは")),
        ("独女に “国連が認めた”化粧品", And((Words("独女に"), Words("“国連が認めた”化粧品")))),
        ('経費"精算"', And((Words("経費"), Words("精算", phrase=True)))),  # ASCII quotes are always syntax
        ("経費 -精算", And((Words("経費"), Not(Words("精算"))))),
        ("経費 －精算", And((Words("経費"), Not(Words("精算"))))),
        ("経費 NOT 精算", And((Words("経費"), Not(Words("精算"))))),
        ("e-Tax", Words("e-Tax")),
        ("title:請求書", Words("請求書", ("title",))),
        ("ＴＩＴＬＥ：請求書", Words("請求書", ("title",))),
        ('title:"締め日と支払"', Words("締め日と支払", ("title",), phrase=True)),
        ("tag:経理", Words("経理", ("tags",))),
        ("unknown:語", Words("unknown:語")),
        ("(経費 OR 精算) 領収書", And((Or((Words("経費"), Words("精算"))), Words("領収書")))),
        ("title:(経費 OR 精算)", Or((Words("経費", ("title",)), Words("精算", ("title",))))),
        ("生命の起源（せいめいのきげん）とは", Words("生命の起源（せいめいのきげん）とは")),  # full-width: text
        ("「経費」", Words("「経費」")),
    ],
)
def test_parse(query: str, tree: object) -> None:
    assert parse_query(query) == tree


@pytest.mark.parametrize(
    ("query", "tree"),
    [
        ('"', None),
        ('経費 "精算', And((Words("経費"), Words("精算", phrase=True)))),
        ("経費)", Words("経費")),
        ("((経費", Words("経費")),
        ("OR", None),
        ("AND OR NOT", None),
        ("-", Words("-")),
        ("経費 OR", Words("経費")),
        ("title:", None),
        ("", None),
        ("   \u3000 ", None),
        ("\x00\x1f\u200f", None),
    ],
)
def test_tolerant_parse(query: str, tree: object) -> None:
    assert parse_query(query) == tree


def test_too_long() -> None:
    parse_query("あ" * MAX_QUERY_CHARS)
    with pytest.raises(QuerySyntaxError, match="長すぎ"):
        parse_query("あ" * (MAX_QUERY_CHARS + 1))


def test_too_deep() -> None:
    with pytest.raises(QuerySyntaxError, match="入れ子"):
        parse_query("(" * 100 + "経費")
