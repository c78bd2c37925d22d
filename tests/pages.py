"""Build CMS-style page dumps for tests: the article wrapped in header, lists, sidebar and footer."""

from __future__ import annotations

from dataclasses import dataclass, field
from html import escape

# Words that appear only in the page chrome: a search for them must find nothing.
CHROME_WORDS = (
    "サイドバー限定語",
    "フッター限定語",
    "関連記事限定語",
    "最新記事限定語",
    "ナビ限定語",
    "スクリプト限定語",
)


@dataclass
class Page:
    """An article and how its page is written."""

    title: str
    body_html: str
    date: str | None = "2021-06-14"
    category: str = "経理"
    tags: tuple[str, ...] = ("経費精算", "領収書")
    description: str = "記事の説明文です。"
    slug: str = "article"
    charset: str = "utf-8"
    declare: str | None = "meta"  # "meta", "http-equiv" or None
    related: tuple[str, ...] = field(default=("小口現金をやめるまでの1年間",))

    def html(self) -> str:
        """The whole page as text."""
        if self.declare == "meta":
            decl = f'<meta charset="{self.charset}">'
        elif self.declare == "http-equiv":
            decl = f'<meta http-equiv="Content-Type" content="text/html; charset={self.charset}">'
        else:
            decl = ""
        year, month, day = (self.date or "2000-01-01").split("-")
        url = f"https://blog.example.jp/{year}/{month}/{self.slug}/"
        published = (
            f'<meta property="article:published_time" content="{self.date}T09:00:00+09:00">' if self.date else ""
        )
        time_tag = (
            f'<time class="entry-date published" datetime="{self.date}T09:00:00+09:00">'
            f"{year}年{int(month)}月{int(day)}日</time>"
            if self.date
            else ""
        )
        related = "".join(
            f'<li><a href="/x/"><span class="related-title">{escape(t)}</span></a>'
            f'<p class="related-excerpt">関連記事限定語を含む抜粋です。</p></li>'
            for t in self.related
        )
        tags = "".join(f'<li><a href="/tag/{i}/" rel="tag">{escape(t)}</a></li>' for i, t in enumerate(self.tags))
        return f"""<!DOCTYPE html>
<html lang="ja">
<head>
{decl}
<title>{escape(self.title)} | テスト事務室ブログ</title>
<meta name="description" content="{escape(self.description)}">
<link rel="canonical" href="{url}">
{published}
<script>var x = "スクリプト限定語";</script>
<style>.a{{color:red}}</style>
</head>
<body>
<!-- コメント限定語 -->
<header class="site-header"><p class="site-title"><a href="/">テスト事務室ブログ</a></p>
<nav class="main-navigation"><ul><li><a href="/c/">ナビ限定語</a></li></ul></nav></header>
<nav class="breadcrumb"><ol><li><a href="/">ホーム</a></li><li><a href="/c/">{escape(self.category)}</a></li>
<li>{escape(self.title)}</li></ol></nav>
<div class="site-content"><main class="site-main">
<article class="post">
<header class="entry-header"><h1 class="entry-title">{escape(self.title)}</h1>
<div class="entry-meta">{time_tag}
<span class="cat-links"><a href="/c/" rel="category tag">{escape(self.category)}</a></span></div></header>
<div class="entry-content">
<div class="toc"><p>目次</p><ol><li>目次限定語</li></ol></div>
{self.body_html}
</div>
<footer class="entry-footer"><div class="tag-links"><span>関連するキーワード</span><ul>{tags}</ul></div>
<div class="sharedaddy"><h3>この記事をシェアする</h3></div></footer>
</article>
<section class="related-posts"><h2>関連する投稿</h2><ul>{related}</ul></section>
</main>
<aside class="widget-area sidebar"><section class="widget widget_recent_entries"><h2>最新の投稿</h2>
<ul><li><a href="/y/">最新記事限定語のタイトル</a></li></ul></section>
<section class="widget"><p>サイドバー限定語のプロフィール</p></section></aside></div>
<footer class="site-footer"><p>フッター限定語 株式会社テスト</p></footer>
<script src="/jquery.js"></script>
</body>
</html>
"""

    def encoded(self) -> bytes:
        """The page as the bytes a dump would hold."""
        codec = {"shift_jis": "cp932", "euc-jp": "euc_jp"}.get(self.charset.lower(), self.charset)
        return self.html().encode(codec)


