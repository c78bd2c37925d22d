"""Flat postings (indexer/flatpostings.py, indexer/leanwriter.py): the text fields' only postings.

The ground truth is the stored text analyzed again: every document's terms, counts and
positions in the flat arrays must be what the schema's analyzers give for its stored title,
body and tags, in every segment, before and after a merge.
"""

from __future__ import annotations

import gc
import io
import shutil
import warnings
from pathlib import Path
from typing import Any

import numpy as np
import pytest
from whoosh import index as whoosh_index
from whoosh.reading import IndexReader

from indexer import flatpostings, leanwriter, pipeline
from indexer.analysis import analyze, analyze_with_readings
from indexer.flatpostings import FieldPostings, FlatPostings, FlatWriter, group, open_flat, term_range
from indexer.leanwriter import LeanCodec, LeanWriter, written_by_this_version
from indexer.schema import FIELD_BOOSTS, TITLE_REPEAT, build_schema
from indexer.store import IndexUnavailableError, open_index
from search_app.engine import postings
from tests.factories import index_pages, write_corpus
from tests.pages import SAMPLE_PAGES
from tests.postings_truth import (
    DOCS,
    FLAT_FIELDS,
    ODD_PAGES,
    SMALL,
    DocPostings,
    by_term,
    expected_postings,
    expected_text_ng,
    flat_postings_by_doc,
    leaf_readers,
    small_index,
)


def check_against_stored_text(searcher: Any) -> int:
    """Every segment's flat postings are the stored text re-analyzed; how many documents were checked."""
    checked = 0
    for reader, _offset in leaf_readers(searcher):
        actual = flat_postings_by_doc(reader)
        # text_ng has a length per document and no terms of its own.
        assert not list(reader.lexicon("text_ng"))
        assert "text_ng" not in postings.flat_postings(reader).fields
        for docnum in range(reader.doc_count_all()):
            # A deleted document's postings stay until a merge: they must still be right.
            expected = expected_postings(reader.schema, reader.stored_fields(docnum))
            got = actual.get(docnum, {})
            for field in FLAT_FIELDS:
                assert got.get(field, {}) == expected.get(field, {}), (docnum, field)
            for gram, count in expected_text_ng(expected).items():
                gp = postings.gram_postings(reader, gram, np.array([docnum]))
                assert (gp.ids.tolist(), gp.weights.tolist()) == ([docnum], [float(count)]), (docnum, gram)
            checked += 1
    return checked


@pytest.mark.parametrize("which", ["built_index", "reindexed_index", "odd_index"])
def test_the_flat_arrays_hold_the_stored_text_reanalyzed(request: pytest.FixtureRequest, which: str) -> None:
    ix = whoosh_index.open_dir(str(request.getfixturevalue(which)))
    try:
        with ix.searcher() as searcher:
            assert written_by_this_version(ix)
            if which == "reindexed_index":
                assert len(searcher.leaf_searchers()) > 1
                assert searcher.reader().has_deletions()
            assert check_against_stored_text(searcher) == searcher.doc_count_all()
    finally:
        ix.close()


