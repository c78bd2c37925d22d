"""text_ng is not stored: its postings and document frequency come from title_ng and body_ng at query time."""

from __future__ import annotations

from collections import Counter
from pathlib import Path

import numpy as np
import pytest
from whoosh.util.numeric import byte_to_length, length_to_byte

from indexer.analysis import analyze
from indexer.schema import TITLE_REPEAT
from search_app.engine.arrays import field_lengths
from search_app.engine.bm25 import GRAM_FIELD, doc_frequency, term_scores
from search_app.engine.postings import gram_postings
from tests.factories import index_searcher


def expected_counts(stored: dict, ngram: object) -> Counter[str]:
    """What the indexer used to write to text_ng for one document: title grams TITLE_REPEAT times, body grams once."""
    counts: Counter[str] = Counter()
    for gram, *_ in analyze(ngram, stored.get("title", "")):
        counts[gram] += TITLE_REPEAT
    for gram, *_ in analyze(ngram, stored.get("body", "")):
        counts[gram] += 1
    return counts


@pytest.mark.parametrize("gram", ["経費", "精算", "書", "見積", "請求", "印鑑", "する", "zz", "宇宙"])
@pytest.mark.parametrize("which", ["built", "reindexed"])
def test_gram_postings_are_what_the_indexer_would_have_written(
    built_index: Path, reindexed_index: Path, gram: str, which: str
) -> None:
    with index_searcher(built_index if which == "built" else reindexed_index) as searcher:
        ngram = searcher.schema["body_ng"].analyzer
        expected: dict[int, int] = {}
        holders = 0
        for sub, offset in searcher.leaf_searchers():
            reader = sub.reader()
            for docnum in range(reader.doc_count_all()):
                # Deleted documents count in the document frequency until a merge, as in Whoosh.
                stored = reader.stored_fields(docnum)
                count = expected_counts(stored, ngram)[gram]
                holders += count > 0
                if count and not reader.is_deleted(docnum):
                    expected[docnum + offset] = count
            got = gram_postings(reader, gram)
            live = np.asarray([not reader.is_deleted(d) for d in got.ids.tolist()], dtype=bool)
            for docnum, tf in zip((got.ids[live] + offset).tolist(), got.weights[live].tolist(), strict=True):
                assert expected.pop(docnum) == tf, (gram, docnum)
        assert not expected, f"{gram}: missing {expected}"
        assert doc_frequency(searcher, GRAM_FIELD, gram) == holders
        ids, scores = term_scores(searcher, GRAM_FIELD, gram, k1=1.2, b=0.75)
        assert len(ids) == len(scores)
        assert (scores > 0).all()


def test_gram_field_lengths_are_kept(built_index: Path) -> None:
    with index_searcher(built_index) as searcher:
        ngram = searcher.schema["body_ng"].analyzer
        lengths = field_lengths(searcher, GRAM_FIELD)
        for docnum in range(searcher.doc_count_all()):
            stored = searcher.stored_fields(docnum)
            length = sum(expected_counts(stored, ngram).values())
            assert lengths[docnum] == byte_to_length(length_to_byte(length))
