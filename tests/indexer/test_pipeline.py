"""Incremental indexing: add, change, delete, no-op, broken pages, rebuilds, interruptions, the lock."""

from __future__ import annotations

import os
import signal
import subprocess
import time
from pathlib import Path

import pytest

from indexer import pipeline
from indexer.pipeline import run
from indexer.store import IndexBusyError, IndexLocation, open_index
from tests.factories import start_indexer, stored, write_corpus
from tests.pages import SAMPLE_PAGES, Page, many_pages, paragraphs


def body_terms(index: Path) -> set[str]:
    with open_index(index).reader() as r:
        return {t.decode() if isinstance(t, bytes) else t for t in r.lexicon("body")}


def test_first_run_indexes_everything(corpus: Path, tmp_path: Path) -> None:
    index = tmp_path / "index"
    summary = run(corpus, index, jobs=1)
    assert (summary.added, summary.updated, summary.deleted, summary.skipped) == (len(SAMPLE_PAGES), 0, 0, 0)
    assert summary.rebuilt
    assert index.is_symlink()
    docs = stored(index)
    assert set(docs) == set(SAMPLE_PAGES)  # keys are corpus-relative with "/"
    assert docs["2020/inkan.html"]["title"] == "会社の印鑑の管理"  # the Shift_JIS page


