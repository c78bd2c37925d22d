"""Token tables (indexer/offsets.py): what the indexer encodes comes back exactly."""

from __future__ import annotations

import pytest

from indexer.offsets import decode_spans, encode_spans


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
