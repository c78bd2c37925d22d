"""Analysis: NFKC and case normalization, Janome words, exact offsets into the original text."""

from __future__ import annotations

import pytest

from indexer.analysis import JanomeTokenizer, NormalizedText, japanese_analyzer, query_terms

ANALYZER = japanese_analyzer()


def index_tokens(text: str) -> list[tuple[str, int, int, int]]:
    return [(t.text, t.pos, t.startchar, t.endchar) for t in ANALYZER(text, positions=True, chars=True, mode="index")]


@pytest.mark.parametrize(
    ("text", "terms"),
    [
        ("ＥＸＣＥＬ", ["excel"]),
        ("Excel", ["excel"]),
        ("２０２３年", ["2023", "年"]),
        ("ﾚｼｰﾄ", ["レシート"]),
        ("ｶﾞｿﾘﾝ", ["ガソリン"]),
        ("サーバー", ["サーバ"]),
        ("経費精算", ["経費", "精算"]),
        ("税", ["税"]),
        ("印", ["印"]),
    ],
)
def test_normalized_terms(text: str, terms: list[str]) -> None:
    assert query_terms(ANALYZER, text) == terms


@pytest.mark.parametrize(
    "text",
    [
        "経費精算の申告書を社員に配布　Ｅｘｃｅｌ２０２３年",
        "ファイルｻｰﾊﾞｰをＣｌｏｕｄへ移行、㈱すまいる①",
        "か\u3099き\u3099 ｶﾞｷﾞ ﾊﾟﾋﾟ",  # combining marks and half-width voiced marks
        "改行\nあり\tタブ",
        "😀絵文字と漢字𠮷野家",
    ],
)
def test_offsets_point_at_the_original_characters(text: str) -> None:
    surfaces = [(t.text, t.startchar, t.endchar) for t in JanomeTokenizer()(text, chars=True)]
    assert surfaces
    for surface, start, end in surfaces:
        original = text[start:end]
        # The original characters normalize to (a text containing) the word;
        # one character that expands, like ㈱ → (株), is highlighted whole.
        assert surface in NormalizedText(original).text, (surface, original)
    # Filters change the terms (base forms, lower case), never the offsets.
    assert [(s, e) for _t, _p, s, e in index_tokens(text)] == [(s, e) for _t, s, e in surfaces]


def test_offsets_of_plain_and_half_width_text_are_exact() -> None:
    text = "ｶﾞｿﾘﾝ代とＥｘｃｅｌ"
    assert [(t, text[s:e]) for t, _p, s, e in index_tokens(text)] == [
        ("ガソリン", "ｶﾞｿﾘﾝ"),
        ("代", "代"),
        ("と", "と"),
        ("excel", "Ｅｘｃｅｌ"),
    ]


def test_normalized_text_maps_spans() -> None:
    norm = NormalizedText("ｶﾞｽ代")
    assert norm.text == "ガス代"
    assert norm.span(0, 1) == (0, 2)
    assert norm.span(1, 3) == (2, 4)
    plain = NormalizedText("経費")
    assert plain.span(0, 2) == (0, 2)