def test_positions_reordered_a_few_postings_at_a_time_are_the_same(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    # The writer moves positions in bounded steps (memory at 50,000 articles); steps of three
    # postings cut through terms and documents everywhere, and the arrays must not change.
    monkeypatch.setattr(leanwriter, "_GATHER_POSTINGS", 3)
    ix = whoosh_index.open_dir(str(index_pages(tmp_path, {**SAMPLE_PAGES, **ODD_PAGES})))
    try:
        with ix.searcher() as searcher:
            assert check_against_stored_text(searcher) == searcher.doc_count_all()
    finally:
        ix.close()


def test_the_ground_truth_is_not_empty(odd_index: Path) -> None:
    # The comparison above could pass on two empty dicts; the odd pages hold what they were built for.
    ix = whoosh_index.open_dir(str(odd_index))
    with ix.searcher() as searcher:
        for reader, _offset in leaf_readers(searcher):
            actual = flat_postings_by_doc(reader)
            for docnum in range(reader.doc_count_all()):
                stored = reader.stored_fields(docnum)
                got = actual[docnum]
                if stored["path"] == "odd/repeat.html":
                    assert got["body"]["経費"][0] == 300  # past the one-byte count: the overflow table
                    assert got["body_ng"]["経費"][0] == 300
                    assert expected_text_ng(got)["経費"] == 300 + TITLE_REPEAT * 2
                    assert got["body_rd"]["ケイ"][0] == 300
                    assert len(got["body"]["経費"][1]) == 300
                if stored["path"] == "odd/nfkc.html":
                    assert "abc" in got["title"] and "ab" in got["title_ng"] and "カブ" in got["title_rd"]
                    assert "excel" in got["body"]
                if stored["path"] == "odd/short.html":
                    assert set(got) == {"title", "body", "title_ng", "body_ng", "title_rd", "body_rd"}
    ix.close()


@pytest.mark.parametrize("which", ["built_index", "reindexed_index", "odd_index"])
def test_weights_are_counts_times_the_boost_through_whooshs_api(request: pytest.FixtureRequest, which: str) -> None:
    ix = whoosh_index.open_dir(str(request.getfixturevalue(which)))
    with ix.searcher() as searcher:
        for reader, _offset in leaf_readers(searcher):
            actual = flat_postings_by_doc(reader)
            for fieldname, btext in reader.all_terms():
                if fieldname not in FLAT_FIELDS:
                    continue
                word = btext.decode("utf-8")
                boost = FIELD_BOOSTS[fieldname.split("_")[0]]
                assert reader.schema[fieldname].format.field_boost == boost
                docs = sorted(d for d, f in actual.items() if word in f.get(fieldname, {}))
                counts = [actual[d][fieldname][word][0] for d in docs]
                # Whoosh's term table: statistics of all postings (deleted documents included).
                assert reader.doc_frequency(fieldname, btext) == len(docs)
                assert reader.frequency(fieldname, btext) == pytest.approx(sum(counts) * boost)
                # Whoosh's matcher, built from the arrays: live documents only, values decode.
                m = reader.postings(fieldname, btext)
                seen = []
                while m.is_active():
                    d = m.id()
                    count, positions = actual[d][fieldname][word]
                    assert m.weight() == pytest.approx(count * boost)
                    assert m.value_as("positions") == list(positions)
                    seen.append(d)
                    m.next()
                assert seen == [d for d in docs if not reader.is_deleted(d)]
                # read_postings: every posting, weights as counts times the boost.
                p = postings.read_postings(reader, fieldname, word)
                assert p.ids.tolist() == docs
                assert p.weights.tolist() == [c * boost for c in counts]
    ix.close()


def test_counts_only_values_decode(tmp_path: Path) -> None:
    ix = small_index(tmp_path / "ix", [DOCS])
    with ix.reader() as reader:
        m = reader.postings("counts", "経費")
        while m.is_active():
            assert m.value_as("frequency") == m.weight()
            m.next()


# --- merges -------------------------------------------------------------------------------------


def postings_by_path(ix: whoosh_index.Index) -> dict[str, DocPostings]:
    """Every live document's flat postings, by its path."""
    found: dict[str, DocPostings] = {}
    with ix.searcher() as searcher:
        for reader, _offset in leaf_readers(searcher):
            actual = flat_postings_by_doc(reader)
            for docnum in reader.all_doc_ids():
                path = reader.stored_fields(docnum)["path"]
                assert path not in found
                found[path] = actual.get(docnum, {})
    return found


@pytest.mark.parametrize("delete", [None, "2019/mitsumori.html", "2024/seisan.html"])
def test_a_merge_into_one_segment_keeps_every_live_documents_postings(
    reindexed_index: Path, tmp_path: Path, delete: str | None
) -> None:
    shutil.copytree(reindexed_index, tmp_path / "ix")  # the fixture is shared: merge a copy
    ix = whoosh_index.open_dir(str(tmp_path / "ix"))
    assert len(ix._segments()) > 1
    assert any(s.has_deletions() for s in ix._segments())
    before = postings_by_path(ix)
    assert len(before) == len(SAMPLE_PAGES) + 1
    writer = LeanWriter(ix)
    if delete is not None:
        writer.delete_by_term("path", delete)
        del before[delete]
    writer.commit(optimize=True)
    segments = ix._segments()
    assert len(segments) == 1
    assert isinstance(segments[0].codec(), LeanCodec)
    assert not segments[0].has_deletions()
    after = postings_by_path(ix)
    assert after == before
    with ix.searcher() as searcher:
        assert check_against_stored_text(searcher) == len(before)
        # Whoosh's statistics of the merged segment count the live documents only.
        reader = searcher.reader()
        for fieldname in ("body", "body_ng", "text_ng"):
            for word in ("経費", "精算"):
                docs = [p for p, f in before.items() if word in f.get(fieldname, {})]
                assert reader.doc_frequency(fieldname, word) == len(docs)
    ix.close()


# --- a small schema (tests/postings_truth.SMALL), written by LeanWriter directly ----------------


def small_expected(text: str) -> dict[str, tuple[int, tuple[int, ...]]]:
    return by_term((t.text, t.pos) for t in SMALL["text"].analyzer(text, positions=True, mode="index"))


def check_small(ix: whoosh_index.Index, texts: dict[str, str]) -> None:
    """Every live document of the small index holds its text re-analyzed, in both fields."""
    seen = set()
    with ix.searcher() as searcher:
        for reader, _offset in leaf_readers(searcher):
            actual = flat_postings_by_doc(reader, ("text", "counts"))
            for docnum in reader.all_doc_ids():
                key = reader.stored_fields(docnum)["key"]
                expected = small_expected(texts[key])
                assert actual.get(docnum, {}).get("text", {}) == expected, key
                assert actual.get(docnum, {}).get("counts", {}) == {t: (c, ()) for t, (c, _p) in expected.items()}
                seen.add(key)
    assert seen == set(texts)


@pytest.mark.parametrize(
    "texts",
    [
        pytest.param(DOCS * 3, id="several-documents"),
        pytest.param(["経費 " * 300], id="count-past-one-byte"),
        pytest.param(["経費 " * 254 + "精算 " * 255 + "印鑑 " * 256], id="counts-around-the-overflow"),
        pytest.param(["宇宙 " * 70_000 + "経費"], id="positions-past-16-bits"),
        pytest.param(["", "経費", ""], id="empty-texts"),
        pytest.param(["a b c", "経費"], id="only-dropped-words"),
    ],
)
def test_leanwriter_writes_the_analyzed_text(tmp_path: Path, texts: list[str]) -> None:
    ix = small_index(tmp_path / "ix", [texts])
    check_small(ix, {str(n): t for n, t in enumerate(texts)})


def test_plain_text_and_grouped_postings_write_the_same(tmp_path: Path) -> None:
    (tmp_path / "a").mkdir()
    plain = small_index(tmp_path / "plain", [DOCS])
    grouped = whoosh_index.create_in(str(tmp_path / "a"), SMALL)
    writer = LeanWriter(grouped)
    analyzer = SMALL["text"].analyzer
    for n, text in enumerate(DOCS):
        tokens = [(t.text, t.pos, 0, 0) for t in analyzer(text, positions=True, mode="index")]
        writer.add_document(key=str(n), text=group(tokens), counts=group(tokens, positions=False))
    writer.commit()
    with plain.reader() as a, grouped.reader() as b:
        assert flat_postings_by_doc(a, ("text", "counts")) == flat_postings_by_doc(b, ("text", "counts"))
        assert [a.doc_field_length(d, "text") for d in range(4)] == [b.doc_field_length(d, "text") for d in range(4)]


def test_group_sorts_terms_and_keeps_positions_in_order() -> None:
    grouped = group([("b", 0, 0, 1), ("a", 1, 2, 3), ("b", 2, 4, 5), ("x\0y", 3, 0, 0)])
    assert isinstance(grouped, FieldPostings)
    assert grouped.term_list() == ["a", "b"]
    assert grouped.counts.tolist() == [1, 2]
    assert grouped.positions.tolist() == [1, 0, 2]
    assert grouped.length == 3
    assert group([], positions=True).term_list() == []
    assert group([("a", 0, 0, 0)], positions=False).positions.tolist() == []


@pytest.mark.parametrize("merge", ["optimize", "optimize-with-a-deletion", "with-a-segment-without-text"])
def test_merged_small_segments_keep_their_postings(tmp_path: Path, merge: str) -> None:
    texts = {str(n): t for n, t in enumerate(DOCS * 3)}
    ix = small_index(tmp_path / "ix", [DOCS, DOCS, DOCS])
    writer = LeanWriter(ix)
    writer.delete_by_term("key", "1")  # a deletion in the first segment
    del texts["1"]
    writer.commit(merge=False)
    if merge == "with-a-segment-without-text":
        writer = LeanWriter(ix)
        writer.add_document(key="bare")  # a segment with no flat postings at all
        writer.commit(merge=False)
        texts["bare"] = ""
        assert any(open_flat(ix.storage, s) is None for s in ix._segments())
    assert len(ix._segments()) >= 3
    writer = LeanWriter(ix)
    if merge == "optimize-with-a-deletion":
        writer.delete_by_term("key", "6")
        del texts["6"]
    writer.commit(optimize=True)
    assert len(ix._segments()) == 1
    check_small(ix, texts)
    with ix.reader() as reader:
        assert reader.doc_count_all() == len(texts)
        assert reader.doc_frequency("text", "経費") == sum("経費" in t for t in texts.values())


def positions_held(reader: IndexReader) -> tuple[int, int]:
    """How many positions the segment's arrays hold, and how many its positional fields' counts call for."""
    flat = postings.flat_postings(reader)
    assert flat is not None
    wanted = 0
    for fieldname, btext in reader.all_terms():
        if fieldname in flat.fields and reader.schema[fieldname].format.supports("positions"):
            wanted += int(flat.counts(term_range(reader.term_info(fieldname, btext))).sum())
    return len(flat.positions), wanted


def test_a_written_segment_holds_positions_of_positional_fields_only(tmp_path: Path) -> None:
    ix = small_index(tmp_path / "ix", [DOCS])
    with ix.reader() as reader:
        held, wanted = positions_held(reader)
    assert held == wanted > 0


def test_a_merged_segment_holds_positions_of_positional_fields_only(tmp_path: Path) -> None:
    ix = small_index(tmp_path / "ix", [DOCS, DOCS])
    LeanWriter(ix).commit(optimize=True)
    with ix.reader() as reader:
        held, wanted = positions_held(reader)
    assert held == wanted


# --- the arrays' format --------------------------------------------------------------------------


@pytest.mark.parametrize(("id_bytes", "pos_bytes"), [(2, 2), (4, 2), (2, 4), (4, 4)])
@pytest.mark.parametrize("overflow", [False, True])
def test_flatwriter_round_trip(id_bytes: int, pos_bytes: int, overflow: bool) -> None:
    files: dict[str, io.BytesIO] = {}

    class Kept(io.BytesIO):
        def close(self) -> None:  # keep the bytes readable
            pass

    def create(part: str) -> io.BytesIO:
        files[part] = Kept()
        return files[part]

    rng = np.random.default_rng(7)
    writer = FlatWriter(create, id_bytes=id_bytes, pos_bytes=pos_bytes)
    big_id = 70_000 if id_bytes == 4 else 60_000
    big_pos = 70_000 if pos_bytes == 4 else 60_000
    # Two fields, one term of three postings each.
    counts_a = np.array([1, 300 if overflow else 3, 2])
    docs_a = np.array([0, 5, big_id])
    positions_a = rng.integers(0, big_pos, int(counts_a.sum()))
    positions_a[-1] = big_pos
    counts_b = np.array([255 if overflow else 4, 1, 254])
    docs_b = np.array([1, 2, 3])
    positions_b = rng.integers(0, 100, int(counts_b.sum()))
    writer.add_field("a", docs_a, counts_a, positions_a)
    writer.add_field("b", docs_b, counts_b, positions_b)
    writer.close()
    flat = FlatPostings({part: f.getvalue() for part, f in files.items()})
    assert flat.fields == {"a", "b"}
    a = flatpostings.TermRange(0, 3, 0)
    b = flatpostings.TermRange(3, 6, int(counts_a.sum()))
    assert flat.doc_ids(a).tolist() == docs_a.tolist()
    assert flat.counts(a).tolist() == counts_a.tolist()
    assert flat.counts(b).tolist() == counts_b.tolist()
    assert flat.doc_ids(b).tolist() == docs_b.tolist()
    positions, owners = flat.positions_of(a, np.array([0, 1, 2]))
    assert positions.tolist() == positions_a.tolist()
    assert owners.tolist() == np.repeat([0, 1, 2], counts_a).tolist()
    # Picking some postings: their positions only, owners numbered by the pick.
    positions, owners = flat.positions_of(b, np.array([2, 0]))
    start_2 = int(counts_b[:2].sum())
    assert positions.tolist() == positions_b[start_2:].tolist() + positions_b[: counts_b[0]].tolist()
    assert owners.tolist() == [0] * int(counts_b[2]) + [1] * int(counts_b[0])
    positions, owners = flat.positions_of(b, np.array([], dtype=np.int64))
    assert positions.tolist() == owners.tolist() == []
    assert len(flat._over_at) == (2 if overflow else 0)  # 300 and 255; 254 fits the byte


# --- damaged or older indexes ---------------------------------------------------------------------


def separate_files_index(path: Path) -> whoosh_index.Index:
    """A one-segment small index with each part in its own file (no compound file)."""
    ix = small_index(path, [DOCS * 3], compound=False)
    assert (path / ix._segments()[0].make_filename(flatpostings.POSITIONS)).exists()
    return ix


def open_error(path: Path) -> str:
    """The ValueError's message opening the index at `path` raises.

    Whoosh's term and postings files, opened before the flat parts fail, are left to the collector
    (LeanCodec.terms_reader does not close them): their ResourceWarnings are dropped here.
    """
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ResourceWarning)
        try:
            open_segment(path)
        except ValueError as exc:
            message = str(exc)
        else:
            pytest.fail(f"the damaged index at {path} opened")
        gc.collect()
    return message


