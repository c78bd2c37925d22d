"""Title, category and tags of an article: the marks of the common CMSs, JSON-LD, breadcrumbs, class names."""

from __future__ import annotations

import json
import re
import unicodedata
from typing import Any
from urllib.parse import urlsplit

from bs4 import BeautifulSoup, Tag

from indexer.text import clean_inline

_ARTICLE_TYPES = frozenset({"Article", "NewsArticle", "BlogPosting", "Report", "TechArticle", "WebPage"})
_SITE_NAME_SEPARATORS = re.compile(r"\s+[|｜\-–—:]\s+|｜")
_HOME = re.compile(r"^(?:ホーム|トップ|トップページ|home|top)$", re.IGNORECASE)
# Category marks of common CMSs, tried in order before any guess (WordPress, Hatena, Movable Type,
# Ameba, livedoor, MediaWiki).
_CATEGORY_SELECTORS = (
    'a[rel~="category"]',
    ".cat-links a",
    ".category a",
    ".post-category",
    ".entry-categories a",
    ".skin-entryThemes a, [data-uranus-component=entryItemTheme] a",
    "[class^=article-category] a",
    "#mw-normal-catlinks li a",
)
# Class names that hold a category near the title or date: cat-label, c-categoryList, genre, …-term.
_CATEGORY_CLASS = re.compile(r"categor|genre|(?:^|[-_])(?:cat|term|theme)(?:$|[-_])", re.IGNORECASE)
_CATEGORY_HREF = re.compile(r"/category/|/categories/|category[-=_]|/cat_|/genre/")
_CATEGORY_LABEL = re.compile(r"^(?:カテゴリー?|テーマ|ジャンル|分類|category)\s*[:：]\s*", re.IGNORECASE)
_BREADCRUMB = re.compile(r"crumb|topicpath|pankuzu|パンくず", re.IGNORECASE)
_BRACKETED = re.compile(r"^\[([^\]]{1,30})\]$")
_MAX_CATEGORY_CHARS = 40


def json_ld(soup: BeautifulSoup) -> list[dict[str, Any]]:
    """Every JSON-LD object of the page (@graph and lists flattened); unreadable blocks are skipped."""
    found: list[dict[str, Any]] = []
    for script in soup.find_all("script", type="application/ld+json"):
        try:
            data = json.loads(script.get_text())
        except ValueError:
            continue
        stack = [data]
        while stack:
            item = stack.pop()
            if isinstance(item, list):
                stack.extend(reversed(item))
            elif isinstance(item, dict):
                found.append(item)
                if isinstance(item.get("@graph"), list):
                    stack.extend(reversed(item["@graph"]))
    return found


def _types(item: dict[str, Any]) -> set[str]:
    kind = item.get("@type", ())
    return {kind} if isinstance(kind, str) else {k for k in kind if isinstance(k, str)}


def article_ld(items: list[dict[str, Any]]) -> dict[str, Any]:
    """The JSON-LD object that describes the article (an Article type before a WebPage), or {}."""
    best: dict[str, Any] = {}
    for item in items:
        kinds = _types(item)
        if kinds & (_ARTICLE_TYPES - {"WebPage"}):
            return item
        if "WebPage" in kinds and not best:
            best = item
    return best


def meta(soup: BeautifulSoup, *, name: str = "", prop: str = "", link_rel: str = "") -> str:
    """The content of a <meta name|property> or the href of a <link rel>, or ""."""
    if link_rel:
        tag = soup.find("link", rel=link_rel, href=True)
        return str(tag["href"]).strip() if tag else ""
    attrs = {"name": name} if name else {"property": prop}
    tag = soup.find("meta", attrs=attrs, content=True)
    return str(tag["content"]).strip() if tag else ""


def _key(text: str) -> str:
    return re.sub(r"\s+", "", unicodedata.normalize("NFKC", text)).lower()


def _site_names(soup: BeautifulSoup) -> set[str]:
    names = {meta(soup, prop="og:site_name")}
    if soup.title and soup.title.string:
        parts = _SITE_NAME_SEPARATORS.split(soup.title.string.strip())
        if len(parts) > 1:
            names.add(parts[-1])
    return {_key(n) for n in names if n}


