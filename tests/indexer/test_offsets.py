"""Token tables (indexer/offsets.py): what the indexer encodes comes back exactly."""

from __future__ import annotations

import pytest

from indexer.offsets import GramText, decode_spans, encode_spans


@pytest.mark.parametrize(
    "spans",
    [
        [],
        [(0, 1, 0)],
        [(0, 2, 3), (2, 4, 2)],
        [(3, 4, 0), (3, 4, 0), (3, 4, 1)],  # words of one NFKC unit share its span: gaps go back
        [(0, 200, 130), (70_000, 70_500, 0), (70_499, 70_600, 5)],  # multi-byte varints, a negative gap
    ],
)
@pytest.mark.parametrize("kana", [True, False])
def test_token_tables_round_trip(spans: list[tuple[int, int, int]], kana: bool) -> None:
    expected = [(s, e, k if kana else 0) for s, e, k in spans]
    got = decode_spans(encode_spans(spans, kana=kana), kana=kana)
    assert [tuple(row) for row in got.tolist()] == expected


@pytest.mark.parametrize(
    ("text", "run", "expected"),
    [
        ("経費精算と経費", "経費", [(0, 2), (5, 7)]),
        ("ああああ", "ああ", [(0, 2), (1, 3), (2, 4)]),  # overlapping runs all count
        ("ＡＢＣとabc", "bc", [(1, 3), (5, 7)]),  # full width and lower case as the field sees them
        ("ｶﾞｽ代", "ガス", [(0, 3)]),  # ｶﾞ is one character after NFKC: spans cover the original's
        ("佐々木さん", "佐佐木", [(0, 3)]),  # iteration marks written out
        ("㍻元年", "平成", [(0, 1)]),  # one character that NFKC makes two
        ("税。税", "税", [(0, 1), (2, 3)]),
        ("経費", "", []),
        ("", "経費", []),
    ],
)
def test_gram_text_finds_runs_in_the_stored_text(text: str, run: str, expected: list[tuple[int, int]]) -> None:
    assert GramText(text).find(run) == expected
