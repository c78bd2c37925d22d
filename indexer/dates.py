"""The article's published date: machine-readable marks first, then the dates written near the title, then the URL."""

from __future__ import annotations

import datetime as dt
import re
import unicodedata
from collections.abc import Iterable
from typing import Any

from bs4 import BeautifulSoup, Tag

# <meta name/property/itemprop> that hold the published date, lower-cased (htmldate's list, trimmed).
PUBLISHED_META = (
    "article:published_time",
    "og:published_time",
    "og:article:published_time",
    "datepublished",
    "date",
    "pubdate",
    "publishdate",
    "publish-date",
    "publish_date",
    "publication_date",
    "dc.date",
    "dc.date.issued",
    "dc.date.created",
    "dcterms.date",
    "dcterms.issued",
    "dcterms.created",
    "citation_date",
    "citation_publication_date",
    "citation_online_date",
    "sailthru.date",
    "parsely-pub-date",
    "article.published",
    "cxenseparse:recs:publishtime",
)
# Used only when the page has no published date at all: a last-modified date is still the page's date.
MODIFIED_META = (
    "article:modified_time",
    "og:updated_time",
    "datemodified",
    "dc.date.modified",
    "dcterms.modified",
    "last-modified",
)

_YMD = re.compile(r"(?<!\d)(\d{4})\s*[年/.\-]\s*(\d{1,2})\s*[月/.\-]\s*(\d{1,2})(?!\d)")
_ERA = re.compile(r"(令和|平成|昭和)\s*(元|\d{1,2})\s*年\s*(\d{1,2})\s*月\s*(\d{1,2})\s*日")
_ERA_START = {"令和": 2018, "平成": 1988, "昭和": 1925}
_EPOCH = re.compile(r"\d{9,10}")
_URL_DATE = re.compile(r"/((?:19|20)\d{2})/?(\d{2})/?(\d{2})(?:/|_|-|\d{0,6}(?:/|\.|$))")
# Words that mark a date as a change, not the publication, and words that mark the publication.
_UPDATED = re.compile(r"更新|修正|update|modif|lastmod", re.IGNORECASE)
_PUBLISHED = re.compile(r"公開|投稿|掲載|配信|作成|登録日|posted|publish", re.IGNORECASE)
# class/id fragments of elements that hold a date line (lower-cased).
_DATE_CLASS = re.compile(r"date|time|posted|publish|byline|meta|info|day|update|lastmod")
_LABEL_CHARS = 14


def parse_date(value: str) -> dt.date | None:
    """Parse ISO 8601, 2019年5月20日, 2019/05/20, 2019.5.20, 令和5年4月1日 or epoch seconds; None if none."""
    value = unicodedata.normalize("NFKC", value).strip()
    if not value:
        return None
    try:
        # The date as written, in the page's own time zone.
        return _plausible(dt.datetime.fromisoformat(value.replace("Z", "+00:00")).date())
    except ValueError:
        pass
    if _EPOCH.fullmatch(value):
        # Hatena writes article:published_time as epoch seconds; Japanese pages mean Japan time.
        jst = dt.timezone(dt.timedelta(hours=9))
        return _plausible(dt.datetime.fromtimestamp(int(value), jst).date())
    found = next(iter(dates_in(value)), None)
    return found[1] if found else None


def dates_in(text: str) -> list[tuple[int, dt.date]]:
    """Every plausible full date written in the text, with its offset, in order."""
    text = unicodedata.normalize("NFKC", text)
    found: list[tuple[int, dt.date]] = []
    for m in _YMD.finditer(text):
        if d := _make(int(m[1]), int(m[2]), int(m[3])):
            found.append((m.start(), d))
    for m in _ERA.finditer(text):
        year = 1 if m[2] == "元" else int(m[2])
        if d := _make(_ERA_START[m[1]] + year, int(m[3]), int(m[4])):
            found.append((m.start(), d))
    return sorted(found, key=lambda item: item[0])


def _make(year: int, month: int, day: int) -> dt.date | None:
    try:
        return _plausible(dt.date(year, month, day))
    except ValueError:
        return None


def _plausible(d: dt.date) -> dt.date | None:
    # Before the web, or after next year: a product number or a typo, not a publication date.
    return d if 1990 <= d.year <= dt.date.today().year + 1 else None


