"""Request parameters of the search endpoints, validated with messages for the reader."""

from __future__ import annotations

import datetime as dt
import re
import unicodedata
from collections.abc import Mapping
from dataclasses import dataclass, field

from search_app.engine import MAX_PAGE, MAX_PER_PAGE, SORTS, Filters

# Limits on the filter values a request may carry.
MAX_FILTER_CHARS = 100
MAX_TAGS = 10
_YEAR = re.compile(r"[0-9]{4}")
_DATE = re.compile(r"[0-9]{4}-[0-9]{2}-[0-9]{2}")


class BadParameterError(ValueError):
    """A parameter the reader must fix (answered with 400)."""


@dataclass(frozen=True)
class SearchArgs:
    """What a search request asks for."""

    query: str
    page: int
    per_page: int
    filters: Filters = field(default_factory=Filters)
    # As asked; None lets the service choose (relevance, or newest for a listing).
    sort: str | None = None
    facets: bool = True


def parse_search_args(args: Mapping[str, str], default_per_page: int = 10) -> SearchArgs:
    """Read q, page, per_page, sort, facets and the filters; raise BadParameterError with a message."""
    query = args.get("q", "")
    page = _int(args, "page", 1, 1, MAX_PAGE)
    per_page = _int(args, "per_page", default_per_page, 1, MAX_PER_PAGE)
    return SearchArgs(query, page, per_page, parse_filters(args), _sort(args), _bool(args, "facets", default=True))


def parse_filters(args: Mapping[str, str]) -> Filters:
    """category, tag (repeatable), year, date_from and date_to."""
    date_from, date_to = _date(args, "date_from"), _date(args, "date_to")
    if date_from and date_to and date_from > date_to:
        msg = "date_from は date_to と同じ日かそれより前の日付にしてください"
        raise BadParameterError(msg)
    return Filters(
        category=_label(args.get("category", ""), "category") or None,
        tags=_tags(args),
        year=_year(args),
        date_from=date_from,
        date_to=date_to,
    )


def _tags(args: Mapping[str, str]) -> tuple[str, ...]:
    raw = args.getlist("tag") if hasattr(args, "getlist") else [args.get("tag", "")]
    # An empty value (a blank form field) asks for nothing; a repeated tag once. The limit
    # counts every value sent, as the API description says.
    tags = tuple(dict.fromkeys(_label(t, "tag") for t in raw if t))
    if len(raw) > MAX_TAGS:
        msg = f"tag は {MAX_TAGS} 個までにしてください"
        raise BadParameterError(msg)
    return tags


def _label(value: str, name: str) -> str:
    if len(value) > MAX_FILTER_CHARS:
        msg = f"{name} は {MAX_FILTER_CHARS} 文字以内で指定してください"
        raise BadParameterError(msg)
    if any(unicodedata.category(c) in ("Cc", "Cs") for c in value):
        msg = f"{name} に制御文字は使えません"
        raise BadParameterError(msg)
    return value


def _year(args: Mapping[str, str]) -> int | None:
    raw = args.get("year", "")
    if raw == "":
        return None
    if not _YEAR.fullmatch(raw) or raw == "0000":
        msg = f"year は西暦4桁（例：2024）で指定してください（{raw[:20]!r} は使えません）"
        raise BadParameterError(msg)
    return int(raw)


def _date(args: Mapping[str, str], name: str) -> dt.date | None:
    raw = args.get(name, "")
    if raw == "":
        return None
    try:
        # The pattern first: fromisoformat also takes "20240101" and other forms.
        if not _DATE.fullmatch(raw) or raw.startswith("0000"):
            raise ValueError(raw)
        return dt.date.fromisoformat(raw)
    except ValueError as exc:
        msg = f"{name} は YYYY-MM-DD 形式の正しい日付で指定してください（{raw[:20]!r} は使えません）"
        raise BadParameterError(msg) from exc


def _sort(args: Mapping[str, str]) -> str | None:
    raw = args.get("sort", "")
    if raw == "":
        return None
    if raw not in SORTS:
        msg = f"sort は {' / '.join(SORTS)} のいずれかで指定してください"
        raise BadParameterError(msg)
    return raw


def _bool(args: Mapping[str, str], name: str, *, default: bool) -> bool:
    raw = args.get(name, "")
    if raw == "":
        return default
    if raw not in ("true", "false"):
        msg = f"{name} は true か false で指定してください"
        raise BadParameterError(msg)
    return raw == "true"


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
