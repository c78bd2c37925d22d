"""Extract the one article of a CMS page dump with BeautifulSoup."""

from __future__ import annotations

import datetime as dt
import re
import unicodedata
import warnings
from dataclasses import dataclass, field

from bs4 import BeautifulSoup, Comment, Doctype, NavigableString, ProcessingInstruction, Tag, XMLParsedAsHTMLWarning

from indexer.encoding import DecodeError, decode_html


class ExtractionError(ValueError):
    """The page has no article we can index."""


@dataclass(frozen=True)
class Article:
    """An article as extracted from one page."""

    path: str
    title: str
    body: str
    date: dt.date | None = None
    category: str = ""
    tags: tuple[str, ...] = ()
    description: str = ""
    url: str = ""
    warnings: tuple[str, ...] = field(default=(), compare=False)


# Where the article text lives, most specific first.
_BODY_SELECTORS = (
    "[itemprop=articleBody]",
    ".entry-content",
    ".post-content",
    ".article-body",
    ".post-body",
    "article",
    "main",
    "[role=main]",
)
_ARTICLE_SELECTORS = ("article", "[itemtype$=BlogPosting]", "[itemtype$=Article]", "main", "[role=main]")

# Never article text, wherever they appear.
_DROP_TAGS = ("script", "style", "noscript", "template", "iframe", "form", "button", "svg", "nav", "aside")
_DROP_SELECTORS = (
    ".toc, #toc, .ez-toc-container, .sharedaddy, .share, .share-buttons, .sns, .social",
    ".related, .related-posts, .yarpp-related, .post-navigation, .comments-area, #comments",
    ".breadcrumb, .breadcrumbs, .advertisement, .ad, .widget, .sidebar, .author-box",
    # Broken markup can pull the article footer (tags, share buttons) into the body.
    ".entry-footer, .tag-links, .post-tags, .tags-links",
)

