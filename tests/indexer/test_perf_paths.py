"""The fast paths of issue 4 behave exactly like the plain ones: corpus keys, digests, snippet fragments."""

from __future__ import annotations

import hashlib
import itertools
import json
import os
import re
import time
from pathlib import Path

import pytest

from indexer import pipeline
from indexer.pipeline import content_digest, scan_corpus
from indexer.store import IndexLocation, open_index
from search_app.engine.snippets import Match, make_snippet, sentences
from tests.pages import SAMPLE_PAGES


def test_digest_covers_the_analysis_version_and_the_bytes() -> None:
    data = "経費精算".encode() * 1000
    expected = hashlib.sha256(pipeline.ANALYSIS_VERSION.encode("ascii") + b"\0" + data).hexdigest()
    assert content_digest(data) == expected
    assert content_digest(data + b" ") != expected


@pytest.mark.parametrize("spelling", ["absolute", "relative", "trailing-slash"])
def test_scan_keys_are_corpus_relative_with_slashes(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, spelling: str
) -> None:
    root = tmp_path / "corpus"
    for rel in ("top.html", "2019/a.HTML", "2019/deep/b.htm", ".hidden/c.html", "2019/.d.html", "notes.txt"):
        (root / rel).parent.mkdir(parents=True, exist_ok=True)
        (root / rel).write_bytes(b"<p>x</p>")
    monkeypatch.chdir(tmp_path)
    corpus = {"absolute": root, "relative": Path("corpus"), "trailing-slash": Path("corpus" + os.sep)}[spelling]
    found = scan_corpus(corpus, [])
    assert [s.path for s in found] == ["top.html", "2019/a.HTML", "2019/deep/b.htm"]
    assert all(Path(s.abspath).read_bytes() == b"<p>x</p>" for s in found)


@pytest.mark.parametrize(
    "text",
    ["", "   ", "一文。", " 前に空白。 \n\n 後ろにも　", "「引用。」と言った！？本当\n改行\u3000\n", "a.b!c?d"],
)
def test_sentences_are_trimmed_and_never_empty(text: str) -> None:
    # The reference: cut after each sentence end, then trim with str.isspace one character at a time.
    cuts = [0] + [m.end() for m in re.finditer(r"[。．！？!?]+[」』）)】]*|\n", text)] + [len(text)]
    expected = []
    for start, end in itertools.pairwise(cuts):
        lo, hi = start, end
        while lo < hi and text[lo].isspace():
            lo += 1
        while hi > lo and text[hi - 1].isspace():
            hi -= 1
        if hi > lo:
            expected.append((lo, hi))
    assert sentences(text) == expected


def test_a_match_across_a_sentence_end_marks_neither_sentence() -> None:
    text = "最初の文に経費。精算は次の文。経費だけの文。"
    across = text.index("費。精") + 1  # 費。精 straddles the first sentence end
    html = str(make_snippet(text, [Match(across - 1, across + 2, "x"), Match(15, 17, "経費")]))
    assert html.count("<mark>") == 1
    assert "<mark>経費</mark>だけの文。" in html


def test_several_matches_in_one_sentence_stay_together() -> None:
    text = "前の文。経費と精算と領収書の文。後の文。"
    matches = [Match(text.index(w), text.index(w) + len(w), w) for w in ("経費", "精算", "領収書")]
    html = str(make_snippet(text, matches))
    assert html == "<mark>経費</mark>と<mark>精算</mark>と<mark>領収書</mark>の文。"


def test_indexed_digests_skip_deleted_and_replaced_versions(corpus: Path, tmp_path: Path) -> None:
    index = tmp_path / "index"
    pipeline.run(corpus, index, jobs=1)
    (corpus / "2021/keihi.html").write_bytes((corpus / "2021/keihi.html").read_bytes() + b"<!-- edited -->")
    (corpus / "2019/mitsumori.html").unlink()
    pipeline.run(corpus, index, jobs=1)  # one replaced, one deleted: the index now has deletions
    ix = open_index(index)
    try:
        with ix.reader() as reader:
            assert reader.has_deletions()
            expected = {
                f["path"]: content_digest((corpus / f["path"]).read_bytes()) for f in reader.all_stored_fields()
            }
        assert pipeline.indexed_digests(ix) == expected
    finally:
        ix.close()
    assert "2019/mitsumori.html" not in expected


def age(root: Path, seconds: float = 60) -> None:
    """Set every file's mtime into the past, as if the pages were published a while ago."""
    past = time.time() - seconds
    for f in root.rglob("*.htm*"):
        os.utime(f, (past, past))


def test_unchanged_pages_are_not_read_again(corpus: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    index = tmp_path / "index"
    age(corpus)
    pipeline.run(corpus, index, jobs=1)
    assert IndexLocation(index).digest_cache.exists()
    hashed: list[int] = []
    real = pipeline.content_digest
    monkeypatch.setattr(pipeline, "content_digest", lambda data: hashed.append(len(data)) or real(data))
    summary = pipeline.run(corpus, index, jobs=1)
    assert summary.unchanged == len(SAMPLE_PAGES)
    assert hashed == []


@pytest.mark.parametrize("keep_mtime", [False, True])
def test_a_rewritten_page_is_read_even_with_the_same_size_and_mtime(
    corpus: Path, tmp_path: Path, keep_mtime: bool
) -> None:
    index = tmp_path / "index"
    age(corpus)
    pipeline.run(corpus, index, jobs=1)
    page = corpus / "2021/keihi.html"
    before = page.stat()
    data = page.read_bytes()
    changed = data.replace("経費精算のルールと差し戻し".encode(), "経費精算のルールと差し替え".encode())
    assert len(changed) == len(data) and changed != data
    page.write_bytes(changed)
    if keep_mtime:  # e.g. `cp -p` or `touch -d`: only ctime tells
        os.utime(page, ns=(before.st_atime_ns, before.st_mtime_ns))
    summary = pipeline.run(corpus, index, jobs=1)
    assert summary.updated == 1
    with open_index(index).searcher() as s:
        assert s.document(path="2021/keihi.html")["title"] == "経費精算のルールと差し替え"


@pytest.mark.parametrize(
    "content", ["", "{not json", '{"version": "ja-0", "root": "/", "written_at_ns": 0, "files": {}}']
)
def test_a_broken_or_foreign_cache_is_ignored(corpus: Path, tmp_path: Path, content: str) -> None:
    index = tmp_path / "index"
    age(corpus)
    pipeline.run(corpus, index, jobs=1)
    IndexLocation(index).digest_cache.write_text(content, encoding="utf-8")
    page = corpus / "2021/keihi.html"
    page.write_bytes(page.read_bytes() + b"<!-- edited -->")
    summary = pipeline.run(corpus, index, jobs=1)
    assert (summary.updated, summary.unchanged) == (1, len(SAMPLE_PAGES) - 1)
    assert json.loads(IndexLocation(index).digest_cache.read_text(encoding="utf-8"))["files"]
