"""Temporary benchmark corpora: livedoor news articles rendered as CMS-style HTML pages.

The ldcc articles are rendered unmodified (headline, date, body paragraphs) with their source URL and
licence in the page. Corpora larger than ldcc get extra articles made of whole ldcc paragraphs drawn
with a fixed seed: a local stand-in for "more articles of the same kind", never published or committed.
"""

from __future__ import annotations

import dataclasses
import random
import shutil
from collections.abc import Iterator
from html import escape
from pathlib import Path

DEFAULT_LDCC = Path(__file__).resolve().parents[2] / ".." / "shared" / "data" / "ldcc"
LDCC_SIZE = 7367
_SKIP = {"LICENSE.txt", "README.txt", "CHANGES.txt"}
_CATEGORY_NAMES = {
    "dokujo-tsushin": "独女通信",
    "it-life-hack": "ITライフハック",
    "kaden-channel": "家電チャンネル",
    "livedoor-homme": "livedoor HOMME",
    "movie-enter": "MOVIE ENTER",
    "peachy": "Peachy",
    "smax": "エスマックス",
    "sports-watch": "Sports Watch",
    "topic-news": "トピックニュース",
}
ATTRIBUTION = "出典: livedoor ニュース (株式会社ロンウイット ldcc-20140209), CC BY-ND 2.1 JP"


@dataclasses.dataclass(frozen=True)
class Source:
    """One ldcc article as published: key, URL, date, headline, paragraphs."""

    key: str
    category: str
    url: str
    date: str
    title: str
    paragraphs: tuple[str, ...]

    @property
    def chars(self) -> int:
        """Characters of article text (headline and body)."""
        return len(self.title) + sum(len(p) for p in self.paragraphs)


def read_ldcc(root: Path) -> list[Source]:
    """Every ldcc article, sorted by key."""
    out: list[Source] = []
    for path in sorted(root.glob("*/*.txt")):
        if path.name in _SKIP:
            continue
        lines = path.read_text(encoding="utf-8").split("\n")
        paragraphs = tuple(line.strip() for line in lines[3:] if line.strip())
        category = path.parent.name
        out.append(
            Source(f"{category}/{path.stem}", category, lines[0].strip(), lines[1].strip(), lines[2], paragraphs)
        )
    if not out:
        msg = f"no ldcc articles under {root}"
        raise FileNotFoundError(msg)
    return out


def render(src: Source) -> str:
    """A whole CMS-style page for one article: header, navigation, the article, related list, sidebar, footer."""
    date = src.date[:10]
    cat = _CATEGORY_NAMES.get(src.category, src.category)
    body = "\n".join(f"<p>{escape(p)}</p>" for p in src.paragraphs)
    return f"""<!DOCTYPE html>
<html lang="ja">
<head>
<meta charset="utf-8">
<title>{escape(src.title)} | ベンチマーク用ニュース</title>
<meta name="description" content="{escape(src.paragraphs[0][:100] if src.paragraphs else src.title)}">
<link rel="canonical" href="{escape(src.url)}">
<meta property="article:published_time" content="{escape(src.date)}">
<script>window.dataLayer = [];</script>
</head>
<body>
<header class="site-header"><p class="site-title"><a href="/">ベンチマーク用ニュース</a></p>
<nav class="main-navigation"><ul><li><a href="/{src.category}/">{escape(cat)}</a></li></ul></nav></header>
<div class="site-content"><main class="site-main">
<article class="post">
<header class="entry-header"><h1 class="entry-title">{escape(src.title)}</h1>
<div class="entry-meta"><time class="entry-date published" datetime="{escape(src.date)}">{date}</time>
<span class="cat-links"><a href="/{src.category}/" rel="category tag">{escape(cat)}</a></span></div></header>
<div class="entry-content">
{body}
</div>
<footer class="entry-footer"><div class="tag-links"><ul>
<li><a href="/tag/{src.category}/" rel="tag">{escape(cat)}</a></li></ul></div></footer>
</article>
<section class="related-posts"><h2>関連する投稿</h2><ul><li><a href="/">関連記事</a></li></ul></section>
</main>
<aside class="widget-area sidebar"><section class="widget"><p>このサイトについて</p></section></aside></div>
<footer class="site-footer"><p>{escape(ATTRIBUTION)} <a href="{escape(src.url)}">元記事</a></p></footer>
</body>
</html>
"""


def synthesize(sources: list[Source], count: int, seed: int = 20240501) -> Iterator[Source]:
    """`count` extra articles made of whole ldcc paragraphs (seeded): same shape, new combinations."""
    rng = random.Random(seed)
    pool = [p for s in sources for p in s.paragraphs]
    for n in range(count):
        shape = rng.choice(sources)  # a real article's headline, date and length
        k = max(1, len(shape.paragraphs))
        yield Source(
            f"synth/{n // 1000:03d}/s{n:06d}",
            shape.category,
            f"https://bench.example.jp/synth/{n}/",
            shape.date,
            shape.title,
            tuple(rng.choice(pool) for _ in range(k)),
        )


def select(sources: list[Source], size: int, seed: int = 7) -> list[Source]:
    """`size` articles: a seeded sample of ldcc below its size, all of it plus synthesized ones above."""
    if size <= len(sources):
        return sorted(random.Random(seed).sample(sources, size), key=lambda s: s.key)
    return sources + list(synthesize(sources, size - len(sources)))


def write_corpus(sources: list[Source], root: Path) -> int:
    """Write one page per article under root; return the characters of article text written.

    The pages go to a sibling directory renamed to `root` when complete, so an interrupted run
    never leaves a partial corpus that a later run would take for the whole one.
    """
    partial = root.with_name(root.name + ".partial")
    shutil.rmtree(partial, ignore_errors=True)
    chars = 0
    for src in sources:
        target = partial / f"{src.key}.html"
        target.parent.mkdir(parents=True, exist_ok=True)
        target.write_text(render(src), encoding="utf-8")
        chars += src.chars
    partial.rename(root)
    return chars
