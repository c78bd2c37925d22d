"""The HTML pages: the search page and the article page."""

from __future__ import annotations

import time
from typing import Any
from urllib.parse import urlencode

from flask import Blueprint, abort, current_app, render_template, request, url_for

from search_app.engine import IndexUnavailableError, Overview, QuerySyntaxError
from search_app.links import active_filters, feed_url, url_maker
from search_app.params import BadParameterError, parse_search_args
from search_app.services import get_service, log_search

bp = Blueprint("pages", __name__)

# Page links shown on each side of the current page.
_PAGE_WINDOW = 3


def render_error(message: str, status: int, query: str = "") -> tuple[str, int]:
    """The friendly error page."""
    return render_template("error.html", message=message, status=status, query=query), status


@bp.get("/")
@bp.get("/search")
def search() -> Any:
    """The home page (the box, the newest articles, categories and tags), or results for a query or a filter."""
    query = request.args.get("q", "")
    default_per_page = current_app.config["PER_PAGE"]
    try:
        args = parse_search_args(request.args, default_per_page)
        results = None
        if args.query.strip() or args.filters.active:
            started = time.perf_counter()
            results = get_service().search(
                args.query, args.page, args.per_page, filters=args.filters, sort=args.sort, facets=True
            )
            log_search(results, time.perf_counter() - started, "html")
    except (BadParameterError, QuerySyntaxError, ValueError) as exc:
        return render_error(str(exc), 400, query)
    except IndexUnavailableError:
        return render_error("検索インデックスを準備中です。しばらくしてからもう一度お試しください。", 503, query)
    if results is None:
        return render_template("home.html", query=query, overview=_overview(), keep_sort=args.sort)
    pages: list[int] = []
    if results.total:
        low = max(1, results.page - _PAGE_WINDOW)
        high = min(results.pages, results.page + _PAGE_WINDOW)
        pages = list(range(low, high + 1))
    suggestion_url = _with_query(results.suggestion) if results.suggestion else None
    return render_template(
        "search.html",
        query=query,
        results=results,
        pages=pages,
        url_with=url_maker(args, default_per_page),
        chips=active_filters(args.filters),
        feed_url=feed_url(args),
        # A new query from the box keeps the order the reader chose but not the filters.
        keep_sort=args.sort,
        suggestion_url=suggestion_url,
    )


def _overview() -> Overview | None:
    """What the home page lists; None without an index (the search box still works once one appears)."""
    try:
        return get_service().overview()
    except IndexUnavailableError:
        return None


def _with_query(query: str) -> str:
    """The current search URL with another query: every other parameter kept, back to the first page."""
    # Built by hand, not with url_for(**args): a parameter named like one of
    # url_for's own arguments (endpoint, _external) must stay a plain parameter.
    pairs = [("q", query), *((k, v) for k, v in request.args.items(multi=True) if k not in ("q", "page"))]
    return url_for("pages.search") + "?" + urlencode(pairs)


@bp.get("/articles/<path:path>")
def article(path: str) -> Any:
    """An indexed article's page."""
    # The path is only a key into the index, never a file name on disk.
    query = request.args.get("q", "")
    try:
        found = get_service().article(path, query)
    except IndexUnavailableError:
        return render_error("検索インデックスを準備中です。", 503)
    if found is None:
        abort(404, description="お探しの記事は見つかりませんでした。")
    return render_template("article.html", article=found, query=query)
