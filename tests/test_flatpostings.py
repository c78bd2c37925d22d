"""Flat postings (indexer/flatpostings.py): Whoosh's postings again, as arrays, in every segment."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
from whoosh import index as whoosh_index
from whoosh.codec.whoosh3 import W3Codec
from whoosh.fields import ID, TEXT, Schema

from indexer import flatpostings, pipeline
from indexer.flatpostings import FlatPostings, FlatPostingsCodec, add_missing, open_flat
from search_app import postings
from search_app.index import IndexHandle
from tests.conftest import write_corpus
from tests.pages import SAMPLE_PAGES

TEXT_FIELDS = ("title", "body", "tags", "title_ng", "body_ng", "text_ng", "title_rd", "body_rd")


def whoosh_terms(reader: object, fields: tuple[str, ...]) -> list[tuple[str, str]]:
    return [(f, b.decode("utf-8")) for f, b in reader.all_terms() if f in fields]  # type: ignore[attr-defined]


def assert_same_as_whoosh(reader: object, flat: FlatPostings, fields: tuple[str, ...]) -> int:
    """Every term's documents, weights and positions agree with Whoosh's matcher; how many terms.

    Flat postings keep a deleted document's postings, as Whoosh's blocks do; its matcher skips them.
    """
    terms = whoosh_terms(reader, fields)
    for fieldname, word in terms:
        term = flat.term(reader, fieldname, word)
        assert term is not None, (fieldname, word)
        fmt = reader.schema[fieldname].format  # type: ignore[attr-defined]
        m = reader.postings(fieldname, word)  # type: ignore[attr-defined]
        expected = []
        while m.is_active():
            positions = fmt.decode_positions(m.value()) if fmt.supports("positions") else []
            expected.append((m.id(), m.weight(), positions))
            m.next()
        picked = np.arange(term.end - term.start)
        found_positions, owners = flat.positions_of(term, picked)
        got = [
            (int(d), float(w), found_positions[owners == k].tolist())
            for k, (d, w) in enumerate(
                zip(flat.ids[term.start : term.end], flat.weights[term.start : term.end], strict=True)
            )
            if not reader.is_deleted(int(d))  # type: ignore[attr-defined]
        ]
        assert got == expected, (fieldname, word)
        # Each posting's block, as the flat postings place it, holds that posting.
        blocks = postings._block_matcher(reader, fieldname, word)
        for index in range(term.end - term.start):
            start, within = flat.block_of(term, index)
            blocks._goto(start)  # type: ignore[union-attr]
            blocks._read_ids()  # type: ignore[union-attr]
            assert blocks._ids[within] == flat.ids[term.start + index]  # type: ignore[union-attr]
    return len(terms)


def test_every_segment_of_a_reindexed_index_has_them(reindexed_index: Path) -> None:
    handle = IndexHandle(reindexed_index)
    with handle.searcher() as searcher:
        readers = [sub.reader() for sub, _ in searcher.leaf_searchers()]
        assert len(readers) > 1
        for reader in readers:
            flat = open_flat(reader)
            assert flat is not None
            assert assert_same_as_whoosh(reader, flat, (*TEXT_FIELDS, "path", "category")) > 100
    handle.close()


def test_an_unknown_term_has_no_range(built_index: Path) -> None:
    handle = IndexHandle(built_index)
    with handle.searcher() as searcher:
        reader = searcher.leaf_searchers()[0][0].reader()
        flat = open_flat(reader)
        assert flat is not None
        assert flat.term(reader, "body", "宇宙旅行") is None
        assert flat.term(reader, "no_such_field", "経費") is None
    handle.close()


SMALL = Schema(key=ID(stored=True, unique=True), text=TEXT(chars=True), counts=TEXT(phrase=False))
DOCS = ["経費 精算 の 締め日", "見積書 と 請求書", "経費 経費 印鑑", "印鑑 の 登録 と 経費"]


def small_index(path: Path, codec: W3Codec, docs: list[str] = DOCS) -> whoosh_index.Index:
    path.mkdir()
    ix = whoosh_index.create_in(str(path), SMALL)
    writer = ix.writer(codec=codec)
    for n, text in enumerate(docs):
        writer.add_document(key=str(n), text=text, counts=text)
    writer.commit()
    return ix


def arrays(ix: whoosh_index.Index) -> list[list[np.ndarray]]:
    with ix.reader() as top:
        found = []
        for reader, _ in top.leaf_readers():
            flat = open_flat(reader)
            assert flat is not None
            found.append([flat.ids, flat.weights, flat.counts, flat.positions, flat.blocks, flat._offsets])
        return found


@pytest.mark.parametrize("blocklimit", [128, 2])
def test_added_later_they_equal_what_the_codec_writes(tmp_path: Path, blocklimit: int) -> None:
    # With 2 postings per block, every term of more than two documents spans several blocks.
    written = small_index(tmp_path / "codec", FlatPostingsCodec(blocklimit=blocklimit), DOCS * 3)
    plain = small_index(tmp_path / "plain", W3Codec(blocklimit=blocklimit), DOCS * 3)
    with plain.reader() as r:
        assert open_flat(r) is None
    assert add_missing(plain) == 1
    assert add_missing(plain) == 0
    for a, b in zip(arrays(written), arrays(plain), strict=True):
        for x, y in zip(a, b, strict=True):
            assert np.array_equal(x, y)
    assert not [name for name in plain.storage.list() if name.endswith(".tmp")]
    with written.reader() as reader:
        flat = open_flat(reader)
        assert flat is not None
        assert flat.blocklimit == blocklimit
        assert assert_same_as_whoosh(reader, flat, ("text", "counts")) == 14
        terms = len(flat._offsets) - 1
        assert terms == 14 + len(DOCS) * 3  # the words of both text fields, and the keys
        per_term = np.diff(flat._starts)
        assert len(flat.blocks) == int(np.sum(-(-per_term // blocklimit)))
        assert (len(flat.blocks) > terms) is (blocklimit == 2)


def test_a_merged_segment_has_them_and_readers_see_plain_w3(tmp_path: Path) -> None:
    ix = small_index(tmp_path / "ix", FlatPostingsCodec(), DOCS[:2])
    writer = ix.writer(codec=FlatPostingsCodec())
    for n, text in enumerate(DOCS[2:], start=2):
        writer.add_document(key=str(n), text=text, counts=text)
    writer.delete_by_term("key", "0")
    writer.commit(optimize=True)
    segments = ix._segments()
    assert len(segments) == 1
    assert type(segments[0].codec()) is W3Codec
    with ix.reader() as reader:
        flat = open_flat(reader)
        assert flat is not None
        # The deleted document's words are gone; Whoosh's default analyzer drops one-character words.
        words = {w for text in DOCS[1:] for w in text.split() if len(w) > 1}
        assert assert_same_as_whoosh(reader, flat, ("text", "counts")) == len(words) * 2


def test_a_part_missing_means_none(tmp_path: Path) -> None:
    ix = small_index(tmp_path / "plain", W3Codec())
    add_missing(ix)
    segment = ix._segments()[0]
    ix.storage.delete_file(segment.make_filename(flatpostings.COUNTS))
    with ix.reader() as reader:
        assert open_flat(reader) is None


def test_the_indexer_adds_them_to_an_older_index_once(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    corpus = write_corpus(tmp_path / "corpus", SAMPLE_PAGES)
    monkeypatch.setattr(pipeline, "FlatPostingsCodec", W3Codec)  # an index from before flat postings
    pipeline.run(corpus, tmp_path / "index", jobs=1)
    monkeypatch.undo()
    before = whoosh_index.open_dir(str(tmp_path / "index"))
    generation = before.latest_generation()
    with before.reader() as r:
        assert open_flat(r) is None
    before.close()
    summary = pipeline.run(corpus, tmp_path / "index", jobs=1)
    assert summary.upgraded == 1
    assert "flat postings added to 1 segment" in summary.line()
    after = whoosh_index.open_dir(str(tmp_path / "index"))
    assert after.latest_generation() == generation + 1  # running apps reopen
    with after.reader() as r:
        assert open_flat(r) is not None
    after.close()
    assert pipeline.run(corpus, tmp_path / "index", jobs=1).upgraded == 0


@pytest.mark.parametrize(
    ("words", "slop", "found"),
    [
        (["経費", "精算"], 1, True),
        (["精算", "経費"], 1, False),
        (["経費", "締め日"], 3, True),
        (["経費", "締め日"], 1, False),
        (["見積書", "請求書"], 3, True),
        (["印鑑", "経費"], 8, True),
        (["経費", "経費"], 1, True),
        (["経費", "宇宙"], 1, False),
    ],
)
def test_phrases_agree_with_the_block_path(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, words: list[str], slop: int, found: bool
) -> None:
    # Two postings per block: the block path skips and reads across several blocks.
    ix = small_index(tmp_path / "ix", FlatPostingsCodec(blocklimit=2), DOCS * 3)
    with ix.searcher() as searcher:
        allowed = np.ones(searcher.doc_count_all(), dtype=bool)
        allowed[4] = False  # a copy of the first document
        flat_docs, flat_weights = postings.phrase_matches(searcher, "text", words, allowed, slop=slop)
        monkeypatch.setattr(postings, "flat_postings", lambda reader: None)
        block_docs, block_weights = postings.phrase_matches(searcher, "text", words, allowed, slop=slop)
    assert flat_docs.tolist() == block_docs.tolist()
    assert bool(len(flat_docs)) is found
    assert 4 not in flat_docs.tolist()
    for a, b in zip(flat_weights, block_weights, strict=True):
        assert a.tolist() == b.tolist()


def test_highlight_offsets_come_from_the_right_block(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    ix = small_index(tmp_path / "ix", FlatPostingsCodec(blocklimit=2), DOCS * 3)
    with ix.searcher() as searcher:
        wanted = [0, 2, 3, 6, 11]  # the documents with 経費, over several blocks
        by_block = postings.characters(searcher, "text", "経費", wanted)
        monkeypatch.setattr(postings, "flat_postings", lambda reader: None)
        assert by_block == postings.characters(searcher, "text", "経費", wanted)
    assert sorted(by_block) == [0, 2, 3, 6, 11]
    assert by_block[2] == [(0, 0, 2), (1, 3, 5)]


def test_a_damaged_part_is_reported_and_the_blocks_answer(tmp_path: Path, caplog: pytest.LogCaptureFixture) -> None:
    ix = small_index(tmp_path / "plain", W3Codec(), DOCS * 3)
    add_missing(ix)
    segment = ix._segments()[0]
    part = tmp_path / "plain" / segment.make_filename(flatpostings.POSITIONS)
    part.write_bytes(part.read_bytes()[:-4])  # one position short
    with ix.searcher() as searcher:
        reader = searcher.leaf_searchers()[0][0].reader()
        with pytest.raises(ValueError, match="disagree"):
            open_flat(reader)
        allowed = np.ones(searcher.doc_count_all(), dtype=bool)
        docs, _ = postings.phrase_matches(searcher, "text", ["経費", "精算"], allowed)
        assert postings.flat_postings(reader) is None
    assert docs.tolist() == [0, 4, 8]
    assert "flat postings unreadable" in caplog.text
    assert add_missing(ix) == 0  # left alone: a run never repeats the work
