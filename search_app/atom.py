"""The Atom feed of a search: GET /search.atom?q=… (the same filters as the search page), newest first."""

from __future__ import annotations

import datetime as dt
import re
import xml.etree.ElementTree as ET
from typing import Any

from flask import Blueprint, Response, current_app, request, url_for

from search_app.engine import Hit, IndexUnavailableError, QuerySyntaxError, SearchPage
from search_app.links import feed_url
from search_app.params import BadParameterError, SearchArgs, parse_search_args
from search_app.services import get_service

bp = Blueprint("atom", __name__)

ATOM_NS = "http://www.w3.org/2005/Atom"
ATOM_TYPE = "application/atom+xml; charset=utf-8"
# Entries per feed.
FEED_SIZE = 20
# The `updated` of an undated article (Atom requires one) and of a feed with no entries.
EPOCH = "1970-01-01T00:00:00Z"
# Characters XML 1.0 cannot carry at all, even escaped (a query may hold them).
_NOT_XML = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\ud800-\udfff\ufffe\uffff]")


@bp.get("/search.atom")
def search_feed() -> Any:
    """The newest articles for the query and filters, as Atom 1.0."""
    try:
        args = parse_search_args(request.args, FEED_SIZE)
        page = None
        if args.query.strip() or args.filters.active:
            page = get_service().search(args.query, 1, FEED_SIZE, filters=args.filters, sort="newest")
    except (BadParameterError, QuerySyntaxError, ValueError) as exc:
        return _plain(str(exc), 400)
    except IndexUnavailableError:
        return _plain("検索インデックスを準備中です。しばらくしてからもう一度お試しください。", 503)
    return Response(feed_xml(args, page), content_type=ATOM_TYPE)


def feed_xml(args: SearchArgs, page: SearchPage | None) -> bytes:
    """The feed document; ElementTree escapes every text and attribute."""
    ET.register_namespace("", ATOM_NS)
    feed = ET.Element(_tag("feed"))
    site = current_app.config["SITE_NAME"]
    query = args.query
    title = f"「{query.strip()}」の新着記事 | {site}" if query.strip() else f"新着記事 | {site}"
    _text(feed, "title", title)
    _text(feed, "id", request.url)  # the feed's own address: the same query gives the same feed
    hits = page.hits if page is not None else ()
    _text(feed, "updated", max((_updated(h) for h in hits), default=EPOCH))
    ET.SubElement(feed, _tag("link"), rel="self", type="application/atom+xml", href=_clean(request.url))
    alternate = feed_url(args, "pages.search", external=True)
    ET.SubElement(feed, _tag("link"), rel="alternate", type="text/html", href=_clean(alternate))
    author = ET.SubElement(feed, _tag("author"))
    _text(author, "name", site)
    for hit in hits:
        entry = ET.SubElement(feed, _tag("entry"))
        link = url_for("pages.article", path=hit.path, _external=True)
        _text(entry, "title", hit.title or hit.path)
        ET.SubElement(entry, _tag("link"), rel="alternate", type="text/html", href=link)
        _text(entry, "id", link)
        _text(entry, "updated", _updated(hit))
        # The snippet is escaped HTML with <mark>s: the feed gets its plain text.
        _text(entry, "summary", hit.snippet.striptags(), type="text")
        if hit.category:
            ET.SubElement(entry, _tag("category"), term=_clean(hit.category))
    return ET.tostring(feed, encoding="utf-8", xml_declaration=True)


def _tag(name: str) -> str:
    return f"{{{ATOM_NS}}}{name}"


def _text(parent: ET.Element, name: str, text: str, **attrib: str) -> ET.Element:
    element = ET.SubElement(parent, _tag(name), attrib)
    element.text = _clean(text)
    return element


def _clean(text: str) -> str:
    return _NOT_XML.sub("", text)


def _updated(hit: Hit) -> str:
    if hit.date is None:
        return EPOCH
    return dt.datetime.combine(hit.date, dt.time()).strftime("%Y-%m-%dT%H:%M:%SZ")


def _plain(message: str, status: int) -> Response:
    return Response(message + "\n", status=status, content_type="text/plain; charset=utf-8")