def open_segment(path: Path) -> None:
    ix = whoosh_index.open_dir(str(path))
    try:
        with ix.reader() as reader:
            reader.postings("text", "経費").all_ids()
    finally:
        ix.close()


@pytest.mark.parametrize(
    ("part", "cut"),
    [
        (flatpostings.POSITIONS, 2),  # one 16-bit position short
        (flatpostings.POSITIONS, 20),
        (flatpostings.IDS, 2),  # one 16-bit document short
        (flatpostings.COUNTS, 1),
        (flatpostings.POSITIONS, None),  # emptied
        (flatpostings.IDS, None),
    ],
)
def test_a_part_cut_short_fails_to_open_with_a_clear_error(tmp_path: Path, part: str, cut: int | None) -> None:
    ix = separate_files_index(tmp_path / "ix")
    segment = ix._segments()[0]
    ix.close()
    open_segment(tmp_path / "ix")  # whole, it opens
    target = tmp_path / "ix" / segment.make_filename(part)
    data = target.read_bytes()
    target.write_bytes(data[:-cut] if cut else b"")
    assert open_error(tmp_path / "ix") == "flat postings parts disagree in length"


def test_a_part_cut_mid_number_names_the_flat_postings(tmp_path: Path) -> None:
    ix = separate_files_index(tmp_path / "ix")
    segment = ix._segments()[0]
    ix.close()
    target = tmp_path / "ix" / segment.make_filename(flatpostings.POSITIONS)
    target.write_bytes(target.read_bytes()[:-1])
    assert "flat postings" in open_error(tmp_path / "ix")


