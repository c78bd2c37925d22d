"""The ground truth of the flat postings: every document's stored text analyzed again, field by field.

Shared by indexer/test_flatpostings.py (what the writer wrote) and engine/test_postings.py (what the engine reads).
"""

from __future__ import annotations

from collections import defaultdict
from pathlib import Path
from typing import Any

import numpy as np
from whoosh import index as whoosh_index
from whoosh.fields import ID, TEXT, Schema
from whoosh.reading import IndexReader

from indexer.analysis import analyze_with_readings
from indexer.flatpostings import term_range
from indexer.leanwriter import LeanWriter
from indexer.ngrams import reading_grams
from indexer.schema import TITLE_REPEAT
from search_app.engine import postings
from tests.pages import Page, paragraphs

TEXT_FIELDS = ("title", "body", "tags", "title_ng", "body_ng", "text_ng", "title_rd", "body_rd")
# text_ng keeps its lengths only: its postings are title_ng's counts TITLE_REPEAT times plus body_ng's
# (search_app.engine.postings.gram_postings).
FLAT_FIELDS = tuple(f for f in TEXT_FIELDS if f != "text_ng")
WORD_FIELDS = {"title": "title", "body": "body", "tags": "tags"}
NGRAM_FIELDS = {"title_ng": "title", "body_ng": "body"}
READING_FIELDS = {"title_rd": "title", "body_rd": "body"}

# Pages whose text changes under NFKC (full-width letters, half-width katakana with voiced marks,
# ㈱ ㍿ ㌔ ① ﬃ Ⅻ), iteration marks (々), a word repeated past the one-byte count, a one-word body.
ODD_PAGES: dict[str, Page] = {
    "odd/nfkc.html": Page(
        title="㈱ＡＢＣの佐々木と㍿ﾃｽﾄ",
        body_html=paragraphs(
            "ﾊﾝｶｸｶﾀｶﾅとＦＵＬＬ幅、時々㈱テスト。ｶﾞｷﾞ ﾊﾟﾋﾟの①②と㌔",
            "ﬃの文字とⅫ章、ＥＸＣＥＬの表。",
        ),
        tags=("ﾀｸﾞ", "㈱", "ＡＢＣ"),
        slug="nfkc",
    ),
    "odd/repeat.html": Page(
        title="経費の経費",
        body_html=paragraphs("経費、" * 300 + "以上。"),
        tags=("経費",),
        slug="repeat",
    ),
    "odd/short.html": Page(title="短い", body_html=paragraphs("宇宙"), tags=(), slug="short"),
    "odd/half.html": Page(
        title="½の量と㋿元年",
        body_html=paragraphs("½の量と¼の量。", "㋿元年の㍻。"),
        tags=("½",),
        slug="half",
    ),
}


# --- the ground truth: the stored text analyzed again -------------------------------------------

# A document's postings: field → term → (count, positions).
DocPostings = dict[str, dict[str, tuple[int, tuple[int, ...]]]]


def by_term(pairs: Any) -> dict[str, tuple[int, tuple[int, ...]]]:
    found: dict[str, list[int]] = defaultdict(list)
    for term, pos in pairs:
        found[term].append(pos)
    return {t: (len(p), tuple(sorted(p))) for t, p in found.items()}


def expected_postings(schema: Schema, stored: dict[str, Any]) -> DocPostings:
    """What each text field must hold for a document, from its stored text."""
    morph = schema["body"].analyzer
    out: DocPostings = {}
    for field, source in {**WORD_FIELDS, **NGRAM_FIELDS}.items():
        tokens = schema[field].analyzer(stored.get(source) or "", positions=True, chars=True, mode="index")
        out[field] = by_term((t.text, t.pos) for t in tokens)
    for field, source in READING_FIELDS.items():
        readings = analyze_with_readings(morph, stored.get(source) or "")[1]
        out[field] = by_term((g, p) for g, p, _s, _e in reading_grams(readings))
    return {f: terms for f, terms in out.items() if terms}


def expected_text_ng(expected: DocPostings) -> dict[str, int]:
    """text_ng's count of each gram: the title's TITLE_REPEAT times plus the body's."""
    title, body = expected.get("title_ng", {}), expected.get("body_ng", {})
    return {g: TITLE_REPEAT * title.get(g, (0,))[0] + body.get(g, (0,))[0] for g in set(title) | set(body)}


def flat_postings_by_doc(reader: IndexReader, fields: tuple[str, ...] = FLAT_FIELDS) -> dict[int, DocPostings]:
    """What a segment's flat arrays hold, by segment docnum (deleted documents included)."""
    flat = postings.flat_postings(reader)
    assert flat is not None
    found: dict[int, DocPostings] = defaultdict(lambda: defaultdict(dict))
    for fieldname, btext in reader.all_terms():
        if fieldname not in fields:
            continue
        assert fieldname in flat.fields, fieldname
        term = term_range(reader.term_info(fieldname, btext))
        ids, counts = flat.doc_ids(term), flat.counts(term)
        assert len(ids), (fieldname, btext)
        assert np.all(np.diff(ids) > 0), (fieldname, btext)  # ascending, each document once
        assert np.all(counts > 0)
        if reader.schema[fieldname].format.supports("positions"):
            positions, owners = flat.positions_of(term, np.arange(len(ids)))
            assert len(positions) == int(counts.sum())
        else:  # counts only (text_ng): no positions to read
            positions, owners = np.zeros(0, dtype=np.int64), np.zeros(0, dtype=np.int64)
        for k, (doc, count) in enumerate(zip(ids.tolist(), counts.tolist(), strict=True)):
            found[doc][fieldname][btext.decode("utf-8")] = (count, tuple(positions[owners == k].tolist()))
    return {d: {f: dict(t) for f, t in fields_.items()} for d, fields_ in found.items()}


def leaf_readers(ix_or_searcher: Any) -> list[tuple[IndexReader, int]]:
    return [(sub.reader(), offset) for sub, offset in ix_or_searcher.leaf_searchers()]


# --- a small schema, written by LeanWriter directly ----------------------------------------------

SMALL = Schema(
    key=ID(stored=True, unique=True),
    text=TEXT(stored=True, field_boost=2.0),
    counts=TEXT(phrase=False),
)
DOCS = ["経費 精算 の 締め日", "見積書 と 請求書", "経費 経費 印鑑", "印鑑 の 登録 と 経費"]


def small_index(path: Path, batches: list[list[str]], **writer_args: Any) -> whoosh_index.Index:
    """One LeanWriter commit (one segment, unless merged) per batch of texts; keys number the texts."""
    path.mkdir()
    ix = whoosh_index.create_in(str(path), SMALL)
    n = 0
    for batch in batches:
        writer = LeanWriter(ix, **writer_args)
        for text in batch:
            writer.add_document(key=str(n), text=text, counts=text)
            n += 1
        writer.commit(merge=False)
    return ix
