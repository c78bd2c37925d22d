"""Extract the one article of a CMS page dump with BeautifulSoup."""

from __future__ import annotations

import datetime as dt
import warnings
from dataclasses import dataclass, field, replace

from bs4 import BeautifulSoup, Tag, XMLParsedAsHTMLWarning

from indexer.boilerplate import Trace, choose_body, describe, prune
from indexer.dates import dates_in, find_date, parse_date
from indexer.encoding import DecodeError, decode_html
from indexer.metadata import article_ld, find_category, find_tags, find_title, json_ld, meta
from indexer.profiles import NO_PROFILES, Profiles, SiteProfile
from indexer.text import clean_inline, drop_link_lists, join_lines, text_of

__all__ = [
    "Article",
    "ExtractionError",
    "Trace",
    "drop_link_lists",
    "extract_article",
    "extract_file",
    "join_lines",
    "parse_date",
    "text_of",
]


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


_ARTICLE_SELECTORS = ("article", "[itemtype$=BlogPosting]", "[itemtype$=Article]", "main", "[role=main]")


def extract_file(data: bytes, path: str, *, profiles: Profiles = NO_PROFILES, trace: Trace | None = None) -> Article:
    """Decode and extract one page; raise ExtractionError with a reason."""
    try:
        decoded = decode_html(data)
    except DecodeError as exc:
        msg = f"cannot decode: {exc}"
        raise ExtractionError(msg) from exc
    article = extract_article(decoded.text, path, profiles=profiles, trace=trace)
    if decoded.warning:
        return replace(article, warnings=(*article.warnings, decoded.warning))
    return article


def extract_article(  # noqa: PLR0912 - each field: the heuristics, then the profile's override
    html: str, path: str, *, profiles: Profiles = NO_PROFILES, trace: Trace | None = None
) -> Article:
    """Extract title, body and metadata from page text; `trace` collects where each part came from."""
    with warnings.catch_warnings():
        # An XHTML dump opening with <?xml …?> is still a CMS page: parsed as HTML on purpose.
        warnings.simplefilter("ignore", XMLParsedAsHTMLWarning)
        soup = BeautifulSoup(html, "lxml")
    root = _first(soup, _ARTICLE_SELECTORS) or soup.body or soup
    url = meta(soup, link_rel="canonical") or meta(soup, prop="og:url")
    profile = (profiles.for_path(path) or profiles.for_url(url)) if profiles.sites else None
    notes: list[str] = []
    sources: dict[str, str] = {}
    ld = article_ld(json_ld(soup))

    title, title_el, sources["title"] = find_title(soup, root, ld)
    if profile and profile.title and (found := _picked(soup, profile, "title", notes)) is not None:
        title, title_el, sources["title"] = clean_inline(found.get_text()), found, _rule(profile, "title")
    date, sources["date"] = find_date(soup, root, title_el, ld, url)
    if profile and profile.date and (found := _picked(soup, profile, "date", notes)) is not None:
        date, sources["date"] = _date_of(found), _rule(profile, "date")
    category, sources["category"] = find_category(soup, root, title_el, ld, title)
    if profile and profile.category and (found := _picked(soup, profile, "category", notes)) is not None:
        category, sources["category"] = clean_inline(found.get_text()), _rule(profile, "category")
    tags = find_tags(soup, root, ld)
    if profile and profile.tags:
        if picked := [t for el in soup.select(profile.tags) if (t := clean_inline(el.get_text()))]:
            tags, sources["tags"] = tuple(dict.fromkeys(picked)), _rule(profile, "tags")
        else:
            notes.append(f"{profile.label}: tags selector {profile.tags!r} matched nothing")

    body_root, sources["body"] = choose_body(root)
    if profile and profile.body and (found := _picked(soup, profile, "body", notes)) is not None:
        body_root, sources["body"] = found, _rule(profile, "body")
    sources["body"] += f": {describe(body_root)}" if isinstance(body_root, Tag) and body_root.name else ""
    if profile:
        for selector in profile.drop:
            for tag in body_root.select(selector):
                if not tag.decomposed:
                    if trace is not None:
                        trace.drop(tag, f"{profile.label}: drop {selector!r}")
                    tag.decompose()
    prune(body_root, title_el, trace, whole_article=body_root.name == "article" or body_root is root)
    body = drop_link_lists(text_of(body_root))
    first, _, rest = body.partition("\n")
    if title and first == title:
        # The title itself, when the body element contains it: not body text.
        body = rest

    if not title and not body:
        msg = "no article found (no title and no text)"
        raise ExtractionError(msg)
    if not body:
        msg = "the article has no text"
        raise ExtractionError(msg)
    description = meta(soup, name="description") or meta(soup, prop="og:description") or _lead(body)
    if trace is not None:
        trace.sources.update(sources)
    return Article(
        path=path,
        title=title or _lead(body, 40),
        body=body,
        date=date,
        category=category,
        tags=tags,
        description=clean_inline(description),
        url=url,
        warnings=tuple(notes),
    )


def _first(node: Tag | BeautifulSoup, selectors: tuple[str, ...]) -> Tag | None:
    for selector in selectors:
        found = node.select_one(selector)
        if found is not None:
            return found
    return None


def _picked(soup: BeautifulSoup, profile: SiteProfile, key: str, notes: list[str]) -> Tag | None:
    """The element a profile names for a field; a note for the editor when it matches nothing."""
    selector = str(getattr(profile, key))
    found = soup.select_one(selector)
    if found is None:
        notes.append(f"{profile.label}: {key} selector {selector!r} matched nothing; used the heuristics")
    return found


def _rule(profile: SiteProfile, key: str) -> str:
    return f"{profile.label}: {key} = {getattr(profile, key)!r}"


def _date_of(tag: Tag) -> dt.date | None:
    for attr in ("datetime", "content", "title"):
        if tag.get(attr) and (d := parse_date(str(tag[attr]))):
            return d
    found = dates_in(tag.get_text(" "))
    return found[0][1] if found else None


def _lead(body: str, limit: int = 120) -> str:
    first = body.split("\n", 1)[0]
    return first if len(first) <= limit else first[: limit - 1] + "…"
