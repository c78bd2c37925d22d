"""Snippets: Japanese sentence fragments, escaped text, <mark> around matches."""

from __future__ import annotations

import pytest
from bs4 import BeautifulSoup

from search_app.engine.snippets import FRAGMENT_CHARS, Match, highlight, make_snippet, merge_matches, sentences
from tests.factories import marks


def test_highlight_escapes_before_marking() -> None:
    text = "<script>alert(1)</script> と 経費 & 精算"
    start = text.index("経費")
    html = str(highlight(text, [Match(start, start + 2, "経費")]))
    assert "<script>" not in html
    assert "&lt;script&gt;" in html
    assert "&amp;" in html
    assert marks(html) == ["経費"]


def test_touching_matches_are_one_mark() -> None:
    assert merge_matches([Match(2, 4, "精算"), Match(0, 2, "経費")]) == [Match(0, 4, "経費")]
    assert marks(str(highlight("経費精算です", [Match(0, 2, "a"), Match(2, 4, "b")]))) == ["経費精算"]


def test_sentences_split_at_japanese_sentence_ends() -> None:
    text = "一つ目です。二つ目！三つ目？「四つ目。」\n五つ目"
    assert [text[s:e] for s, e in sentences(text)] == ["一つ目です。", "二つ目！", "三つ目？", "「四つ目。」", "五つ目"]


def test_snippet_is_the_matching_sentences_best_first() -> None:
    text = "最初の文は関係ありません。経費の話です。経費精算と領収書の話です。最後の文。"
    spans = [Match(i, i + 2, "経費") for i in (13, 20)] + [Match(22, 24, "精算"), Match(25, 28, "領収書")]
    html = str(make_snippet(text, spans))
    plain = BeautifulSoup(html, "html.parser").get_text()
    assert plain.startswith("経費精算と領収書の話です。")  # three distinct terms beats one
    assert "経費の話です。" in plain
    assert "最初の文" not in plain
    assert marks(html) == ["経費精算", "領収書", "経費"]


def test_long_sentence_is_cut_around_the_match() -> None:
    text = "あ" * 300 + "経費" + "い" * 300 + "。"
    html = str(make_snippet(text, [Match(300, 302, "経費")]))
    plain = BeautifulSoup(html, "html.parser").get_text()
    assert "経費" in plain
    assert plain.startswith("…") and plain.endswith("…")
    assert len(plain) <= FRAGMENT_CHARS + 2


def test_at_most_two_fragments() -> None:
    text = "".join(f"{i}番目の経費の文です。" for i in range(10))
    spans = [Match(m, m + 2, "経費") for m in (i for i in range(len(text)) if text.startswith("経費", i))]
    html = str(make_snippet(text, spans))
    assert len(marks(html)) == 2


@pytest.mark.parametrize("text", ["", "本文だけです。", "<b>タグ</b>風の本文。"])
def test_no_match_gives_the_escaped_opening(text: str) -> None:
    html = str(make_snippet(text, []))
    assert "<b>" not in html
    assert BeautifulSoup(html, "html.parser").get_text() == text
