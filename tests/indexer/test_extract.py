"""Article extraction: the article only, with its metadata, from whole page dumps."""

from __future__ import annotations

import datetime as dt

import pytest

from indexer.extract import (
    ExtractionError,
    drop_link_lists,
    extract_article,
    extract_file,
    join_lines,
    parse_date,
)
from tests.pages import CHROME_WORDS, SAMPLE_PAGES, Page, paragraphs


@pytest.fixture
def article():
    page = SAMPLE_PAGES["2021/keihi.html"]
    return extract_file(page.encoded(), "2021/keihi.html")


def test_metadata(article) -> None:
    assert article.path == "2021/keihi.html"
    assert article.title == "経費精算のルールと差し戻し"  # the h1, not "<title> | site"
    assert article.date == dt.date(2021, 6, 14)
    assert article.category == "経理"
    assert article.tags == ("経費精算", "領収書")
    assert article.description == "記事の説明文です。"
    assert article.url == "https://blog.example.jp/2021/06/keihi/"


@pytest.mark.parametrize(
    "word", [*CHROME_WORDS, "コメント限定語", "目次限定語", "この記事をシェアする", "関連するキーワード"]
)
def test_boilerplate_is_not_in_the_body(article, word: str) -> None:
    assert word not in article.body
    assert word not in article.title


def test_body_keeps_paragraphs_and_lists(article) -> None:
    lines = article.body.split("\n")
    assert lines[0] == "経費精算の申請は毎月２５日までに提出してください。ﾚｼｰﾄの写真も添付します。"
    assert "よくある差し戻し" in lines
    assert "日付の書き間違い" in lines
    assert article.title not in article.body


def test_hard_wrapped_japanese_lines_join_without_spaces() -> None:
    page = Page(
        title="改行", body_html="<p>経理の共有\n    フォルダは\nアクセス権を\r\n見直しました。Excel\nand Word</p>"
    )
    body = extract_article(page.html(), "a.html").body
    assert body == "経理の共有フォルダはアクセス権を見直しました。Excel and Word"


@pytest.mark.parametrize(
    ("text", "joined"),
    [
        ("経費\n精算", "経費精算"),
        ("ABC\nDEF", "ABC DEF"),
        ("経費\nABC", "経費 ABC"),
        ("ｶﾀｶﾅ\nｶﾅ", "ｶﾀｶﾅｶﾅ"),
        ("全角\u3000スペースは残す", "全角\u3000スペースは残す"),
        ("a  \t b", "a b"),
    ],
)
def test_join_lines(text: str, joined: str) -> None:
    assert join_lines(text) == joined


def test_inline_markup_does_not_split_words() -> None:
    page = Page(title="t", body_html="<p><strong>経費</strong>精算と<a href='#'>領収書</a>の<em>ルール</em></p>")
    assert extract_article(page.html(), "a.html").body == "経費精算と領収書のルール"


@pytest.mark.parametrize(
    ("body", "kept"),
    [
        # A heading over links to other articles: the heading and its items go.
        ("本文です。\n■関連記事\n・請求書の書き方\n・印鑑の押し方\n締めの一文。", "本文です。\n締めの一文。"),
        ("本文。\n【関連情報】\n・日商簿記 - https://example.jp/boki\nhttps://example.jp/", "本文。"),
        ("本文。\n■経理の記事をもっと見る\n・月次決算の手順", "本文。"),
        # Not a link list: a list under an ordinary heading, a heading with no items after it,
        # a sentence that only mentions 関連記事.
        ("手順\n・見積書を作る\n・請求書を送る", "手順\n・見積書を作る\n・請求書を送る"),
        ("本文。\n■関連記事\nこの話の続きは来月です。", "本文。\n■関連記事\nこの話の続きは来月です。"),
        (
            "関連記事でも取り上げた通り、経費精算の締め日は毎月25日で、遅れた申請は翌月に回されます。\n・領収書を添付する",
            "関連記事でも取り上げた通り、経費精算の締め日は毎月25日で、遅れた申請は翌月に回されます。\n・領収書を添付する",
        ),
    ],
)
def test_link_lists_in_the_text_are_dropped(body: str, kept: str) -> None:
    assert drop_link_lists(body) == kept