def paragraphs(*texts: str) -> str:
    """Body HTML from paragraphs."""
    return "\n".join(f"<p>{t}</p>" for t in texts)


def plain_page(title: str, text: str, **kwargs: object) -> Page:
    """A one-paragraph page whose tags and category stay out of the way."""
    return Page(title=title, body_html=paragraphs(text), tags=("メモ",), category="雑記", **kwargs)


def many_pages(n: int) -> dict[str, Page]:
    """n articles on six topics over ten years, each long enough to take a moment to index."""
    topics = ["経費精算", "年末調整", "見積書", "印鑑", "日商簿記", "現場監督"]
    return {
        f"{2015 + i % 10}/p{i:03d}.html": Page(
            title=f"{topics[i % 6]}の記事その{i}",
            body_html=paragraphs(
                f"{topics[i % 6]}について書いた{i}番目の記事です。", "同じ段落がもう一つあります。" * 20
            ),
            slug=f"p{i:03d}",
        )
        for i in range(n)
    }


SAMPLE_PAGES: dict[str, Page] = {
    "2021/keihi.html": Page(
        title="経費精算のルールと差し戻し",
        body_html=paragraphs(
            "経費精算の申請は毎月２５日までに提出してください。ﾚｼｰﾄの写真も添付します。",
            "領収書の宛名は会社名で受け取ります。タクシー代は理由を書きます。",
        )
        + "<h2>よくある差し戻し</h2><ul><li>日付の書き間違い</li><li>金額の転記ミス</li></ul>",
        tags=("経費精算", "領収書"),
        slug="keihi",
    ),
    "2019/mitsumori.html": Page(
        title="見積書の書き方",
        body_html=paragraphs(
            "見積書には有効期限を書きます。リフォームの見積りでは別途工事を明記します。",
            "消費税の表示は税抜と税込を分けます。",
        ),
        date="2019-03-12",
        tags=("見積書", "見積り"),
        slug="mitsumori",
    ),
    "2020/inkan.html": Page(
        title="会社の印鑑の管理",
        body_html=paragraphs(
            "実印と銀行印と角印は別々の金庫で保管します。印の貸し出しは台帳に記録します。",
            "Ｅｘｃｅｌの台帳で押印の履歴を残しています。サーバーに保存します。",
        ),
        date="2020-04-16",
        category="総務",
        tags=("印鑑", "実印"),
        slug="inkan",
        charset="Shift_JIS",
    ),
    "2022/nenmatsu.html": Page(
        title="年末調整の流れ",
        body_html=paragraphs(
            "年末調整の申告書を社員に配布し、回収します。",
            "源泉徴収票は１月末までに交付します。経費精算とは締め日が違います。",
        ),
        date="2022-11-26",
        category="人事",
        tags=("年末調整", "源泉徴収票"),
        slug="nenmatsu",
        charset="EUC-JP",
        declare="http-equiv",
    ),
    "2023/server.html": Page(
        title="ファイルサーバをクラウドへ",
        body_html=paragraphs(
            "古いファイルサーバのデータを移行しました。",
            "<strong>経理</strong>の共有フォルダは\nアクセス権を見直しました。",
        ),
        date="2023-05-15",
        category="総務",
        tags=("ファイルサーバー", "クラウド"),
        slug="server",
        declare=None,
    ),
}

# Added to the sample corpus by a reindex (conftest.reindexed_index).
ADDED_PAGES: dict[str, Page] = {
    "2024/seisan.html": Page(
        title="経費精算システムの導入",
        body_html=paragraphs("経費の申請と精算を一つの画面で。領収書は写真で添付し、経費精算の締め日も通知します。"),
        date="2024-02-01",
        tags=("経費精算",),
        slug="seisan",
    ),
}
