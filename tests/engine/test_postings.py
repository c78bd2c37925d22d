"""Postings read as arrays, phrases matched on positions, and positions turned back into characters.

search_app/engine/postings.py reads the flat arrays only; the ground truth here is the stored text
analyzed again (tests/postings_truth.expected_postings) and the analyzers' own offsets.
"""

from __future__ import annotations

import unicodedata
from collections.abc import Iterator
from pathlib import Path

import numpy as np
import pytest
from whoosh import index as whoosh_index
from whoosh.searching import Searcher
from whoosh.util.numeric import byte_to_length, length_to_byte

from indexer.analysis import analyze_with_readings
from indexer.ngrams import reading_grams
from indexer.schema import FIELD_BOOSTS
from search_app.engine import postings
from search_app.engine.arrays import field_lengths, live_mask
from tests.factories import index_searcher
from tests.postings_truth import (
    DOCS,
    NGRAM_FIELDS,
    READING_FIELDS,
    WORD_FIELDS,
    expected_postings,
    expected_text_ng,
    leaf_readers,
    small_index,
)

TERMS = [
    ("body", "経費"),
    ("title", "経費"),
    ("tags", "見積り"),
    ("body_ng", "経費"),
    ("body_ng", "書"),
    ("title_rd", "ケイ"),
    ("text_ng", "経費"),
    ("body", "宇宙"),  # in no document
]
BOOSTS = {"title": 3.0, "body": 1.0, "tags": 1.5, "body_ng": 1.0, "title_rd": 3.0, "text_ng": 1.0}


@pytest.fixture(scope="module")
def searcher(reindexed_index: Path) -> Iterator[Searcher]:
    """Two segments, one with a deleted document."""
    with index_searcher(reindexed_index) as s:
        assert len(s.leaf_searchers()) > 1
        assert not live_mask(s).all()
        yield s


def truth(searcher: Searcher, fieldname: str, word: str) -> dict[int, int]:
    """Live docnum → the word's count in the field, from the stored text analyzed again."""
    found = {}
    for docnum in np.flatnonzero(live_mask(searcher)).tolist():
        expected = expected_postings(searcher.schema, searcher.stored_fields(docnum))
        if fieldname == "text_ng":
            counts = expected_text_ng(expected)
        else:
            counts = {t: c for t, (c, _p) in expected.get(fieldname, {}).items()}
        if word in counts:
            found[docnum] = counts[word]
    return found


def read_live(searcher: Searcher, fieldname: str, word: str, wanted: list[int] | None = None) -> dict[int, float]:
    """read_postings (text_ng: gram_postings) over every segment, deleted documents dropped as the callers do."""
    live = live_mask(searcher)
    found: dict[int, float] = {}
    for reader, offset in leaf_readers(searcher):
        local = None
        if wanted is not None:
            local = np.asarray([d - offset for d in wanted if d >= offset], dtype=np.int64)
        if fieldname == "text_ng":
            p = postings.gram_postings(reader, word, local)
        else:
            p = postings.read_postings(reader, fieldname, word, local)
        assert p.ids.dtype.kind == "i"
        assert np.all(np.diff(p.ids) > 0)
        pairs = zip(p.ids.tolist(), p.weights.tolist(), strict=True)
        found.update((d + offset, w) for d, w in pairs if live[d + offset])
    return found


@pytest.mark.parametrize(("fieldname", "word"), TERMS)
@pytest.mark.parametrize("subset", ["all", "every-other", "last", "none", "unknown-docnums", "empty"])
def test_read_postings_gives_the_counts_of_the_stored_text(
    searcher: Searcher, fieldname: str, word: str, subset: str
) -> None:
    expected = {d: c * BOOSTS[fieldname] for d, c in truth(searcher, fieldname, word).items()}
    assert searcher.schema[fieldname].format.field_boost == BOOSTS[fieldname]
    assert BOOSTS[fieldname] == FIELD_BOOSTS.get(fieldname.split("_", 1)[0], 1.0) or fieldname == "text_ng"
    if word != "宇宙":
        assert expected  # the cases are chosen to occur
    docs = sorted(expected)
    wanted = {
        "all": None,
        "every-other": docs[::2],
        "last": docs[-1:],
        "none": [d for d in range(searcher.doc_count_all()) if d not in expected],
        "unknown-docnums": [*docs[1::2], 10_000, 20_000],
        "empty": [],
    }[subset]
    got = read_live(searcher, fieldname, word, wanted)
    assert got == (expected if wanted is None else {d: w for d, w in expected.items() if d in wanted})