@pytest.mark.parametrize(
    ("damage", "message"),
    [
        ("magic", "wrong magic"),
        ("head", "wrong magic"),
        ("missing-counts", "part .flat.counts is missing"),
        ("missing-positions", "part .flat.positions is missing"),
    ],
)
def test_a_damaged_head_or_missing_part_fails_to_open(tmp_path: Path, damage: str, message: str) -> None:
    ix = separate_files_index(tmp_path / "ix")
    segment = ix._segments()[0]
    ix.close()
    head = tmp_path / "ix" / segment.make_filename(flatpostings.HEAD)
    if damage == "magic":
        head.write_bytes(b"FLATPST2" + head.read_bytes()[8:])  # an older format
    elif damage == "head":
        head.write_bytes(head.read_bytes()[:10])
    else:
        part = {"missing-counts": flatpostings.COUNTS, "missing-positions": flatpostings.POSITIONS}[damage]
        (tmp_path / "ix" / segment.make_filename(part)).unlink()
    assert message in open_error(tmp_path / "ix")


def plain_whoosh_segment(ix: whoosh_index.Index, path: str) -> None:
    writer = ix.writer()  # Whoosh's own SegmentWriter and W3 codec: postings in Whoosh's blocks
    writer.add_document(path=path, title="経費精算", body="経費精算の申請", title_ng="経費", body_ng="経費")
    writer.commit(merge=False)


