"""Where an index's bytes go, field by field: flat postings, term dictionary, stored values."""

from __future__ import annotations

import pickle
import zlib
from pathlib import Path
from typing import Any

import numpy as np

from indexer.flatpostings import term_range

# Bytes of one row of Whoosh's term table besides its key and value: the key and value
# lengths (8), the hash slot (16, two per entry at most half full) and the ordered index (8).
TERM_ROW_OVERHEAD = 32


def field_bytes(index: Path) -> dict[str, dict[str, int]]:
    """Per field: bytes of its documents, counts and positions in the flat arrays, of its rows in the
    term table, and of its stored values (each document's value pickled and compressed alone, so a
    slight overestimate of the stored column's share); plus every file's total under "_files"."""
    from whoosh import index as whoosh_index

    ix = whoosh_index.open_dir(str(index))
    out: dict[str, dict[str, int]] = {}
    try:
        with ix.reader() as top:
            for reader, _base in top.leaf_readers():
                _segment_fields(reader, out)
            for _docnum, stored in top.iter_docs():
                for name, value in stored.items():
                    row = out.setdefault(name, _empty())
                    row["stored"] += len(zlib.compress(pickle.dumps(value, 2)))
    finally:
        ix.close()
    total = sum(f.stat().st_size for f in Path(index).resolve().rglob("*") if f.is_file())
    out["_files"] = {"total": total}
    return out


def _empty() -> dict[str, int]:
    return {"terms": 0, "term_table": 0, "ids": 0, "counts": 0, "positions": 0, "stored": 0}


def _segment_fields(reader: Any, out: dict[str, dict[str, int]]) -> None:
    terms = reader._terms
    flat = getattr(terms, "flat", None)
    for (fieldname, btext), info in terms.items():
        row = out.setdefault(fieldname, _empty())
        row["terms"] += 1
        key = terms._keycoder(fieldname, btext)
        row["term_table"] += TERM_ROW_OVERHEAD + len(key) + len(terms._tindex[key])
        if flat is not None and fieldname in flat.fields:
            where = term_range(info)
            counts = flat.counts(where)
            row["ids"] += (where.end - where.start) * flat.ids.itemsize
            row["counts"] += where.end - where.start
            if fieldname != "text_ng":
                row["positions"] += int(np.sum(counts)) * flat.positions.itemsize


def print_fields(table: dict[str, dict[str, int]], text_bytes: int) -> None:
    """The per-field table, in MB and as a multiple of the text."""
    mb = 2**20
    cols = ("terms", "term_table", "ids", "counts", "positions", "stored")
    print(f"{'field':<12}" + "".join(f"{c:>12}" for c in cols) + f"{'total MB':>10}{'× text':>8}")
    for name in sorted(k for k in table if not k.startswith("_")):
        row = table[name]
        size = sum(row[c] for c in cols if c != "terms")
        cells = f"{row['terms']:>12,}" + "".join(f"{row[c] / mb:>12.2f}" for c in cols[1:])
        print(f"{name:<12}{cells}{size / mb:>10.2f}{size / text_bytes:>8.2f}")
    total = table["_files"]["total"]
    print(f"{'all files':<12}{'':>72}{total / mb:>10.2f}{total / text_bytes:>8.2f}")