@pytest.mark.parametrize(
    ("fieldname", "word"), [("body", "宇宙旅行"), ("no_such_field", "経費"), ("path", "2021/keihi.html"), ("body", "")]
)
def test_what_the_flat_arrays_do_not_hold_reads_empty(searcher: Searcher, fieldname: str, word: str) -> None:
    for reader, _offset in leaf_readers(searcher):
        p = postings.read_postings(reader, fieldname, word)
        assert p.ids.tolist() == p.weights.tolist() == []
        assert postings.characters(searcher, fieldname, word, list(range(searcher.doc_count_all()))) == {}


# --- characters ------------------------------------------------------------------------------------


def expected_characters(searcher: Searcher, docnum: int, fieldname: str) -> dict[str, list[tuple[int, int, int]]]:
    """Term → (position, startchar, endchar) of each occurrence, from the analyzers run with chars=True."""
    stored = searcher.stored_fields(docnum)
    schema = searcher.schema
    if fieldname in READING_FIELDS:
        readings = analyze_with_readings(schema["body"].analyzer, stored.get(READING_FIELDS[fieldname]) or "")[1]
        tokens = reading_grams(readings)
    else:
        text = stored.get({**WORD_FIELDS, **NGRAM_FIELDS}[fieldname]) or ""
        tokens = [
            (t.text, t.pos, t.startchar, t.endchar)
            for t in schema[fieldname].analyzer(text, positions=True, chars=True, mode="index")
        ]
    found: dict[str, list[tuple[int, int, int]]] = {}
    for term, pos, start, end in tokens:
        found.setdefault(term, []).append((pos, start, end))
    return {t: sorted(o) for t, o in found.items()}


ITERATION_MARKS = set("々〻ゝゞヽヾ")


def check_characters(searcher: Searcher, docnum: int, fieldname: str) -> int:
    """characters() gives the analyzers' offsets for every term of the document's field; how many terms."""
    if fieldname in NGRAM_FIELDS:
        return check_gram_spans(searcher, docnum, fieldname)
    expected = expected_characters(searcher, docnum, fieldname)
    text = searcher.stored_fields(docnum).get({**WORD_FIELDS, **READING_FIELDS}[fieldname]) or ""
    for term, occurrences in expected.items():
        assert postings.characters(searcher, fieldname, term, [docnum]) == {docnum: occurrences}, (docnum, term)
        if fieldname in WORD_FIELDS:
            for _pos, start, end in occurrences:
                assert 0 <= start < end <= len(text)
    return len(expected)


def check_gram_spans(searcher: Searcher, docnum: int, fieldname: str) -> int:
    """gram_spans finds every gram, and every two grams in a row, where the analyzer put them; how many runs."""
    expected: dict[str, list[tuple[int, int]]] = {}
    tokens = expected_characters(searcher, docnum, fieldname)
    bigrams: dict[int, tuple[str, int, int]] = {}
    for term, occurrences in tokens.items():
        for pos, start, end in occurrences:
            expected.setdefault(term, []).append((start, end))
            if len(term) == 2:
                bigrams[pos] = (term, start, end)
    # Two grams at consecutive positions: the run of three characters, from the first's start to the second's end.
    for pos, (first, start, _end) in bigrams.items():
        if pos + 1 in bigrams:
            second, _start, end = bigrams[pos + 1]
            expected.setdefault(first + second[1], []).append((start, end))
    text = searcher.stored_fields(docnum).get(NGRAM_FIELDS[fieldname]) or ""
    for run, spans in expected.items():
        assert postings.gram_spans(searcher, fieldname, run, [docnum]) == {docnum: sorted(spans)}, (docnum, run)
        for start, end in spans:
            piece = text[start:end]
            normalized = unicodedata.normalize("NFKC", piece).lower()
            if ITERATION_MARKS & set(piece):  # 々 is written out (佐々 → 佐佐) before the grams
                continue
            if all(len(unicodedata.normalize("NFKC", c)) == 1 for c in piece):
                assert normalized == run, (piece, run)
            else:  # a gram inside one NFKC unit (the 2 of ½ → 1⁄2) has the whole unit's span
                assert run in normalized or set(run) <= set(normalized), (piece, run)
    return len(expected)


