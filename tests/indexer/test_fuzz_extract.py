"""Property-based tests of extraction: arbitrary bytes and mangled pages are indexed or reported, never a crash."""

from __future__ import annotations

import tempfile
from pathlib import Path

from hypothesis import example, given
from hypothesis import strategies as st

from indexer.encoding import DecodeError, decode_html
from indexer.extract import ExtractionError, extract_file
from indexer.pipeline import SourceFile, analyze_file, content_digest, run
from indexer.store import open_index
from tests.strategies import FUZZ_PAGES, FUZZ_SLOW, MANGLED_PAGES, SAMPLE_BYTES

DEEP = b"<html><body><article><h1>t</h1>" + b"<div>" * 2000 + "本文".encode() + b"</div>" * 2000 + b"</article>"


@given(MANGLED_PAGES)
@FUZZ_PAGES
@example(b"")
@example(DEEP)
@example(SAMPLE_BYTES[0].replace(b"utf-8", b"utf-16"))
@example(b"\xef\xbb\xbf" + "<h1>見出し</h1><p>本文</p>".encode("cp932"))
def test_decode_gives_text_or_a_decode_error(data: bytes) -> None:
    try:
        decoded = decode_html(data)
    except DecodeError as exc:
        assert str(exc)
        return
    assert isinstance(decoded.text, str)
    assert decoded.source in ("bom", "declared", "detected")


@given(MANGLED_PAGES)
@FUZZ_PAGES
@example(b"")
@example(DEEP)
@example(b"<html><head><title>only a title</title></head></html>")
@example(b'<meta charset="x-nonsense"><article><h1>\x82\xa0</h1><p>\xff\xfe</p></article>')
def test_extraction_gives_an_article_or_a_reason(data: bytes) -> None:
    try:
        article = extract_file(data, "fuzz.html")
    except ExtractionError as exc:
        assert str(exc)
        return
    assert article.path == "fuzz.html"
    assert article.body  # an article always has text
    assert article.title
    assert "\x00" not in article.title


@given(MANGLED_PAGES)
@FUZZ_PAGES
@example(DEEP)
def test_the_worker_step_never_raises(data: bytes) -> None:
    # What the pipeline runs per file: read, extract, analyze into a document.
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp, "page.html")
        path.write_bytes(data)
        result = analyze_file(SourceFile("page.html", str(path), content_digest(data)))
    assert (result.doc is None) != (result.error is None)
    if result.error is not None:
        # Only the reasons extraction gives, never the catch-all for an unexpected exception.
        assert not result.error.startswith("cannot parse"), result.error


@given(st.lists(MANGLED_PAGES, min_size=1, max_size=6))
@FUZZ_SLOW
def test_a_corpus_of_broken_pages_is_indexed_or_reported(pages: list[bytes]) -> None:
    with tempfile.TemporaryDirectory() as tmp:
        corpus = Path(tmp, "corpus")
        corpus.mkdir()
        (corpus / "good.html").write_bytes(SAMPLE_BYTES[0])
        for i, data in enumerate(pages):
            (corpus / f"p{i}.html").write_bytes(data)
        summary = run(corpus, Path(tmp, "index"), jobs=1)
        assert summary.added + summary.skipped == len(pages) + 1
        assert {path for path, _ in summary.problems} <= {f"p{i}.html" for i in range(len(pages))}
        with open_index(Path(tmp, "index")).searcher() as s:
            assert s.doc_count() == summary.added
            assert s.document(path="good.html") is not None
