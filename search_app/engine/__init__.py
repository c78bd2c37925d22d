"""The search engine: a reader's query in, ranked and highlighted articles out, as plain dataclasses.

It knows nothing of Flask; the web layer (search_app's blueprints) imports only
what this package exports. How a query is ranked is told in pipeline.py.
"""

from __future__ import annotations

from indexer.store import IndexUnavailableError
from search_app.engine.completions import MAX_SUGGESTIONS, Suggestion
from search_app.engine.narrowing import FILTER_NAMES, SORTS, Filters
from search_app.engine.overview import ArticleLink, Overview
from search_app.engine.service import MAX_PAGE, MAX_PER_PAGE, ArticleView, Hit, SearchPage, SearchService
from search_app.engine.syntax import MAX_QUERY_CHARS, QuerySyntaxError

__all__ = [
    "FILTER_NAMES",
    "MAX_PAGE",
    "MAX_PER_PAGE",
    "MAX_QUERY_CHARS",
    "MAX_SUGGESTIONS",
    "SORTS",
    "ArticleLink",
    "ArticleView",
    "Filters",
    "Hit",
    "IndexUnavailableError",
    "Overview",
    "QuerySyntaxError",
    "SearchPage",
    "SearchService",
    "Suggestion",
]
