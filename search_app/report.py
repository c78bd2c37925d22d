"""`python -m search_app report`: what readers searched for, from the search log, as text, JSON or CSV."""

from __future__ import annotations

import argparse
import csv
import io
import json
import os
import sqlite3
import sys
import unicodedata
from collections.abc import Sequence
from dataclasses import asdict, dataclass, field
from pathlib import Path

from search_app.searchlog import cutoff

# Rows per section unless --limit says otherwise.
DEFAULT_LIMIT = 20


@dataclass(frozen=True)
class Group:
    """Searches sharing a normalized query: how often, when last, and what a reader typed last."""

    normalized: str
    example: str
    count: int
    last_seen: str
    total: int = 0
    suggestion: str | None = None


@dataclass(frozen=True)
class Slow:
    """One slow search."""

    at: str
    query: str
    elapsed_ms: float
    total: int
    page: int


@dataclass
class Report:
    """The report's sections over the last `days` days."""

    days: float
    searches: int = 0
    zero_result_searches: int = 0
    top: list[Group] = field(default_factory=list)
    zero_results: list[Group] = field(default_factory=list)
    relaxed: list[Group] = field(default_factory=list)
    suggested: list[Group] = field(default_factory=list)
    slowest: list[Slow] = field(default_factory=list)


# Groups count first pages only (a reader paging through results searched once), of queries
# with words (a filter-only listing is browsing, not a query). SQLite takes the bare columns
# (query, total, suggestion) from the row holding max(at): what was typed last.
_GROUPS = """
SELECT normalized, query, count(*), max(at), total, suggestion FROM searches
WHERE at >= ? AND page = 1 AND normalized != '' {where}
GROUP BY normalized {by} ORDER BY count(*) DESC, max(at) DESC LIMIT ?
"""


def build_report(conn: sqlite3.Connection, days: float, limit: int = DEFAULT_LIMIT) -> Report:
    """Read the report's sections from an open log database."""
    since = cutoff(days)
    report = Report(days=days)
    report.searches, report.zero_result_searches = conn.execute(
        "SELECT count(*), coalesce(sum(total = 0), 0) FROM searches WHERE at >= ? AND page = 1 AND normalized != ''",
        (since,),
    ).fetchone()

    def groups(where: str = "", by: str = "") -> list[Group]:
        rows = conn.execute(_GROUPS.format(where=where, by=by), (since, limit))
        return [Group(n, q, c, last, t, s) for n, q, c, last, t, s in rows]

    report.top = groups()
    report.zero_results = groups("AND total = 0")
    report.relaxed = groups("AND relaxed = 1")
    report.suggested = groups("AND suggestion IS NOT NULL", ", suggestion")
    report.slowest = [
        Slow(*row)
        for row in conn.execute(
            "SELECT at, query, elapsed_ms, total, page FROM searches WHERE at >= ? "
            "ORDER BY elapsed_ms DESC, at DESC LIMIT ?",
            (since, limit),
        )
    ]
    return report


def as_json(report: Report) -> str:
    """The report as one JSON object."""
    return json.dumps(asdict(report), ensure_ascii=False, indent=2)


_SECTIONS = (
    ("top", "よく検索された語 / top queries"),
    ("zero_results", "0 件だった語 / zero-result queries (synonyms and user dictionary to-do list)"),
    ("relaxed", "すべての語を含む記事がなかった語 / relaxed queries"),
    ("suggested", "もしかして を出した語 / もしかして offered"),
)


def _cell(value: object) -> object:
    """A CSV cell a spreadsheet shows as text: a reader's query starting with = + - @ is not run as a formula."""
    if isinstance(value, str) and value[:1] in ("=", "+", "-", "@", "\t", "\r"):
        return "'" + value
    return value


def _printable(text: str) -> str:
    """A reader's query for a terminal: control characters (an escape sequence) shown, never sent."""
    return "".join(c if unicodedata.category(c) not in ("Cc", "Cf") else f"\\u{ord(c):04x}" for c in text)


def as_csv(report: Report) -> str:
    """One table: section, normalized, query, count, last_seen, total, suggestion, elapsed_ms."""
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\n")
    writer.writerow(["section", "normalized", "query", "count", "last_seen", "total", "suggestion", "elapsed_ms"])
    for name, _ in _SECTIONS:
        for g in getattr(report, name):
            row = [name, g.normalized, g.example, g.count, g.last_seen, g.total, g.suggestion or "", ""]
            writer.writerow([_cell(v) for v in row])
    for s in report.slowest:
        writer.writerow([_cell(v) for v in ["slowest", "", s.query, 1, s.at, s.total, "", s.elapsed_ms]])
    return out.getvalue()


def as_text(report: Report) -> str:
    """The report for a terminal."""
    share = report.zero_result_searches / report.searches if report.searches else 0.0
    lines = [
        f"search log, last {report.days:g} days: {report.searches} searches, "
        f"{report.zero_result_searches} with no result ({share:.0%})"
    ]
    for name, title in _SECTIONS:
        lines += ["", title]
        groups: list[Group] = getattr(report, name)
        if not groups:
            lines.append("  (none)")
        for g in groups:
            extra = f"  → {g.suggestion}" if name == "suggested" else f"  {g.total} 件" if name == "top" else ""
            lines.append(f"  {g.count:>5}  {_printable(g.example)}  (last {_short(g.last_seen)}){_printable(extra)}")
    lines += ["", "遅かった検索 / slowest searches"]
    if not report.slowest:
        lines.append("  (none)")
    for s in report.slowest:
        query = _printable(s.query) or "(filters only)"
        lines.append(f"  {s.elapsed_ms:>8.1f} ms  {query}  p.{s.page}  ({_short(s.at)})")
    return "\n".join(lines) + "\n"


def _short(at: str) -> str:
    """2026-12-02T10:11:12.123456Z → 2026-12-02 10:11."""
    return at[:16].replace("T", " ")


def build_parser() -> argparse.ArgumentParser:
    """Command line of the report."""
    parser = argparse.ArgumentParser(prog="python -m search_app report", description="What readers searched for.")
    parser.add_argument("--days", type=float, default=30.0, help="the last N days (default: %(default)g)")
    parser.add_argument("--format", choices=("text", "json", "csv"), default="text")
    parser.add_argument("--limit", type=int, default=DEFAULT_LIMIT, help="rows per section (default: %(default)s)")
    parser.add_argument("--log", help="the search log database (default: SEARCH_LOG_DB or var/search-log.sqlite3)")
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    """Print the report; exit 1 when there is no log to read."""
    args = build_parser().parse_args(argv)
    path = args.log or _configured_log()
    if not path or not Path(path).is_file():
        print(f"report: no search log at {path or '(turned off: SEARCH_LOG_DB is empty)'}", file=sys.stderr)
        return 1
    # Read-only: the report never creates or changes the log.
    conn = sqlite3.connect(f"file:{os.path.abspath(path)}?mode=ro", uri=True, timeout=10)
    try:
        report = build_report(conn, args.days, args.limit)
    except sqlite3.Error as exc:
        print(f"report: cannot read the search log at {path}: {exc}", file=sys.stderr)
        return 1
    finally:
        conn.close()
    render = {"text": as_text, "json": as_json, "csv": as_csv}[args.format]
    sys.stdout.write(render(report) if args.format != "json" else render(report) + "\n")
    return 0


def _configured_log() -> str:
    """The app's LOG_DB setting (defaults, instance file, SEARCH_* variables)."""
    from search_app import create_app

    return str(create_app().config.get("LOG_DB") or "")
