"""Text of HTML elements: one line per block, hard-wrapped Japanese lines joined, link lists under 関連記事 dropped."""

from __future__ import annotations

import re
import unicodedata

from bs4 import BeautifulSoup, Comment, Doctype, NavigableString, ProcessingInstruction, Tag

# Never text, wherever they appear.
DROP_TAGS = ("script", "style", "noscript", "template", "iframe", "form", "button", "svg", "nav", "aside")

BLOCK_TAGS = frozenset(
    [
        "address",
        "article",
        "blockquote",
        "br",
        "caption",
        "dd",
        "details",
        "div",
        "dl",
        "dt",
        "figcaption",
        "figure",
        "footer",
        "h1",
        "h2",
        "h3",
        "h4",
        "h5",
        "h6",
        "header",
        "hr",
        "li",
        "main",
        "ol",
        "p",
        "pre",
        "section",
        "summary",
        "table",
        "tbody",
        "tfoot",
        "thead",
        "tr",
        "ul",
    ]
)
_CELL_TAGS = frozenset({"td", "th"})
# A heading over a list of links to other articles, written inside the article text
# (■関連記事, 【関連情報】, …の記事をもっと見る): navigation, like the CMS's own lists.
_LINK_LIST_HEADING = re.compile(
    r"関連(?:記事|リンク|情報|ニュース|サイト|エントリー?|する(?:記事|投稿))"
    r"|(?:あわせて|合わせて)読みたい|おすすめ(?:記事|ニュース|特集)|オススメ記事|人気記事|最新記事"
    r"|記事をもっと(?:見る|みる)|記事一覧"
)
_LINK_LIST_HEADING_CHARS = 40
_LINK_LINE = re.compile(r"(?:[・•･\-‐－▶►>＞→]|https?://)")
_LINE_BREAK = re.compile(r"[ \t\r\f\v]*\n[ \t\r\n\f\v]*")
_SPACES = re.compile(r"[ \t\r\f\v]+")


def clean_inline(text: str) -> str:
    """One line of text: hard wraps joined, runs of spaces made one, ends stripped."""
    return join_lines(text).strip()


def _is_wide(ch: str) -> bool:
    return unicodedata.east_asian_width(ch) in ("W", "F", "H")


def join_lines(text: str) -> str:
    """Join hard-wrapped lines: no space between Japanese characters, one space otherwise."""

    def joiner(m: re.Match[str]) -> str:
        before = text[m.start() - 1] if m.start() > 0 else ""
        after = text[m.end()] if m.end() < len(text) else ""
        if not before or not after or (_is_wide(before) and _is_wide(after)):
            return ""
        return " "

    return _SPACES.sub(" ", _LINE_BREAK.sub(joiner, text))


def drop_link_lists(body: str) -> str:
    """The body without lists of links to other articles that stand under a heading such as ■関連記事.

    Such a list holds other articles' headlines word for word, so every one of those
    articles would be found here too. Only a short heading line followed by list
    items (・…, a bare URL) counts; the heading and its items go.
    """
    lines = body.split("\n")
    kept: list[str] = []
    i = 0
    while i < len(lines):
        line = lines[i]
        if (
            len(line) <= _LINK_LIST_HEADING_CHARS
            and _LINK_LIST_HEADING.search(line)
            and i + 1 < len(lines)
            and _LINK_LINE.match(lines[i + 1])
        ):
            i += 1
            while i < len(lines) and _LINK_LINE.match(lines[i]):
                i += 1
            continue
        kept.append(line)
        i += 1
    return "\n".join(kept)


def text_of(root: Tag | BeautifulSoup) -> str:
    """The visible text of an element: one line per block, lines joined without spaces between Japanese."""
    blocks: list[str] = []
    current: list[str] = []

    def flush() -> None:
        line = join_lines("".join(current)).strip(" \u3000")
        if line:
            blocks.append(line)
        current.clear()

    # An explicit stack, not recursion: hostile pages nest thousands deep.
    stack = [iter(root.children)]
    kinds = [""]
    while stack:
        child = next(stack[-1], None)
        if child is None:
            stack.pop()
            kind = kinds.pop()
            if kind == "block":
                flush()
            elif kind == "cell":
                current.append(" ")
            continue
        if isinstance(child, (Comment, Doctype, ProcessingInstruction)):
            continue
        if isinstance(child, NavigableString):
            current.append(str(child))
        elif isinstance(child, Tag) and child.name not in DROP_TAGS:
            kind = "block" if child.name in BLOCK_TAGS else "cell" if child.name in _CELL_TAGS else ""
            if kind == "block":
                flush()
            elif kind == "cell":
                current.append(" ")
            stack.append(iter(child.children))
            kinds.append(kind)
    flush()
    return "\n".join(blocks)