_BLOCK_TAGS = frozenset(
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
_SITE_NAME_SEPARATORS = re.compile(r"\s+[|｜\-–—:]\s+|｜")
_LINE_BREAK = re.compile(r"[ \t\r\f\v]*\n[ \t\r\n\f\v]*")
_SPACES = re.compile(r"[ \t\r\f\v]+")
_JA_DATE = re.compile(r"(\d{4})\s*[年/.\-]\s*(\d{1,2})\s*[月/.\-]\s*(\d{1,2})")


def extract_file(data: bytes, path: str) -> Article:
    """Decode and extract one page; raise ExtractionError with a reason."""
    try:
        decoded = decode_html(data)
    except DecodeError as exc:
        msg = f"cannot decode: {exc}"
        raise ExtractionError(msg) from exc
    article = extract_article(decoded.text, path)
    if decoded.warning:
        return _with_warning(article, decoded.warning)
    return article


def _with_warning(article: Article, warning: str) -> Article:
    from dataclasses import replace

    return replace(article, warnings=(*article.warnings, warning))


def extract_article(html: str, path: str) -> Article:
    """Extract title, body and metadata from page text."""
    with warnings.catch_warnings():
        # An XHTML dump opening with <?xml …?> is still a CMS page: parsed as HTML on purpose.
        warnings.simplefilter("ignore", XMLParsedAsHTMLWarning)
        soup = BeautifulSoup(html, "lxml")
    root = _first(soup, _ARTICLE_SELECTORS) or soup.body or soup

    title = _title(soup, root)
    date = _date(soup, root)
    category = _category(soup, root)
    tags = _tags(soup, root)
    url = _meta(soup, link_rel="canonical") or _meta(soup, prop="og:url")

    body_root = _first(root, _BODY_SELECTORS) or root
    for tag in body_root.find_all(_DROP_TAGS):
        tag.decompose()
    for selector in _DROP_SELECTORS:
        for tag in body_root.select(selector):
            tag.decompose()
    if body_root.name == "article" or body_root is root:
        # Outside .entry-content the article's own header and footer hold the
        # title, meta line and tag list, already extracted above.
        for tag in body_root.find_all(["header", "footer"]):
            tag.decompose()
    body = drop_link_lists(text_of(body_root))
    first, _, rest = body.partition("\n")
    if title and first == title:
        # The h1 itself, when the body element contains it: not body text.
        body = rest

    if not title and not body:
        msg = "no article found (no title and no text)"
        raise ExtractionError(msg)
    if not body:
        msg = "the article has no text"
        raise ExtractionError(msg)
    description = _meta(soup, name="description") or _meta(soup, prop="og:description") or _lead(body)
    return Article(
        path=path,
        title=title or _lead(body, 40),
        body=body,
        date=date,
        category=category,
        tags=tags,
        description=_clean_inline(description),
        url=url,
    )


def _first(node: Tag | BeautifulSoup, selectors: tuple[str, ...]) -> Tag | None:
    for selector in selectors:
        found = node.select_one(selector)
        if found is not None:
            return found
    return None


def _meta(soup: BeautifulSoup, *, name: str = "", prop: str = "", link_rel: str = "") -> str:
    if link_rel:
        tag = soup.find("link", rel=link_rel, href=True)
        return str(tag["href"]).strip() if tag else ""
    attrs = {"name": name} if name else {"property": prop}
    tag = soup.find("meta", attrs=attrs, content=True)
    return str(tag["content"]).strip() if tag else ""


def _title(soup: BeautifulSoup, root: Tag | BeautifulSoup) -> str:
    h1 = root.find("h1") or soup.select_one(".entry-title")
    if h1 is not None and (text := _clean_inline(h1.get_text())):
        return text
    if og := _meta(soup, prop="og:title"):
        return _clean_inline(og)
    if soup.title and soup.title.string:
        # "<article> | <site>": keep the part before the site name.
        return _clean_inline(_SITE_NAME_SEPARATORS.split(soup.title.string)[0])
    return ""


def _date(soup: BeautifulSoup, root: Tag | BeautifulSoup) -> dt.date | None:
    candidates: list[str] = []
    for time_tag in root.select("time.published[datetime]") + root.select("time[datetime]"):
        candidates.append(str(time_tag["datetime"]))
    candidates.append(_meta(soup, prop="article:published_time"))
    candidates.extend(t.get_text() for t in root.find_all("time"))
    for value in candidates:
        if parsed := parse_date(value):
            return parsed
    return None


def parse_date(value: str) -> dt.date | None:
    """Parse an ISO 8601 or a Japanese 2019年5月20日 date; None if it is neither."""
    value = unicodedata.normalize("NFKC", value).strip()
    if not value:
        return None
    try:
        # The date as written, in the page's own time zone.
        return dt.datetime.fromisoformat(value.replace("Z", "+00:00")).date()
    except ValueError:
        pass
    if m := _JA_DATE.search(value):
        try:
            return dt.date(int(m[1]), int(m[2]), int(m[3]))
        except ValueError:
            return None
    return None


def _category(soup: BeautifulSoup, root: Tag | BeautifulSoup) -> str:
    for selector in ('a[rel~="category"]', ".cat-links a", ".category a", ".post-category"):
        tag = root.select_one(selector) or soup.select_one(selector)
        if tag is not None and (text := _clean_inline(tag.get_text())):
            return text
    if section := _meta(soup, prop="article:section"):
        return _clean_inline(section)
    crumbs = soup.select(".breadcrumb li, .breadcrumbs li")
    if len(crumbs) >= 3:
        return _clean_inline(crumbs[-2].get_text())
    return ""


def _tags(soup: BeautifulSoup, root: Tag | BeautifulSoup) -> tuple[str, ...]:
    found: list[str] = []
    for a in root.select('a[rel~="tag"]'):
        if "category" in (a.get("rel") or []):
            continue
        found.append(a.get_text())
    if not found:
        found = [str(m["content"]) for m in soup.find_all("meta", property="article:tag", content=True)]
    seen: dict[str, None] = {}
    for tag in found:
        if text := _clean_inline(tag):
            seen.setdefault(text, None)
    return tuple(seen)


def _lead(body: str, limit: int = 120) -> str:
    first = body.split("\n", 1)[0]
    return first if len(first) <= limit else first[: limit - 1] + "…"


def _clean_inline(text: str) -> str:
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
        elif isinstance(child, Tag) and child.name not in _DROP_TAGS:
            kind = "block" if child.name in _BLOCK_TAGS else "cell" if child.name in _CELL_TAGS else ""
            if kind == "block":
                flush()
            elif kind == "cell":
                current.append(" ")
            stack.append(iter(child.children))
            kinds.append(kind)
    flush()
    return "\n".join(blocks)