def find_title(  # noqa: PLR0911 - one return per rule, in order of trust
    soup: BeautifulSoup, root: Tag | BeautifulSoup, ld: dict[str, Any]
) -> tuple[str, Tag | None, str]:
    """The title, its element (None if from metadata) and the rule: the heading that the page's <title> names."""
    refs = [meta(soup, prop="og:title"), str(ld.get("headline") or ""), soup.title.string if soup.title else ""]
    ref_keys = [_key(r) for r in refs if r]
    sites = _site_names(soup)
    if section := _diary_section(soup):
        return section
    headings = root.find_all(["h1", "h2", "h3"]) if root is not soup else []
    headings += soup.find_all(["h1", "h2", "h3"]) + soup.select(".entry-title")
    first_h1: Tag | None = None
    for el in headings:
        text = clean_inline(el.get_text())
        key = _key(text)
        if len(key) < 2 or key in sites or _is_home_link(el):
            continue
        if any(key in r for r in ref_keys):
            return text, el, f"<{el.name}> named by the page title"
        if first_h1 is None and el.name == "h1":
            first_h1 = el
    if first_h1 is not None:
        return clean_inline(first_h1.get_text()), first_h1, "first <h1>"
    if refs[0]:
        return clean_inline(refs[0]), None, "og:title"
    if refs[1]:
        return clean_inline(refs[1]), None, "JSON-LD headline"
    if refs[2]:
        # "<article> | <site>": keep the part before the site name.
        return clean_inline(_SITE_NAME_SEPARATORS.split(refs[2])[0]), None, "<title> before the site name"
    return "", None, ""


def _is_home_link(el: Tag) -> bool:
    """A heading that is only a link to the site's front page: the site name in a blog header."""
    links = el.find_all("a", href=True)
    if len(links) != 1 or _key(links[0].get_text()) != _key(el.get_text()):
        return False
    return urlsplit(str(links[0]["href"])).path in ("", "/")


def _diary_section(soup: BeautifulSoup) -> tuple[str, Tag, str] | None:
    """tDiary: the day's first section heading, without its anchor and [category] links."""
    h3 = soup.select_one(".day .section h3")
    if h3 is None:
        return None
    parts = [
        str(s) for s in h3.find_all(string=True) if not (s.parent.name == "a" and _diary_marker(s.parent.get_text()))
    ]
    text = clean_inline("".join(parts))
    return (text, h3, "tDiary section heading") if text else None


def _diary_marker(text: str) -> bool:
    text = text.strip()
    return text == "_" or bool(_BRACKETED.match(text))


def find_category(  # noqa: PLR0911 - one return per rule, in order of trust
    soup: BeautifulSoup, root: Tag | BeautifulSoup, title_el: Tag | None, ld: dict[str, Any], title: str
) -> tuple[str, str]:
    """The category and the rule that found it."""
    for selector in _CATEGORY_SELECTORS:
        tag = root.select_one(selector) or soup.select_one(selector)
        if tag is not None and (text := _category_text(tag)):
            return text, selector
    link = title_el.select_one('a[href*="category"]') if title_el is not None and title_el.name == "h3" else None
    if link is not None and (m := _BRACKETED.match(link.get_text().strip())):
        return m[1], "tDiary [category]"  # the [category] link in a tDiary section heading
    for scope in _near(title_el, root):
        for tag in scope.find_all(class_=True):
            if _CATEGORY_CLASS.search(" ".join(tag["class"]).lower()) and (text := _category_text(tag)):
                return text, f"class {' '.join(tag['class'])!r} near the title"
        for tag in scope.find_all("a", href=_CATEGORY_HREF):
            if (text := _category_text(tag)) and not tag.find_parent(["nav", "aside"]):
                return text, "category link near the title"
    if section := meta(soup, prop="article:section"):
        return clean_inline(section), "meta article:section"
    section = ld.get("articleSection")
    if isinstance(section, list):
        section = next((s for s in section if isinstance(s, str)), "")
    if isinstance(section, str) and (text := clean_inline(section)):
        return text, "JSON-LD articleSection"
    crumbs = breadcrumb(soup, title)
    if crumbs:
        return crumbs[-1], "breadcrumb"
    return "", ""


def _category_text(tag: Tag) -> str:
    link = tag if tag.name == "a" else tag.find("a")
    text = clean_inline((link or tag).get_text())
    text = _CATEGORY_LABEL.sub("", text)
    return text if 0 < len(text) <= _MAX_CATEGORY_CHARS else ""