def test_a_link_list_inside_the_article_is_not_body_text() -> None:
    body = "<p>年末調整の書類を集めます。</p><p>■関連記事</p><p>・源泉徴収票の見方</p><p>・扶養控除の申告</p>"
    article = extract_article(Page(title="年末調整", body_html=body).html(), "a.html")
    assert article.body == "年末調整の書類を集めます。"


def test_table_cells_are_separated() -> None:
    page = Page(
        title="t", body_html="<table><tr><th>項目</th><th>期限</th></tr><tr><td>請求書</td><td>月末</td></tr></table>"
    )
    assert extract_article(page.html(), "a.html").body.split("\n") == ["項目 期限", "請求書 月末"]


def test_broken_markup_still_yields_the_article() -> None:
    html = (
        "<html><head><title>壊れたページ | ブログ</title></head><body><article><h1>給与計算の締め</h1>"
        "<div class='entry-content'><p>締め日は月末<p>支給日は<strong>２５日</span><li>勤怠<li>住民税"
        "<div class='point'>ポイント</article><aside class='sidebar'>サイドバー限定語"
    )
    art = extract_article(html, "broken.html")
    assert art.title == "給与計算の締め"
    for text in ("締め日は月末", "支給日は２５日", "勤怠", "住民税", "ポイント"):
        assert text in art.body
    assert "サイドバー限定語" not in art.body


def test_title_falls_back_to_the_html_title_without_the_site_name() -> None:
    html = (
        "<html><head><title>請求書の締め日 | すまいの事務室ブログ</title></head>"
        "<body><main><p>本文です。</p></main></body></html>"
    )
    art = extract_article(html, "x.html")
    assert art.title == "請求書の締め日"
    assert art.body == "本文です。"
    assert art.date is None
    assert art.description == "本文です。"


@pytest.mark.parametrize("html", ["", "<html></html>", "<html><body><script>x()</script></body></html>"])
def test_page_without_article_is_refused(html: str) -> None:
    with pytest.raises(ExtractionError):
        extract_article(html, "empty.html")


def test_undecodable_file_is_refused_with_a_reason() -> None:
    with pytest.raises(ExtractionError, match="cannot decode"):
        extract_file(b"\x00\xff" * 1000, "bin.html")


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        ("2019-05-20T09:00:00+09:00", dt.date(2019, 5, 20)),
        ("2019-05-20", dt.date(2019, 5, 20)),
        ("2019年5月20日", dt.date(2019, 5, 20)),
        ("２０１９年５月２０日", dt.date(2019, 5, 20)),
        ("2019/5/20", dt.date(2019, 5, 20)),
        ("2019年13月40日", None),
        ("昨日", None),
        ("", None),
    ],
)
def test_parse_date(value: str, expected: dt.date | None) -> None:
    assert parse_date(value) == expected


@pytest.mark.parametrize("rel", sorted(SAMPLE_PAGES))
def test_every_sample_encoding_extracts_the_same_text(rel: str) -> None:
    page = SAMPLE_PAGES[rel]
    art = extract_file(page.encoded(), rel)
    assert art.title == page.title
    utf8 = extract_article(Page(**{**page.__dict__, "charset": "utf-8"}).html(), rel)
    assert art.body == utf8.body


def test_tags_exclude_the_category_link() -> None:
    page = Page(title="t", body_html=paragraphs("本文"), category="経理", tags=("経費精算",))
    assert extract_article(page.html(), "a.html").tags == ("経費精算",)


