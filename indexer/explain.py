"""`python -m indexer --explain PAGE.html`: what the extractor takes from one page, and what it drops and why."""

from __future__ import annotations

import os
from pathlib import Path

from indexer.boilerplate import Trace
from indexer.extract import extract_file
from indexer.profiles import NO_PROFILES, Profiles

_LINE_CHARS = 70


def page_key(page: Path, corpus: Path) -> str:
    """The page's document key: its path under the corpus, or its file name outside it."""
    try:
        return page.resolve().relative_to(corpus.resolve()).as_posix()
    except ValueError:
        return page.name


def explain(page: Path, corpus: Path, profiles: Profiles = NO_PROFILES) -> str:
    """The report for one page; raises OSError or ExtractionError when it cannot be read or extracted."""
    data = page.read_bytes()
    key = page_key(page, corpus)
    trace = Trace()
    art = extract_file(data, key, profiles=profiles, trace=trace)
    lines = art.body.split("\n")
    src = trace.sources
    out = [
        f"page: {os.fspath(page)} (key {key})",
        f"title: {art.title}  [{src.get('title') or 'first line of the body'}]",
        f"date: {art.date.isoformat() if art.date else '(none)'}  [{src.get('date') or 'no date found'}]",
        f"category: {art.category or '(none)'}  [{src.get('category') or 'no category found'}]",
        f"tags: {', '.join(art.tags) or '(none)'}",
        f"description: {_short(art.description)}",
        f"url: {art.url or '(none)'}",
        f"body: {len(art.body)} characters, {len(lines)} lines  [{src.get('body', '')}]",
        f"  first: {_short(lines[0])}",
        f"  last:  {_short(lines[-1])}",
        f"dropped ({len(trace.dropped)}):",
    ]
    out += [f"  {d.rule}: {d.element} {d.text}" for d in trace.dropped] or ["  (nothing)"]
    out += [f"warning: {w}" for w in art.warnings]
    return "\n".join(out)


def _short(text: str) -> str:
    return text if len(text) <= _LINE_CHARS else text[: _LINE_CHARS - 1] + "…"