CHARACTER_FIELDS = [*WORD_FIELDS, *NGRAM_FIELDS, *READING_FIELDS]


@pytest.mark.parametrize("fieldname", CHARACTER_FIELDS)
@pytest.mark.parametrize("which", ["built_index", "reindexed_index", "odd_index"])
def test_characters_are_the_analyzers_offsets(request: pytest.FixtureRequest, which: str, fieldname: str) -> None:
    with index_searcher(request.getfixturevalue(which)) as searcher:
        checked = 0
        for docnum in np.flatnonzero(live_mask(searcher)).tolist():
            if searcher.stored_fields(docnum)["path"] == "odd/half.html" and fieldname in ("title", "title_rd"):
                continue  # test_title_offsets_when_one_character_makes_several_words
            checked += check_characters(searcher, docnum, fieldname)
        assert checked > 0


@pytest.mark.parametrize("fieldname", ["body", "body_ng", "body_rd", "tags", "title_ng"])
def test_offsets_when_one_character_makes_several_words(odd_index: Path, fieldname: str) -> None:
    # ½ is 1⁄2 after NFKC: two words with one character's span (the token table's negative gap).
    with index_searcher(odd_index) as searcher:
        docnum = searcher.document_number(path="odd/half.html")
        assert check_characters(searcher, docnum, fieldname) > 0
        if fieldname in ("body", "tags"):
            one, two = (postings.characters(searcher, fieldname, w, [docnum])[docnum][0] for w in ("1", "2"))
            assert one[1:] == two[1:] == (0, 1)


@pytest.mark.parametrize("fieldname", ["title", "title_rd"])
def test_title_offsets_when_one_character_makes_several_words(odd_index: Path, fieldname: str) -> None:
    with index_searcher(odd_index) as searcher:
        check_characters(searcher, searcher.document_number(path="odd/half.html"), fieldname)


def test_characters_of_several_documents_and_segments(searcher: Searcher) -> None:
    docs = sorted(truth(searcher, "body", "経費"))
    assert len(docs) > 2
    assert {sub.reader().doc_count_all() > 0 for sub, _ in searcher.leaf_searchers()} == {True}
    both = postings.characters(searcher, "body", "経費", docs)
    assert sorted(both) == docs
    for docnum in docs:
        assert both[docnum] == expected_characters(searcher, docnum, "body")["経費"]
    assert postings.characters(searcher, "body", "経費", []) == {}
    # A document without the word is left out.
    without = [d for d in np.flatnonzero(live_mask(searcher)).tolist() if d not in docs]
    assert postings.characters(searcher, "body", "経費", without) == {}


# --- phrases -------------------------------------------------------------------------------------------


def phrase_truth(positions: list[list[int]], slop: int) -> bool:
    """Whoosh's rule: each word 1 to `slop` positions after the previous one."""
    reach = set(positions[0])
    for later in positions[1:]:
        reach = {p for p in later if any(1 <= p - q <= slop for q in reach)}
    return bool(reach)


# (words, slop, whether some document matches); the analyzer drops の and と, renumbering the rest.
PHRASES = [
    (["経費", "精算"], 1, True),
    (["精算", "経費"], 1, False),
    (["経費", "締め日"], 1, False),
    (["経費", "締め日"], 2, True),
    (["見積書", "請求書"], 1, True),
    (["印鑑", "登録", "経費"], 1, True),
    (["印鑑", "経費"], 1, False),
    (["印鑑", "経費"], 2, True),
    (["経費", "経費"], 1, True),
    (["経費", "経費", "印鑑"], 1, True),
    (["経費", "経費", "経費"], 1, False),
    (["経費"], 1, True),
    (["経費", "宇宙"], 5, False),
]