def test_an_xhtml_dump_is_parsed_as_html_without_a_warning() -> None:
    page = '<?xml version="1.0" encoding="utf-8"?>\n<html><body><article><h1>見出し</h1><p>本文です。</p></article>'
    article = extract_article(page, "x.html")  # the test run turns warnings into errors
    assert (article.title, article.body) == ("見出し", "本文です。")


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        ("2019.02.22", dt.date(2019, 2, 22)),
        ("2019年02月22日 06時00分 公開", dt.date(2019, 2, 22)),
        ("更新日：令和5年4月1日", dt.date(2023, 4, 1)),
        ("平成31年4月30日", dt.date(2019, 4, 30)),
        ("1604406600", dt.date(2020, 11, 3)),  # Hatena's epoch seconds, in Japan time
        ("0120-123-456", None),  # a phone number
        ("Copyright 1999-2004", None),
        ("2/22(木) 6:00", None),  # no year: not guessed
    ],
)
def test_parse_date_shapes(value: str, expected: dt.date | None) -> None:
    assert parse_date(value) == expected


def _page(head: str, body: str, title: str = "記事の見出し") -> str:
    return f"<html><head><title>{title} | サイト</title>{head}</head><body>{body}</body></html>"


ARTICLE = "<h1>記事の見出し</h1><p>本文の一文目です。</p><p>本文の二文目です。</p>"


@pytest.mark.parametrize(
    ("head", "body", "expected"),
    [
        ('<meta name="pubdate" content="2021-11-05T12:10:00+09:00">', ARTICLE, dt.date(2021, 11, 5)),
        ('<meta name="DC.date" content="2020-09-18">', ARTICLE, dt.date(2020, 9, 18)),
        ('<meta name="citation_date" content="2022/08/09">', ARTICLE, dt.date(2022, 8, 9)),
        (
            '<script type="application/ld+json">{"@type":"NewsArticle","datePublished":"2024-02-22"}</script>',
            ARTICLE,
            dt.date(2024, 2, 22),
        ),
        ("", f'<div class="head">{ARTICLE}<p class="date">2019/02/22 6:00</p></div>', dt.date(2019, 2, 22)),
        # The published date wins over a last-updated line written first, and over og:updated_time.
        (
            '<meta property="og:updated_time" content="2023-01-10">',
            f'<div>{ARTICLE}<p class="meta">最終更新日：2023年1月10日 公開日：2022年12月1日</p></div>',
            dt.date(2022, 12, 1),
        ),
        ('<link rel="canonical" href="https://x.example.jp/articles/20190222/k00/1c">', ARTICLE, dt.date(2019, 2, 22)),
        # Only a last-modified date: still the page's date.
        ('<meta property="og:updated_time" content="2024-11-30T15:20:00+09:00">', ARTICLE, dt.date(2024, 11, 30)),
        # A sidebar's dates belong to other articles; a copyright year is no date.
        (
            "",
            f'<div class="wrap"><div>{ARTICLE}</div><aside><span class="post-date">2019年2月11日</span></aside>'
            "<p>Copyright 2017-2024</p></div>",
            None,
        ),
    ],
)
def test_date_shapes(head: str, body: str, expected: dt.date | None) -> None:
    assert extract_article(_page(head, body), "a.html").date == expected


