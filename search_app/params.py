"""Request parameters of the search endpoints, validated with messages for the reader."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

from search_app.search import MAX_PAGE, MAX_PER_PAGE


class BadParameterError(ValueError):
    """A parameter the reader must fix (answered with 400)."""


@dataclass(frozen=True)
class SearchArgs:
    """What a search request asks for."""

    query: str
    page: int
    per_page: int


def parse_search_args(args: Mapping[str, str], default_per_page: int = 10) -> SearchArgs:
    """Read q, page and per_page; raise BadParameterError with a message."""
    query = args.get("q", "")
    page = _int(args, "page", 1, 1, MAX_PAGE)
    per_page = _int(args, "per_page", default_per_page, 1, MAX_PER_PAGE)
    return SearchArgs(query, page, per_page)


def _int(args: Mapping[str, str], name: str, default: int, low: int, high: int) -> int:
    raw = args.get(name)
    if raw is None or raw == "":
        return default
    # Plain ASCII digits only: int() would also take " 1", "1_0" and "１" (and
    # refuse thousands of digits with a message about Python, not the reader).
    if not (raw.isascii() and raw.isdigit() and len(raw) <= 9):
        msg = f"{name} は整数で指定してください（{raw[:20]!r} は使えません）"
        raise BadParameterError(msg)
    value = int(raw)
    if not low <= value <= high:
        msg = f"{name} は {low}〜{high} の範囲で指定してください"
        raise BadParameterError(msg)
    return value