def _near(title_el: Tag | None, root: Tag | BeautifulSoup) -> list[Tag | BeautifulSoup]:
    scopes: list[Tag | BeautifulSoup] = []
    node = title_el
    for _ in range(3):
        if node is None or node.parent is None or node.parent.name in ("body", "html", "[document]"):
            break
        node = node.parent
        scopes.append(node)
    if root.name not in ("body", "html", "[document]") and root not in scopes:
        scopes.append(root)
    return scopes


def breadcrumb(soup: BeautifulSoup, title: str) -> list[str]:
    """The breadcrumb's items between the home page and the article itself (schema.org, lists or plain links)."""
    items = _ld_breadcrumb(soup)
    if not items:
        trail = soup.find(attrs={"itemtype": re.compile(r"BreadcrumbList$")}) or _breadcrumb_element(soup)
        if trail is None:
            return []
        named = trail.select("[itemprop=itemListElement]")
        if named:
            items = [(clean_inline(i.get_text()), _href(i)) for i in named]
        elif lis := trail.find_all("li"):
            items = [(clean_inline(li.get_text()), _href(li)) for li in lis]
        else:
            items = [(clean_inline(a.get_text()), str(a.get("href", ""))) for a in trail.find_all("a")]
    items = [(text, href) for text, href in items if text]
    if items and (
        _HOME.match(items[0][0]) or urlsplit(items[0][1]).path in ("/",) or _key(items[0][0]) in _site_names(soup)
    ):
        items = items[1:]
    if items and (_key(items[-1][0]) == _key(title) or (not items[-1][1] and len(items) > 1)):
        items = items[:-1]
    return [text for text, _ in items if len(text) <= _MAX_CATEGORY_CHARS]


def _href(tag: Tag) -> str:
    link = tag.find("a", href=True)
    return str(link["href"]) if link else ""


def _breadcrumb_element(soup: BeautifulSoup) -> Tag | None:
    for tag in soup.find_all(["nav", "div", "ol", "ul", "p"]):
        names = " ".join((*(tag.get("class") or ()), str(tag.get("id") or ""), str(tag.get("aria-label") or "")))
        if _BREADCRUMB.search(names):
            return tag
    return None


def _ld_breadcrumb(soup: BeautifulSoup) -> list[tuple[str, str]]:
    for item in json_ld(soup):
        if "BreadcrumbList" not in _types(item) or not isinstance(item.get("itemListElement"), list):
            continue
        out: list[tuple[int, str, str]] = []
        for n, el in enumerate(item["itemListElement"]):
            if not isinstance(el, dict):
                continue
            target = el.get("item")
            name = el.get("name") or (target.get("name") if isinstance(target, dict) else "")
            href = target.get("@id", "") if isinstance(target, dict) else str(target or "")
            position = el.get("position") if isinstance(el.get("position"), int) else n
            out.append((position, clean_inline(str(name or "")), str(href)))
        return [(name, href) for _, name, href in sorted(out)]
    return []


def _in_category_list(a: Tag) -> bool:
    """A link in a category list (Movable Type's entry-categories, Ameba's themes), not a tag."""
    for parent in list(a.parents)[:3]:
        if parent.name in ("article", "body") or parent.name is None:
            return False
        if _CATEGORY_CLASS.search(" ".join(parent.get("class") or ())):
            return True
    return False


def find_tags(soup: BeautifulSoup, root: Tag | BeautifulSoup, ld: dict[str, Any]) -> tuple[str, ...]:
    """Tags: rel=tag links outside the category list, else article:tag metas, else JSON-LD keywords."""
    found: list[str] = []
    for a in root.select('a[rel~="tag"]'):
        if "category" in (a.get("rel") or []) or _in_category_list(a):
            continue
        found.append(a.get_text())
    if not found:
        found = [str(m["content"]) for m in soup.find_all("meta", property="article:tag", content=True)]
    if not found:
        keywords = ld.get("keywords") or []
        found = keywords.split(",") if isinstance(keywords, str) else [k for k in keywords if isinstance(k, str)]
    seen: dict[str, None] = {}
    for tag in found:
        if text := clean_inline(tag):
            seen.setdefault(text, None)
    return tuple(seen)