@pytest.mark.parametrize("segments", [["plain"], ["lean", "plain"], ["plain", "lean"]])
def test_an_index_with_whoosh_segments_asks_for_make_index(tmp_path: Path, segments: list[str]) -> None:
    ix = whoosh_index.create_in(str(tmp_path), build_schema())
    for n, kind in enumerate(segments):
        if kind == "plain":
            plain_whoosh_segment(ix, f"{n}.html")
        else:
            writer = LeanWriter(ix)
            writer.add_document(path=f"{n}.html", title="経費精算", body="経費精算の申請")
            writer.commit(merge=False)
    assert len(ix._segments()) == len(segments)
    assert not written_by_this_version(ix)
    ix.close()
    with pytest.raises(IndexUnavailableError, match=r"older version.*`make index`"):
        open_index(tmp_path)


def test_an_index_of_lean_segments_opens(tmp_path: Path, built_index: Path) -> None:
    ix = open_index(built_index)
    assert written_by_this_version(ix)
    ix.close()
    with pytest.raises(IndexUnavailableError, match="`make index`"):
        open_index(tmp_path / "nothing")


def test_the_pipeline_rebuilds_an_index_of_whoosh_segments(tmp_path: Path) -> None:
    corpus = write_corpus(tmp_path / "corpus", dict(list(SAMPLE_PAGES.items())[:1]))
    (tmp_path / "index").mkdir()
    plain_whoosh_segment(whoosh_index.create_in(str(tmp_path / "index"), build_schema()), "old.html")
    summary = pipeline.run(corpus, tmp_path / "index", jobs=1)
    assert summary.rebuilt
    assert "older version" in summary.rebuild_reason
    ix = open_index(tmp_path / "index")
    with ix.searcher() as searcher:
        assert check_against_stored_text(searcher) == 1
    ix.close()


def test_analyze_matches_the_analyzer_the_ground_truth_uses() -> None:
    # expected_postings runs the schema's analyzers itself; the indexer's helper must agree with them.
    schema = build_schema()
    text = "ﾚｼｰﾄの写真を添付します。㈱ＡＢＣ"
    ana = schema["body"].analyzer
    assert analyze(ana, text) == [
        (t.text, t.pos, t.startchar, t.endchar) for t in ana(text, positions=True, chars=True, mode="index")
    ]
    assert analyze_with_readings(ana, text)[0] == analyze(ana, text)