@pytest.mark.parametrize(
    ("head", "body", "expected"),
    [
        ('<meta property="article:section" content="経済">', ARTICLE, "経済"),
        (
            '<script type="application/ld+json">{"@type":"Article","articleSection":["地域","交通"]}</script>',
            ARTICLE,
            "地域",
        ),
        # Breadcrumbs: links only, list items, microdata, JSON-LD; the home page and the article itself left out.
        (
            "",
            '<div class="topicpath"><a href="/">トップ</a> &gt; <a href="/b/">野球</a> &gt; '
            f'<a href="/b/n/">プロ野球</a></div>{ARTICLE}',
            "プロ野球",
        ),
        (
            "",
            '<nav aria-label="breadcrumb"><ol><li><a href="/">ホーム</a></li><li><a href="/k/">くらし</a></li>'
            f"<li>記事の見出し</li></ol></nav>{ARTICLE}",
            "くらし",
        ),
        (
            "",
            '<div itemscope itemtype="https://schema.org/BreadcrumbList"><span itemprop="itemListElement">'
            '<a href="/">TOP</a></span> › <span itemprop="itemListElement"><a href="/c/">連載</a></span></div>'
            f"{ARTICLE}",
            "連載",
        ),
        (
            '<script type="application/ld+json">{"@type":"BreadcrumbList","itemListElement":[{"@type":"ListItem",'
            '"position":2,"item":{"@id":"https://x.jp/c/","name":"Linux"}},{"@type":"ListItem","position":1,'
            '"item":{"@id":"https://x.jp/","name":"ブログ"}}]}</script>',
            ARTICLE,
            "Linux",
        ),
        # A category-like class beside the title or date, with or without a link.
        (
            "",
            f'<div class="article-head">{ARTICLE}<p><span class="category">プロ野球</span>2019年2月22日</p></div>',
            "プロ野球",
        ),
        (
            "",
            f'<div class="head"><div class="article-header__category"><a href="/g/">働き方</a></div>{ARTICLE}</div>',
            "働き方",
        ),
        (
            "",
            f'<div class="entry">{ARTICLE}<ul><li><a href="/blog-category-3.html">カテゴリ:温泉と宿</a>'
            "</li></ul></div>",
            "温泉と宿",
        ),
        ("", ARTICLE, ""),
    ],
)
def test_category_shapes(head: str, body: str, expected: str) -> None:
    assert extract_article(_page(head, body), "a.html").category == expected


@pytest.mark.parametrize(
    "chrome",
    [
        '<div class="related-entries"><a href="/a/">他の記事のタイトル</a></div>',
        '<div class="box"><h3>この記事を書いた人</h3><p>東京在住の会社員です。</p></div>',
        '<div class="box"><p class="t">メールマガジンのご案内</p><p>毎朝お届けします。</p></div>',
        '<div class="ad-area"><p>スポンサーリンク</p></div>',
        '<ul><li><a href="/1">他の記事その一</a></li><li><a href="/2">他の記事その二</a></li></ul>',
        '<p>【関連記事】<br><a href="/1">他の記事その一</a><br><a href="/2">他の記事その二</a></p>',
        '<a class="card" href="/x/"><div>あわせて読みたい</div><div>他の記事のタイトル</div></a>',
        '<p>ランキングに参加しています<br><a href="/r/">にほんブログ村</a></p>',
        "<p>Copyright &copy; 2024 Example Inc. All Rights Reserved.</p>",
        '<div class="paywall"><p>この記事は有料記事です。続きはログインして。</p></div>',
    ],
)
def test_chrome_inside_the_body_is_dropped(chrome: str) -> None:
    body = paragraphs("経費精算の締め日は毎月２５日です。", "遅れた申請は翌月に回します。") + chrome
    article = extract_article(Page(title="t", body_html=body).html(), "a.html")
    assert article.body == "経費精算の締め日は毎月２５日です。\n遅れた申請は翌月に回します。"


@pytest.mark.parametrize(
    "content",
    [
        "<p>詳しくは<a href='/x'>国税庁のページ</a>と<a href='/y'>社内規程</a>をご覧ください。</p>",
        "<ul><li>お問い合わせへの回答のため</li><li>おすすめの勘定科目を選ぶ</li></ul>",
        "<h2>関連する法律</h2><p>電子帳簿保存法とインボイス制度の二つがあります。</p>",
        "<section><h2>人気の理由</h2><p>手続きが一枚で済むからです。</p></section>",
        "<p>取り扱いは<a href='/m/'>マイナンバーの記事</a>のとおりです。</p>",
    ],
)
def test_article_text_that_looks_like_chrome_is_kept(content: str) -> None:
    article = extract_article(Page(title="t", body_html=content).html(), "a.html")
    expected = extract_article(Page(title="t", body_html=content).html(), "a.html").body
    assert article.body == expected
    from bs4 import BeautifulSoup

    assert article.body.replace("\n", "") == BeautifulSoup(content, "lxml").get_text().replace("\n", "")
