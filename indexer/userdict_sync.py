"""Re-index what a user dictionary change affects: the documents that contain a changed word."""

from __future__ import annotations

import os
from collections.abc import Iterable
from pathlib import Path

from whoosh import query as wq
from whoosh.index import Index

from indexer.dictionaries import UserWord, read_user_dictionary
from indexer.ngrams import query_char_runs

# Kept in each index generation: the dictionary the index was built with.
SNAPSHOT_NAME = "userdic.snapshot.csv"


def read_snapshot(index_dir: Path) -> tuple[UserWord, ...] | None:
    """The dictionary an index was built with, or None if it does not say."""
    path = index_dir / SNAPSHOT_NAME
    if not path.exists():
        return None
    return read_user_dictionary(path)


def write_snapshot(index_dir: Path, words: Iterable[UserWord]) -> None:
    """Record the dictionary an index was built with (atomically)."""
    tmp = index_dir / f".{SNAPSHOT_NAME}.{os.getpid()}"
    tmp.write_text("".join(f"{w.surface},{w.pos},{w.reading}\n" for w in words), encoding="utf-8")
    os.replace(tmp, index_dir / SNAPSHOT_NAME)


def affected_paths(ix: Index, surfaces: Iterable[str]) -> set[str] | None:
    """Paths of documents whose text contains any of the surfaces; None means "all of them".

    The character n-gram fields find candidates without reading stored text; a
    surface without kanji, katakana or letters (all hiragana) cannot be looked up
    that way, so every document counts as affected.
    """
    clauses = []
    for surface in surfaces:
        runs = query_char_runs(surface)
        if not runs:
            return None
        per_run = [
            wq.Or([wq.Term(f, run[0]) if len(run) == 1 else wq.Phrase(f, run) for f in ("title_ng", "body_ng")])
            for run in runs
        ]
        clauses.append(per_run[0] if len(per_run) == 1 else wq.And(per_run))
    if not clauses:
        return set()
    with ix.searcher() as searcher:
        paths = searcher.reader().column_reader("path")
        return {paths[d] for d in searcher.docs_for_query(wq.Or(clauses))}
