"""Search URLs that keep the reader's state (query, filters, sort, page size) across every link."""

from __future__ import annotations

from collections.abc import Callable, Iterable
from urllib.parse import urlencode

from flask import url_for

from search_app.engine import Filters
from search_app.params import SearchArgs

# Changing any of these starts again from page 1.
_RESETS_PAGE = frozenset({"q", "category", "tag", "add_tag", "remove_tag", "year", "date_from", "date_to", "sort"})


def state_params(args: SearchArgs, default_per_page: int) -> dict[str, object]:
    """The request's state as URL parameters (None or empty: left out)."""
    f = args.filters
    return {
        "q": args.query,
        "category": f.category,
        "tag": list(f.tags),
        "year": f.year,
        "date_from": f.date_from.isoformat() if f.date_from else None,
        "date_to": f.date_to.isoformat() if f.date_to else None,
        "sort": args.sort,
        "per_page": args.per_page if args.per_page != default_per_page else None,
        "page": args.page if args.page != 1 else None,
    }


def with_changes(params: dict[str, object], **changes: object) -> dict[str, object]:
    """The parameters after `changes` (None removes one; add_tag/remove_tag edit the tags)."""
    out = dict(params)
    if _RESETS_PAGE & changes.keys():
        out["page"] = None
    tags = list(out.get("tag") or ())  # type: ignore[call-overload]
    if (tag := changes.pop("add_tag", None)) is not None and tag not in tags:
        tags.append(tag)
    if (tag := changes.pop("remove_tag", None)) is not None:
        tags = [t for t in tags if t != tag]
    out["tag"] = tags
    out.update(changes)
    if out.get("page") == 1:
        out["page"] = None
    return out


def query_string(params: dict[str, object]) -> str:
    """`?a=1&tag=x&tag=y` in a fixed order, without empty values ("" when nothing is left)."""
    pairs: list[tuple[str, str]] = []
    for name, value in params.items():
        values: Iterable[object] = value if isinstance(value, (list, tuple)) else (value,)
        pairs.extend((name, str(v)) for v in values if v is not None and v != "")
    return "?" + urlencode(pairs) if pairs else ""


def url_maker(args: SearchArgs, default_per_page: int, endpoint: str = "pages.search") -> Callable[..., str]:
    """`url_with(**changes)` for the templates: this request's URL with some parameters changed."""
    params = state_params(args, default_per_page)

    def url_with(**changes: object) -> str:
        """The search URL with `changes` applied (and page 1 when filters, sort or query change)."""
        return url_for(endpoint) + query_string(with_changes(params, **changes))

    return url_with


def feed_url(args: SearchArgs, endpoint: str = "atom.search_feed", *, external: bool = False) -> str:
    """The Atom feed of this search (or its page, by `endpoint`): the same query and filters, no order or page."""
    params = state_params(args, args.per_page)
    params.update(sort=None, per_page=None, page=None)
    return url_for(endpoint, _external=external) + query_string(params)


def active_filters(filters: Filters) -> list[tuple[str, str]]:
    """(name, value) of each filter that is set, in the order the chips show them."""
    chips: list[tuple[str, str]] = []
    if filters.category:
        chips.append(("category", filters.category))
    chips.extend(("tag", t) for t in filters.tags)
    if filters.year is not None:
        chips.append(("year", str(filters.year)))
    if filters.date_from:
        chips.append(("date_from", filters.date_from.isoformat()))
    if filters.date_to:
        chips.append(("date_to", filters.date_to.isoformat()))
    return chips