def test_second_run_is_a_no_op(corpus: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    index = tmp_path / "index"
    run(corpus, index, jobs=1)
    calls: list[str] = []
    real = pipeline.analyze_file
    monkeypatch.setattr(pipeline, "analyze_file", lambda src: calls.append(src.path) or real(src))
    summary = run(corpus, index, jobs=1)
    assert (summary.added, summary.updated, summary.deleted, summary.unchanged) == (0, 0, 0, len(SAMPLE_PAGES))
    assert calls == []  # unchanged files are not read into the analyzer again


def test_changed_added_and_deleted_files(corpus: Path, tmp_path: Path) -> None:
    index = tmp_path / "index"
    run(corpus, index, jobs=1)
    changed = Page(title="経費精算のルール（改訂版）", body_html=paragraphs("改訂後は電子申請だけを受け付けます。"))
    (corpus / "2021/keihi.html").write_bytes(changed.encoded())
    (corpus / "2019/mitsumori.html").unlink()
    new = Page(title="新しい記事", body_html=paragraphs("新規に追加した記事の本文です。"))
    (corpus / "2024").mkdir()
    (corpus / "2024/new.htm").write_bytes(new.encoded())

    summary = run(corpus, index, jobs=1)
    assert (summary.added, summary.updated, summary.deleted) == (1, 1, 1)
    assert summary.unchanged == len(SAMPLE_PAGES) - 2
    docs = stored(index)
    assert docs["2021/keihi.html"]["title"] == "経費精算のルール（改訂版）"
    assert "2019/mitsumori.html" not in docs
    assert "2024/new.htm" in docs
    assert len(docs) == len(SAMPLE_PAGES)


def test_broken_pages_are_reported_and_skipped(corpus: Path, tmp_path: Path) -> None:
    (corpus / "binary.html").write_bytes(b"\x00\xff\xfe" * 500)
    (corpus / "empty.html").write_bytes(b"<html><body></body></html>")
    (corpus / "notes.txt").write_text("not a page", encoding="utf-8")
    summary = run(corpus, tmp_path / "index", jobs=1)
    assert summary.added == len(SAMPLE_PAGES)
    assert summary.skipped == 2
    reasons = dict(summary.problems)
    assert "cannot decode" in reasons["binary.html"]
    assert "no article" in reasons["empty.html"]
    assert "notes.txt" not in stored(tmp_path / "index")


def test_a_page_that_breaks_keeps_its_last_good_version(corpus: Path, tmp_path: Path) -> None:
    index = tmp_path / "index"
    run(corpus, index, jobs=1)
    (corpus / "2021/keihi.html").write_bytes(b"\x00" * 100)
    summary = run(corpus, index, jobs=1)
    assert summary.skipped == 1
    assert stored(index)["2021/keihi.html"]["title"] == "経費精算のルールと差し戻し"


def test_rebuild_swaps_atomically_and_open_readers_keep_working(corpus: Path, tmp_path: Path) -> None:
    index = tmp_path / "index"
    run(corpus, index, jobs=1)
    first = index.resolve()
    reader = open_index(index).searcher()
    (corpus / "2019/mitsumori.html").unlink()
    summary = run(corpus, index, rebuild=True, jobs=1)
    assert summary.rebuilt and summary.added == len(SAMPLE_PAGES) - 1
    assert index.resolve() != first
    # The reader opened before the swap still answers from the old generation.
    assert reader.doc_count() == len(SAMPLE_PAGES)
    assert reader.document(path="2019/mitsumori.html") is not None
    reader.close()
    assert len(stored(index)) == len(SAMPLE_PAGES) - 1
    # Old generations beyond the previous one are collected.
    run(corpus, index, rebuild=True, jobs=1)
    gens = list(IndexLocation(index).generations.iterdir())
    assert len(gens) == 2
    assert not first.exists()


def test_interrupted_run_leaves_the_index_and_no_lock(
    corpus: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    index = tmp_path / "index"
    run(corpus, index, jobs=1)
    before = stored(index)
    (corpus / "2021/keihi.html").write_bytes(Page(title="途中で止まる", body_html=paragraphs("本文")).encoded())
    (corpus / "2023/server.html").write_bytes(Page(title="これも変更", body_html=paragraphs("本文")).encoded())

    def interrupted(files, jobs):
        yield pipeline.analyze_file(files[0])
        raise KeyboardInterrupt

    monkeypatch.setattr(pipeline, "analyze_all", interrupted)
    for rebuild in (False, True):
        with pytest.raises(KeyboardInterrupt):
            run(corpus, index, jobs=1, rebuild=rebuild)
        assert stored(index) == before
    monkeypatch.undo()
    summary = run(corpus, index, jobs=1)  # no stale lock, no manual cleanup
    assert summary.updated == 2
    assert stored(index)["2021/keihi.html"]["title"] == "途中で止まる"


def test_a_second_indexer_is_refused_while_one_runs(corpus: Path, tmp_path: Path) -> None:
    index = tmp_path / "index"
    with IndexLocation(index).lock(), pytest.raises(IndexBusyError, match="another indexer"):
        run(corpus, index, jobs=1)
    assert run(corpus, index, jobs=1).added == len(SAMPLE_PAGES)


def test_analysis_change_reindexes_everything(corpus: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    index = tmp_path / "index"
    run(corpus, index, jobs=1)
    monkeypatch.setattr(pipeline, "ANALYSIS_VERSION", "test-next")
    assert run(corpus, index, jobs=1).updated == len(SAMPLE_PAGES)


def test_parallel_workers_build_the_same_index(tmp_path: Path) -> None:
    corpus = write_corpus(tmp_path / "corpus", many_pages(pipeline.PARALLEL_THRESHOLD + 6))
    run(corpus, tmp_path / "one", jobs=1)
    summary = run(corpus, tmp_path / "two", jobs=2)
    assert summary.added == pipeline.PARALLEL_THRESHOLD + 6
    assert stored(tmp_path / "one") == stored(tmp_path / "two")
    assert body_terms(tmp_path / "one") == body_terms(tmp_path / "two")


@pytest.mark.parametrize("delay", [0.3, 1.0, 2.0])
def test_sigkill_during_rebuild_leaves_the_previous_index(tmp_path: Path, delay: float) -> None:
    corpus = write_corpus(tmp_path / "corpus", many_pages(80))
    index = tmp_path / "index"
    run(corpus, index, jobs=1)
    before = stored(index)
    (corpus / "2015/p000.html").unlink()
    args = ("--corpus", str(corpus), "--index", str(index), "--rebuild", "--jobs", "2")
    proc = start_indexer(*args, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    time.sleep(delay)
    os.killpg(proc.pid, signal.SIGKILL)
    proc.wait()
    # Whatever moment it died at, a complete index is live: the old one, or the new one if it finished.
    assert len(stored(index)) in (80, 79)
    summary = run(corpus, index, jobs=1)  # the next run needs no cleanup
    assert len(stored(index)) == 79
    assert summary.skipped == 0
    assert before  # the old index was readable before the kill
