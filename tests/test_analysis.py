"""Analysis: NFKC and case normalization, Janome words, exact offsets into the original text."""

from __future__ import annotations

import pickle

import pytest

from indexer.analysis import AnalyzedText, NormalizedText, analyze, japanese_analyzer, query_terms

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
        ("サーバー", ["サーバー"]),
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
    tokens = index_tokens(text)
    assert tokens
    for term, _pos, start, end in tokens:
        original = text[start:end]
        # The original characters normalize to (a text containing) the term;
        # one character that expands, like ㈱ → (株), is highlighted whole.
        assert term in NormalizedText(original).text.lower(), (term, original)


def test_punctuation_and_spaces_are_not_terms() -> None:
    assert query_terms(ANALYZER, "「経費」、（精算）！　…") == ["経費", "精算"]


def test_positions_skip_punctuation_so_phrases_cross_it() -> None:
    assert [p for _t, p, _s, _e in index_tokens("経費、精算。")] == [0, 1]


def test_function_words_are_indexed_but_dropped_from_plain_queries() -> None:
    assert [t for t, *_ in index_tokens("申告書を社員に")] == ["申告", "書", "を", "社員", "に"]
    assert query_terms(ANALYZER, "申告書を社員に") == ["申告", "書", "社員"]
    assert query_terms(ANALYZER, "申告書を社員に", keep_function_words=True) == ["申告", "書", "を", "社員", "に"]


def test_analyzed_text_replays_the_same_tokens() -> None:
    text = "ｻｰﾊﾞｰの移行を２０２６年に完了した。"
    analyzed = analyze(ANALYZER, text)
    assert str(analyzed) == text
    replayed = [(t.text, t.pos, t.startchar, t.endchar) for t in ANALYZER(analyzed, positions=True, chars=True)]
    assert replayed == index_tokens(text)
    clone = pickle.loads(pickle.dumps(analyzed))
    assert isinstance(clone, AnalyzedText)
    assert clone.tokens == analyzed.tokens


def test_analyzer_pickles_without_janome_state() -> None:
    # Whoosh stores the schema, analyzer included, in the index's TOC.
    clone = pickle.loads(pickle.dumps(ANALYZER))
    assert query_terms(clone, "年末調整") == query_terms(ANALYZER, "年末調整")


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