def find_date(  # noqa: PLR0911 - one return per rule, in order of trust
    soup: BeautifulSoup, root: Tag | BeautifulSoup, title_el: Tag | None, ld: dict[str, Any], url: str
) -> tuple[dt.date | None, str]:
    """The published date and the rule that found it; a last-modified date only when there is no other."""
    marked = root.select("time.published[datetime], [itemprop=datePublished][datetime], time[pubdate][datetime]")
    for tag in marked:
        if d := parse_date(str(tag["datetime"])):
            return d, "time element marked published"
    if d := parse_date(str(ld.get("datePublished") or ld.get("dateCreated") or "")):
        return d, "JSON-LD datePublished"
    if found := _from_meta(soup, PUBLISHED_META):
        return found[0], "meta " + found[1]
    for tag in root.select("abbr.published[title], [itemprop=datePublished][content]"):
        if d := parse_date(str(tag.get("title") or tag.get("content"))):
            return d, "abbr/itemprop datePublished"
    for tag in root.select("time[datetime]"):
        if not _UPDATED.search(" ".join(tag.get("class") or ())) and (d := parse_date(str(tag["datetime"]))):
            return d, "time element"
    updated: list[tuple[dt.date, str]] = []
    for scope in _scopes(root, title_el):
        if d := _from_text(scope, updated):
            return d, "date written near the title"
    if (m := _URL_DATE.search(url)) and (d := _make(int(m[1]), int(m[2]), int(m[3]))):
        return d, "date in the URL"
    return _last_modified(soup, ld, updated)


def _from_meta(soup: BeautifulSoup, names: tuple[str, ...]) -> tuple[dt.date, str] | None:
    wanted = {n: i for i, n in enumerate(names)}
    best: tuple[int, dt.date, str] | None = None
    for tag in soup.find_all("meta", content=True):
        key = str(tag.get("property") or tag.get("name") or tag.get("itemprop") or tag.get("http-equiv") or "")
        rank = wanted.get(key.lower())
        if rank is not None and (best is None or rank < best[0]) and (d := _meta_date(str(tag["content"]))):
            best = (rank, d, key)
    return (best[1], best[2]) if best else None


def _meta_date(value: str) -> dt.date | None:
    if d := parse_date(value):
        return d
    # "Sat, 09 Mar 2019 13:20:00 GMT" (http-equiv Last-Modified)
    try:
        return dt.datetime.strptime(value.strip()[:16], "%a, %d %b %Y").date()
    except ValueError:
        return None


def _scopes(root: Tag | BeautifulSoup, title_el: Tag | None) -> Iterable[Tag | BeautifulSoup]:
    """Where a date line can stand: around the title (up to four levels up), then the article element."""
    seen: set[int] = set()
    node = title_el
    for _ in range(4):
        if node is None or node.parent is None or node.parent.name in ("body", "html", "[document]"):
            break
        node = node.parent
        seen.add(id(node))
        yield node
    if root.name not in ("body", "html", "[document]") and id(root) not in seen:
        yield root


def _from_text(scope: Tag | BeautifulSoup, updated: list[tuple[dt.date, str]]) -> dt.date | None:
    """The first published date in a date-like element of the scope; dates marked 更新 go to `updated`."""
    for tag in scope.find_all(_is_date_element):
        text = tag.get_text(" ")
        if len(text) > 200 or _in_other_list(tag):
            continue
        marks_update = bool(_UPDATED.search(" ".join((*(tag.get("class") or ()), str(tag.get("id") or "")))))
        for offset, d in dates_in(text):
            label = unicodedata.normalize("NFKC", text)[max(0, offset - _LABEL_CHARS) : offset]
            if _PUBLISHED.search(label) or not (_UPDATED.search(label) or marks_update):
                return d
            updated.append((d, "date marked 更新 near the title"))
    return None


def _in_other_list(tag: Tag) -> bool:
    """A date of another article: in a sidebar, a navigation or a list of related or recent posts."""
    for parent in tag.parents:
        if parent.name in ("aside", "nav", "footer"):
            return True
        names = " ".join(parent.get("class") or ()).lower()
        if _OTHER_LIST.search(names):
            return True
    return False


_OTHER_LIST = re.compile(r"related|recent|popular|ranking|widget|sidebar|comment")


def _is_date_element(tag: Tag) -> bool:
    names = " ".join((*(tag.get("class") or ()), str(tag.get("id") or ""))).lower()
    return bool(names) and bool(_DATE_CLASS.search(names))


def _last_modified(
    soup: BeautifulSoup, ld: dict[str, Any], updated: list[tuple[dt.date, str]]
) -> tuple[dt.date | None, str]:
    if updated:
        return updated[0]
    if d := parse_date(str(ld.get("dateModified") or "")):
        return d, "JSON-LD dateModified (no published date)"
    if found := _from_meta(soup, MODIFIED_META):
        return found[0], f"meta {found[1]} (no published date)"
    # A page-level last-modified line (MediaWiki's footer, a CMS's 更新日): the page's only date.
    dates = {d for tag in soup.find_all(id=_LASTMOD_ID) for _, d in dates_in(tag.get_text(" "))}
    if len(dates) == 1:
        return dates.pop(), "last-modified line (no published date)"
    return None, ""


_LASTMOD_ID = re.compile(r"lastmod|last-modified|update", re.IGNORECASE)
