"""Postings read from flat arrays or block by block (search_app/postings.py), field lengths as arrays (gramscore.py)."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import numpy as np
import pytest
from whoosh.searching import Searcher

from search_app import postings
from search_app.gramscore import field_lengths, live_mask
from search_app.index import IndexHandle

TERMS = [
    ("body", "経費"),
    ("title", "経費"),
    ("body_ng", "経費"),
    ("body_ng", "書"),
    ("tags", "見積書"),
    ("body", "宇宙"),
]


@pytest.fixture(scope="module")
def searcher(reindexed_index: Path) -> Iterator[Searcher]:
    """Two segments, one with a deleted document."""
    handle = IndexHandle(reindexed_index)
    with handle.searcher() as s:
        assert len(s.leaf_searchers()) > 1
        yield s
    handle.close()


def whoosh_postings(searcher: Searcher, fieldname: str, word: str) -> list[tuple[int, float, bytes]]:
    """(docnum, weight, value) of every live posting, through Whoosh's public matcher API."""
    found = []
    for sub, offset in searcher.leaf_searchers():
        reader = sub.reader()
        if (fieldname, word) not in reader:
            continue
        m = reader.postings(fieldname, word)
        while m.is_active():
            found.append((m.id() + offset, m.weight(), m.value()))
            m.next()
    return found


def block_postings(searcher: Searcher, fieldname: str, word: str, wanted: list[int] | None = None) -> list[tuple]:
    """The same through read_postings, deleted documents dropped as the callers do."""
    live = live_mask(searcher)
    found = []
    for sub, offset in searcher.leaf_searchers():
        reader = sub.reader()
        local = None
        if wanted is not None:
            local = np.asarray([d - offset for d in wanted if offset <= d < offset + reader.doc_count_all()])
        p = postings.read_postings(reader, fieldname, word, local, values=True)
        found.extend(
            (d + offset, w, v)
            for d, w, v in zip(p.ids.tolist(), p.weights.tolist(), p.values or [], strict=True)
            if live[d + offset]
        )
    return found


@pytest.mark.parametrize(("fieldname", "word"), TERMS)
def test_blocks_give_what_the_matcher_gives(searcher: Searcher, fieldname: str, word: str) -> None:
    expected = whoosh_postings(searcher, fieldname, word)
    assert block_postings(searcher, fieldname, word) == expected
    some = [d for d, _, _ in expected][::2]
    assert block_postings(searcher, fieldname, word, some) == [p for p in expected if p[0] in some]


@pytest.mark.parametrize(("fieldname", "word"), TERMS)
def test_the_one_by_one_path_agrees(
    searcher: Searcher, monkeypatch: pytest.MonkeyPatch, fieldname: str, word: str
) -> None:
    # Another postings format (no Whoosh block reader) goes through the public API.
    expected = block_postings(searcher, fieldname, word)
    monkeypatch.setattr(postings, "_block_matcher", lambda *args: None)
    assert block_postings(searcher, fieldname, word) == expected
    some = [d for d, _, _ in expected][1::2]
    assert block_postings(searcher, fieldname, word, some) == [p for p in expected if p[0] in some]


@pytest.mark.parametrize(("fieldname", "word"), [*TERMS, ("text_ng", "経費"), ("path", "2021/keihi.html")])
def test_flat_arrays_give_what_the_blocks_give(searcher: Searcher, fieldname: str, word: str) -> None:
    live = live_mask(searcher)
    for sub, offset in searcher.leaf_searchers():
        reader = sub.reader()
        assert postings.flat_postings(reader) is not None
        flat = postings.read_postings(reader, fieldname, word)
        blocks = postings.read_postings(reader, fieldname, word, values=True)  # values come from the blocks
        # Both may hold deleted documents (the callers' masks drop them); the live ones agree.
        kept, kept_blocks = live[flat.ids + offset], live[blocks.ids + offset]
        assert flat.ids[kept].tolist() == blocks.ids[kept_blocks].tolist()
        assert flat.weights[kept].tolist() == blocks.weights[kept_blocks].tolist()
        some = np.concatenate([flat.ids[::2], [10_000]])
        part = postings.read_postings(reader, fieldname, word, some)
        assert part.ids.tolist() == flat.ids[::2].tolist()
        assert part.weights.tolist() == flat.weights[::2].tolist()


@pytest.mark.parametrize(("fieldname", "word"), TERMS)
def test_highlight_offsets_read_from_the_right_blocks(
    searcher: Searcher, monkeypatch: pytest.MonkeyPatch, fieldname: str, word: str
) -> None:
    docnums = sorted({d for d, _, _ in whoosh_postings(searcher, fieldname, word)})
    for wanted in (docnums, docnums[1::2], docnums[-1:]):
        by_block = postings.characters(searcher, fieldname, word, wanted)
        with monkeypatch.context() as m:
            m.setattr(postings, "flat_postings", lambda reader: None)
            assert by_block == postings.characters(searcher, fieldname, word, wanted)
        assert sorted(by_block) == wanted


@pytest.mark.parametrize("fieldname", ["title", "body", "tags", "body_ng", "text_ng", "body_rd"])
def test_field_lengths_are_whooshs(searcher: Searcher, fieldname: str) -> None:
    lengths = field_lengths(searcher, fieldname)
    reader = searcher.reader()
    live = live_mask(searcher)
    for docnum in range(searcher.doc_count_all()):
        expected = (reader.doc_field_length(docnum, fieldname, 0) or 0) if live[docnum] else 0
        assert lengths[docnum] == expected, docnum
    assert lengths[live].any()
