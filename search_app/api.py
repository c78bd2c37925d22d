"""The JSON API: /api/search and /healthz."""

from __future__ import annotations

import time
from typing import Any

from flask import Blueprint, Response, current_app, jsonify, make_response, request
from werkzeug.exceptions import HTTPException

from indexer.status import parse_time, read_status
from search_app.engine import ArticleView, Hit, IndexUnavailableError, QuerySyntaxError, SearchPage
from search_app.params import BadParameterError, parse_search_args
from search_app.services import complete, get_service, log_search

bp = Blueprint("api", __name__)


def _metadata(item: Hit | ArticleView) -> dict[str, Any]:
    """What a hit and an article share: key, title, address, date, category and tags."""
    return {
        "path": item.path,
        "title": item.title,
        "url": item.url,
        "date": item.date.isoformat() if item.date else None,
        "category": item.category,
        "tags": list(item.tags),
    }


def hit_json(hit: Hit) -> dict[str, Any]:
    """One hit as the API returns it."""
    return {
        **_metadata(hit),
        "score": hit.score,
        "snippet": str(hit.snippet),
        "partial": hit.partial,
    }


def page_json(page: SearchPage) -> dict[str, Any]:
    """A result page as the API returns it."""
    return {
        "query": page.query,
        "terms": list(page.terms),
        "total": page.total,
        "page": page.page,
        "per_page": page.per_page,
        "relaxed": page.relaxed,
        "dropped": list(page.dropped),
        "hits": [hit_json(h) for h in page.hits],
        "sort": page.sort,
        "filters": page.filters.as_json(),
        **({"facets": page.facets.as_json()} if page.facets is not None else {}),
        "suggestion": page.suggestion,
    }


def error_json(message: str, status: int) -> tuple[Response, int]:
    """An error answer: {"error": message}."""
    return jsonify(error=message), status


@bp.get("/api/search")
def search() -> Any:
    """Search as JSON: GET /api/search?q=…&page=…&per_page=…&sort=…&category=…&tag=…&year=…&date_from=…&date_to=…."""
    try:
        args = parse_search_args(request.args, current_app.config["PER_PAGE"])
        started = time.perf_counter()
        page = get_service().search(
            args.query, args.page, args.per_page, filters=args.filters, sort=args.sort, facets=args.facets
        )
        log_search(page, time.perf_counter() - started, "api")
    except (BadParameterError, QuerySyntaxError, ValueError) as exc:
        return error_json(str(exc), 400)
    except IndexUnavailableError as exc:
        return error_json(f"検索インデックスを利用できません: {exc}", 503)
    return jsonify(page_json(page))


@bp.get("/api/suggest")
def suggest() -> Any:
    """Completions as JSON: GET /api/suggest?q=…; format=opensearch gives [query, [texts]]."""
    prefix = request.args.get("q", "")
    form = request.args.get("format", "json")
    if form not in ("json", "opensearch"):
        return error_json("format は json か opensearch で指定してください", 400)
    try:
        found = complete(prefix)
    except ValueError as exc:
        return error_json(str(exc), 400)
    except IndexUnavailableError as exc:
        return error_json(f"検索インデックスを利用できません: {exc}", 503)
    if form == "opensearch":
        # The OpenSearch suggestions format browsers read: [query, [completions]].
        response = jsonify([prefix, [s.text for s in found]])
        response.mimetype = "application/x-suggestions+json"
        return response
    return jsonify(query=prefix, suggestions=[{"text": s.text, "kind": s.kind, "path": s.path} for s in found])


def article_json(article: ArticleView) -> dict[str, Any]:
    """An article as the API returns it: paragraphs are HTML (escaped, matches in <mark>)."""
    return {
        **_metadata(article),
        "description": article.description,
        "paragraphs": [str(p) for p in article.paragraphs],
        "related": [
            {"path": r.path, "title": r.title, "date": r.date.isoformat() if r.date else None, "category": r.category}
            for r in article.related
        ],
    }


@bp.get("/api/articles/<path:path>")
def article(path: str) -> Any:
    """An article as JSON, with q=… marked in its text, and its related articles."""
    try:
        found = get_service().article(path, request.args.get("q", ""))
    except IndexUnavailableError as exc:
        return error_json(f"検索インデックスを利用できません: {exc}", 503)
    if found is None:
        return error_json("お探しの記事は見つかりませんでした。", 404)
    return jsonify(article_json(found))


@bp.get("/healthz")
def healthz() -> Any:
    """Liveness, the number of documents and the index's age (from index-status.json); 503 without an index."""
    try:
        count = get_service().document_count()
    except IndexUnavailableError as exc:
        return jsonify(status="unavailable", error=str(exc)), 503
    status = read_status(current_app.config["INDEX_DIR"]) or {}
    committed = parse_time(status.get("committed_at"))
    return jsonify(
        status="ok",
        documents=count,
        # Seconds since the indexer's last commit; null before the indexer has written a status.
        index_age_seconds=round(time.time() - committed, 1) if committed is not None else None,
        generation=status.get("generation"),
        last_run=status.get("end"),
    )


@bp.app_errorhandler(HTTPException)
def http_error(exc: HTTPException) -> Any:
    """JSON errors under /api/; the HTML error page elsewhere (with the exception's headers, e.g. Allow)."""
    if request.path.startswith("/api/"):
        response = make_response(error_json(exc.description or exc.name, exc.code or 500))
    else:
        from search_app.views import render_error

        response = make_response(render_error(exc.description or exc.name, exc.code or 500))
    for name, value in exc.get_headers():
        if name.lower() != "content-type":
            response.headers[name] = value
    return response
