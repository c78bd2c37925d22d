"""End to end over the bundled corpus: index it with the real CLI, then search it through the app."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from bs4 import BeautifulSoup
from flask.testing import FlaskClient

from tests.factories import CORPUS, open_app, run_indexer

pytestmark = pytest.mark.e2e


@pytest.fixture(scope="module")
def indexed(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, str]:
    index = tmp_path_factory.mktemp("e2e") / "index"
    proc = run_indexer("--corpus", str(CORPUS), "--index", str(index))
    assert proc.returncode == 0, proc.stderr
    return index, proc.stdout


@pytest.fixture(scope="module")
def client(indexed: tuple[Path, str]) -> Iterator[FlaskClient]:
    with open_app(indexed[0]) as app:
        yield app.test_client()


def test_every_bundled_page_is_indexed(indexed: tuple[Path, str], client: FlaskClient) -> None:
    pages = sorted(CORPUS.rglob("*.html"))
    assert len(pages) >= 40
    summary = indexed[1]
    assert f"{len(pages)} added" in summary
    assert "0 skipped" in summary
    assert client.get("/healthz").json.items() >= {"status": "ok", "documents": len(pages)}.items()


@pytest.mark.parametrize(
    ("query", "path"),
    [
        ("見積書の書き方", "2018/mitsumorisho-kakikata.html"),
        ("締め日 支払サイト", "2019/seikyusho-shimebi.html"),  # Shift_JIS
        ("小口現金", "2018/koguchi-genkin.html"),  # Shift_JIS via http-equiv
        ("社用車 点検", "2019/shayousha-kanri.html"),  # EUC-JP
        ("宅配便 受付", "2023/yubin-takuhai.html"),  # EUC-JP via http-equiv
        ("健康診断", "2019/kenkou-shindan.html"),  # no declaration
        ("有給休暇 管理簿", "2020/yukyu-kanri.html"),  # BOM
        ("給与計算", "2017/kyuyo-keisan.html"),  # broken markup
        ("プレハブ住宅", "2018/prefab-jutaku.html"),
        ("ＭＯＳ", "2021/mos-excel.html"),
        ("年末調整 電子化", "2024/nenmatsu-chousei-denshi.html"),
        ("でんさい", "2025/densai-tegata.html"),
        ("建築設備士", "2024/kenchiku-setsubishi.html"),
        ("マイナンバーカード", "2019/mynumber-kanri.html"),
    ],
)
def test_known_items_come_first(client: FlaskClient, query: str, path: str) -> None:
    hits = client.get("/api/search", query_string={"q": query}).json["hits"]
    assert hits, query
    assert hits[0]["path"] == path


@pytest.mark.parametrize(
    "chrome", ["このブログについて", "架空県みどり市", "コメントは受け付けていません", "スムーズスクロール"]
)
def test_chrome_of_the_bundled_pages_is_not_indexed(client: FlaskClient, chrome: str) -> None:
    assert client.get("/api/search", query_string={"q": f'"{chrome}"'}).json["total"] == 0


def test_related_lists_do_not_make_pages_match(client: FlaskClient) -> None:
    # Many pages list "小口現金をやめるまでの1年間" under 関連する投稿 / 最新の投稿;
    # only the article itself (and pages that discuss it in their body) may match its title.
    hits = client.get("/api/search", query_string={"q": '"小口現金をやめるまで"'}).json["hits"]
    assert [h["path"] for h in hits] == ["2018/koguchi-genkin.html"]


def test_search_page_shows_highlighted_hits(client: FlaskClient) -> None:
    html = client.get("/search", query_string={"q": "経費精算"}).get_data(as_text=True)
    soup = BeautifulSoup(html, "html.parser")
    assert int(soup.select_one(".total").get_text()) >= 3
    assert soup.select(".hit .snippet mark")
    first = soup.select_one(".hit-title a")
    article = client.get(first["href"])
    assert article.status_code == 200


@pytest.mark.parametrize("query", ["現場監督", "見積書 OR 請求書", "経費精算", "年末調整 -電子化"])
def test_total_does_not_depend_on_the_page_size(client: FlaskClient, query: str) -> None:
    totals = {
        per_page: client.get("/api/search", query_string={"q": query, "per_page": per_page}).json["total"]
        for per_page in (1, 3, 10, 100)
    }
    assert len(set(totals.values())) == 1, totals
    everything = client.get("/api/search", query_string={"q": query, "per_page": 100}).json
    assert len(everything["hits"]) == everything["total"]
