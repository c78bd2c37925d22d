"""A sentence's words in an article's title or opening lift it above the same words later on."""

from __future__ import annotations

import math
from pathlib import Path

import pytest

from search_app.engine.openings import opening_share
from search_app.engine.settings import LEAD_DECAY
from tests.factories import indexed_client, paths
from tests.pages import Page, paragraphs

WEIGHTS = {"旅費": 2.0, "精算": 1.0}
# Text with none of the query's bigrams, to push a sentence deep into a body.
FILLER = "営業部の会議は毎週月曜日の朝に開かれる。" * 40


@pytest.mark.parametrize(
    ("title", "body", "share"),
    [
        ("旅費精算の手引き", "", 1.0),  # in the title: full weight
        ("", "旅費精算の手引き", 2.0 / 3 + math.exp(-2 / LEAD_DECAY) / 3),  # the body's first characters
        ("旅費の手引き", "本文に精算なし", 2.0 / 3 + math.exp(-3 / LEAD_DECAY) / 3),  # 精算 at character 3
        ("", "", 0.0),
        ("", FILLER + "旅費精算", None),  # deep in the body: almost nothing
        ("ＴＲＡＶＥＬ", "旅費", 2.0 / 3),  # full-width text is compared as NFKC
    ],
)
def test_opening_share(title: str, body: str, share: float | None) -> None:
    found = opening_share(title, body, WEIGHTS)
    if share is None:
        assert 0.0 <= found < 0.2
    else:
        assert found == pytest.approx(share, abs=1e-6)


def test_a_later_first_occurrence_weighs_less() -> None:
    shares = [opening_share("", "あ" * at + "旅費精算", WEIGHTS) for at in (0, 100, 300, 900)]
    assert shares == sorted(shares, reverse=True)
    assert shares[2] == pytest.approx(shares[0] * math.exp(-300 / LEAD_DECAY), rel=1e-3)


def test_no_weights_is_no_share() -> None:
    assert opening_share("旅費", "精算", {}) == 0.0


def test_a_sentence_ranks_the_article_that_opens_with_it_first(tmp_path: Path) -> None:
    sentence = "来月から出張旅費の精算方法が変わりました。"
    pages = {
        # The same words, but late in the body, and 旅費 once more: without the
        # opening boost this article scores higher.
        "a-late.html": Page(title="総務からのお知らせ", body_html=paragraphs(FILLER, sentence, "旅費は実費です。")),
        "b-early.html": Page(title="総務からのお知らせ", body_html=paragraphs(sentence, FILLER, "実費です。")),
        "c-other.html": Page(title="営業部の会議", body_html=paragraphs(FILLER)),
    }
    with indexed_client(tmp_path, pages) as client:
        result = client.get("/api/search", query_string={"q": "出張旅費の精算方法が変わりました"}).json
    assert paths(result)[:2] == ["b-early.html", "a-late.html"]