@pytest.mark.parametrize(("words", "slop", "found"), PHRASES)
@pytest.mark.parametrize("disallowed", [(), (4,), (0, 2, 8)])
def test_phrases_across_segments_agree_with_the_analyzed_text(
    tmp_path: Path, words: list[str], slop: int, found: bool, disallowed: tuple[int, ...]
) -> None:
    # Three segments, one of them with a deleted document; every term has several postings per segment.
    ix = small_index(tmp_path / "ix", [DOCS * 2, DOCS, DOCS * 2])
    from indexer.leanwriter import LeanWriter

    writer = LeanWriter(ix)
    writer.delete_by_term("key", "6")
    writer.commit(merge=False)
    analyzer = ix.schema["text"].analyzer
    with ix.searcher() as searcher:
        assert len(searcher.leaf_searchers()) == 3
        allowed = live_mask(searcher).copy()
        allowed[list(disallowed)] = False
        docs, weights = postings.phrase_matches(searcher, "text", words, allowed, slop=slop)
        expected_docs, expected_weights = [], [[] for _ in words]
        for docnum in np.flatnonzero(allowed).tolist():
            text = searcher.stored_fields(docnum)["text"]
            tokens = [(t.text, t.pos) for t in analyzer(text, positions=True, mode="index")]
            positions = [[pos for text, pos in tokens if text == w] for w in words]
            if all(positions) and phrase_truth(positions, slop):
                expected_docs.append(docnum)
                for k, p in enumerate(positions):
                    expected_weights[k].append(len(p) * 2.0)  # the field's boost
    assert docs.tolist() == expected_docs
    assert [w.tolist() for w in weights] == expected_weights
    assert bool(expected_docs) is found
    ix.close()


def test_phrases_in_the_sample_index(searcher: Searcher) -> None:
    allowed = live_mask(searcher)
    docs, weights = postings.phrase_matches(searcher, "body", ["経費", "精算"], allowed)
    expected = []
    for docnum in np.flatnonzero(allowed).tolist():
        body = expected_postings(searcher.schema, searcher.stored_fields(docnum)).get("body", {})
        if "経費" in body and "精算" in body and phrase_truth([list(body["経費"][1]), list(body["精算"][1])], 1):
            expected.append(docnum)
    assert len(expected) >= 2
    assert docs.tolist() == expected
    assert weights[0].tolist() == [float(len(truth_positions)) for truth_positions in _positions(searcher, expected)]


def _positions(searcher: Searcher, docs: list[int]) -> list[tuple[int, ...]]:
    return [expected_postings(searcher.schema, searcher.stored_fields(d))["body"]["経費"][1] for d in docs]


# --- field lengths and the live mask ---------------------------------------------------------------------


@pytest.mark.parametrize("fieldname", ["title", "body", "tags", "body_ng", "text_ng", "body_rd"])
def test_field_lengths_are_whooshs_and_the_analyzed_texts(searcher: Searcher, fieldname: str) -> None:
    lengths = field_lengths(searcher, fieldname)
    reader = searcher.reader()
    live = live_mask(searcher)
    for docnum in range(searcher.doc_count_all()):
        expected = (reader.doc_field_length(docnum, fieldname, 0) or 0) if live[docnum] else 0
        assert lengths[docnum] == expected, docnum
        if live[docnum]:
            # Whoosh keeps a length as one byte: the analyzed text's token count, so rounded.
            expected = expected_postings(searcher.schema, searcher.stored_fields(docnum))
            if fieldname == "text_ng":
                tokens = sum(expected_text_ng(expected).values())
            else:
                tokens = sum(count for count, _positions in expected.get(fieldname, {}).values())
            assert lengths[docnum] == byte_to_length(length_to_byte(tokens)), docnum
    assert lengths[live].any()


def test_the_live_mask_drops_the_deleted_document(searcher: Searcher) -> None:
    live = live_mask(searcher)
    assert live.sum() == searcher.doc_count() == searcher.doc_count_all() - 1
    deleted = int(np.flatnonzero(~live)[0])
    # The deleted copy of the changed article (タクシー代, now 新幹線代) keeps its postings until a merge.
    assert "タクシー" in searcher.stored_fields(deleted)["body"]

    def body_terms(docnum: int) -> set[str]:
        return set(expected_postings(searcher.schema, searcher.stored_fields(docnum)).get("body", {}))

    only_deleted = body_terms(deleted) - set().union(*(body_terms(d) for d in np.flatnonzero(live).tolist()))
    assert only_deleted
    for word in only_deleted:
        held = [
            d + offset
            for reader, offset in leaf_readers(searcher)
            for d in postings.read_postings(reader, "body", word).ids.tolist()
        ]
        assert held == [deleted], word  # the arrays still hold it: the mask drops it
        assert read_live(searcher, "body", word) == {}


def test_a_whoosh_index_opened_directly_reads_the_same(reindexed_index: Path, searcher: Searcher) -> None:
    ix = whoosh_index.open_dir(str(reindexed_index))
    with ix.searcher() as other:
        for fieldname, word in TERMS:
            assert read_live(other, fieldname, word) == read_live(searcher, fieldname, word)
    ix.close()
