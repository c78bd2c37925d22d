"""Faults: an indexer killed at each step, two indexers at once, a full disk, a read-only index directory."""

from __future__ import annotations

import contextlib
import errno
import gc
import os
import shutil
import subprocess
import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest
from whoosh.filedb.structfile import StructFile

from indexer.cli import main
from indexer.store import IndexLocation, open_index
from tests.factories import WHOOSH_LEAKS_ON_FAILURE, open_app, run_python, start_indexer, stored, write_corpus
from tests.pages import SAMPLE_PAGES, Page, many_pages, paragraphs

# Runs the real CLI with one step replaced by a SIGKILL of the whole process group.
KILLER = r"""
import os, signal, sys
from indexer import cli, pipeline, store

point = sys.argv[1]


def die(*_args, **_kwargs):
    os.killpg(0, signal.SIGKILL)


if point == "locked":  # lock held, old generations collected, nothing written yet
    pipeline.scan_corpus = die
elif point == "writing":  # documents half added
    real_analyze_all = pipeline.analyze_all

    def analyze_all(files, jobs):
        for n, item in enumerate(real_analyze_all(files, jobs)):
            if n == len(files) // 2:
                die()
            yield item

    pipeline.analyze_all = analyze_all
elif point == "committing":  # segment files written, the TOC not yet
    import whoosh.index

    whoosh.index.TOC.write = die
elif point == "swapping":  # the new generation complete, the symlink being replaced
    real_replace = os.replace

    def replace(src, dst, *args, **kwargs):
        if str(src).endswith(".swap"):
            die()
        return real_replace(src, dst, *args, **kwargs)

    os.replace = replace
elif point == "collecting":  # swapped in, old generations being deleted
    real_collect = store.IndexLocation.collect_garbage
    calls = []

    def collect_garbage(self):
        calls.append(1)
        if len(calls) == 2:
            die()
        return real_collect(self)

    store.IndexLocation.collect_garbage = collect_garbage
sys.exit(cli.main(sys.argv[2:]))
"""
KILL_POINTS = ("locked", "writing", "committing", "swapping", "collecting")


def cli_args(corpus: Path, index: Path, *, rebuild: bool = False) -> list[str]:
    """The indexer's arguments for one quiet run with one job (a rebuild when asked)."""
    return ["--corpus", str(corpus), "--index", str(index), "--jobs", "1", "-q", *(["--rebuild"] if rebuild else [])]


def assert_healthy(index: Path, expected: set[str]) -> None:
    """The live index holds exactly `expected`, once each, and the app answers from it."""
    with open_index(index).searcher() as s:
        paths = [d["path"] for d in s.all_stored_fields()]
        assert s.doc_count() == len(paths)
    assert sorted(paths) == sorted(expected)
    with open_app(index) as app:
        client = app.test_client()
        assert client.get("/healthz").json.items() >= {"status": "ok", "documents": len(expected)}.items()
        assert client.get("/api/search", query_string={"q": "記事"}).status_code == 200


def assert_tidy(index: Path) -> None:
    """No unfinished generation, no stray swap link, the lock free."""
    loc = IndexLocation(index)
    gens = sorted(loc.generations.iterdir())
    assert len(gens) <= 2, gens  # the live one and at most one previous
    assert all(open_index(g) for g in gens)  # every one finished
    assert not list(index.parent.glob(f".{index.name}.*")), "a swap link was left behind"
    with loc.lock():
        pass


@pytest.mark.parametrize(
    ("point", "rebuild"),
    # An update writes into the live generation: it never swaps, and collects only before writing.
    [*((p, True) for p in KILL_POINTS), *((p, False) for p in KILL_POINTS[:3])],
    ids=[*(f"rebuild-{p}" for p in KILL_POINTS), *(f"update-{p}" for p in KILL_POINTS[:3])],
)
def test_an_indexer_killed_at_any_step_leaves_a_complete_index(tmp_path: Path, point: str, rebuild: bool) -> None:
    pages = many_pages(12)
    corpus = write_corpus(tmp_path / "corpus", pages)
    index = tmp_path / "index"
    main(cli_args(corpus, index))
    before = set(pages)
    (corpus / "2015/p000.html").unlink()
    (corpus / "2016/p001.html").write_bytes(
        Page(title="書き換えた記事", body_html=paragraphs("新しい本文。")).encoded()
    )
    after = before - {"2015/p000.html"}

    args = cli_args(corpus, index, rebuild=rebuild)
    proc = run_python("-c", KILLER, point, *args, start_new_session=True, timeout=120)
    assert proc.returncode == -9, proc.stderr  # it really died there

    # Whatever step it died at, a complete index is live: the old one or the new one.
    live = {d for d in stored(index)}
    assert live in (before, after)
    assert_healthy(index, live)
    if point in ("locked", "writing", "committing"):
        assert live == before
    # The next run needs no manual cleanup and leaves nothing behind.
    assert main(cli_args(corpus, index)) == 0
    assert_healthy(index, after)
    assert stored(index)["2016/p001.html"]["title"] == "書き換えた記事"
    assert_tidy(index)


@pytest.fixture
def big_corpus(tmp_path: Path) -> tuple[Path, set[str]]:
    pages = many_pages(40)
    return write_corpus(tmp_path / "corpus", pages), set(pages)


def test_two_indexers_at_once_one_refuses_with_a_message(tmp_path: Path, big_corpus: tuple[Path, set[str]]) -> None:
    corpus, expected = big_corpus
    index = tmp_path / "index"
    args = cli_args(corpus, index, rebuild=True)
    procs = [start_indexer(*args), start_indexer(*args)]
    results = [(p.wait(timeout=300), *p.communicate()) for p in procs]
    codes = sorted(code for code, _out, _err in results)
    assert codes == [0, 75], results
    refused = next(err for code, _out, err in results if code == 75)
    assert "another indexer is running" in refused
    assert "Traceback" not in refused
    assert_healthy(index, expected)
    assert_tidy(index)


def test_two_indexers_with_wait_run_one_after_the_other(tmp_path: Path, big_corpus: tuple[Path, set[str]]) -> None:
    corpus, expected = big_corpus
    index = tmp_path / "index"
    args = [*cli_args(corpus, index), "--wait", "300"]
    procs = [start_indexer(*args, "--rebuild"), start_indexer(*args)]
    results = [(p.wait(timeout=600), *p.communicate()) for p in procs]
    assert [code for code, _out, _err in results] == [0, 0], results
    lines = sorted(out.strip() for _code, out, _err in results)
    # One built everything; the other, started at the same moment, waited and then had nothing (or everything) to do.
    assert any(f"{len(expected)} added" in line or f"{len(expected)} unchanged" in line for line in lines), lines
    assert_healthy(index, expected)
    assert_tidy(index)


# ---------------------------------------------------------------- a full disk, a read-only directory


def _mount_tmpfs(target: Path, size: str) -> bool:
    if os.geteuid() != 0 or not shutil.which("mount"):
        return False
    target.mkdir(parents=True, exist_ok=True)
    done = subprocess.run(
        ["mount", "-t", "tmpfs", "-o", f"size={size}", "tmpfs", str(target)], capture_output=True, check=False
    )
    return done.returncode == 0


@pytest.fixture
def small_volume(tmp_path: Path) -> Iterator[Path]:
    """A 4 MB filesystem of its own (tmpfs; needs root and mount rights, else the test is skipped)."""
    volume = tmp_path / f"vol-{uuid.uuid4().hex[:8]}"
    if not _mount_tmpfs(volume, "4m"):
        pytest.skip("cannot mount a tmpfs here (needs root); the monkeypatched variants still run")
    try:
        yield volume
    finally:
        subprocess.run(["umount", "-l", str(volume)], check=False)


def fill(volume: Path, leave: int) -> Path:
    """Fill the filesystem until about `leave` bytes are free."""
    filler = volume / "filler"
    stat = os.statvfs(volume)
    free = stat.f_bavail * stat.f_frsize
    with open(filler, "wb") as fh, contextlib.suppress(OSError):
        fh.write(b"\0" * max(0, free - leave))
    return filler


@WHOOSH_LEAKS_ON_FAILURE
@pytest.mark.parametrize("rebuild", [True, False], ids=["rebuild", "update"])
def test_a_full_disk_is_a_clear_error_and_the_live_index_stays(
    small_volume: Path, corpus: Path, capsys: pytest.CaptureFixture[str], rebuild: bool
) -> None:
    index = small_volume / "index"
    assert main(cli_args(corpus, index)) == 0
    before = stored(index)
    more = write_corpus(corpus / "more", many_pages(10))
    capsys.readouterr()

    filler = fill(small_volume, leave=32 * 1024)
    args = cli_args(corpus, index, rebuild=rebuild)
    assert main(args) == 1
    err = capsys.readouterr().err
    assert "No space left on device" in err
    assert "Traceback" not in err
    assert stored(index) == before
    assert_healthy(index, set(before))

    filler.unlink()
    assert main(args) == 0
    assert_healthy(index, set(before) | {f"more/{p}" for p in many_pages(10)})
    assert more.is_dir()
    assert_tidy(index)
    gc.collect()  # Whoosh's files left open by the failed write are reported under this test's filter


@pytest.mark.parametrize("rebuild", [True, False], ids=["rebuild", "update"])
def test_a_read_only_index_directory_is_a_clear_error(
    small_volume: Path, corpus: Path, capsys: pytest.CaptureFixture[str], rebuild: bool
) -> None:
    index = small_volume / "index"
    assert main(cli_args(corpus, index)) == 0
    before = stored(index)
    (corpus / "new.html").write_bytes(Page(title="新しい記事", body_html=paragraphs("本文です。")).encoded())
    capsys.readouterr()

    subprocess.run(["mount", "-o", "remount,ro", str(small_volume)], check=True)
    args = cli_args(corpus, index, rebuild=rebuild)
    assert main(args) == 1
    err = capsys.readouterr().err
    assert "Read-only file system" in err
    assert "Traceback" not in err
    assert stored(index) == before
    assert_healthy(index, set(before))

    subprocess.run(["mount", "-o", "remount,rw", str(small_volume)], check=True)
    assert main(args) == 0
    assert_healthy(index, {*before, "new.html"})


@WHOOSH_LEAKS_ON_FAILURE
@pytest.mark.parametrize(
    ("rebuild", "budget"),
    # Not (update, 0): a Whoosh writer that cannot even be created keeps its write lock
    # until the process exits, which the CLI does; this test runs both attempts in one process.
    [(True, 0), (True, 8 * 1024), (False, 8 * 1024)],
    ids=["rebuild-at-once", "rebuild-mid-commit", "update-mid-commit"],
)
def test_no_space_while_writing_segments(
    corpus: Path,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
    budget: int,
    rebuild: bool,
) -> None:
    """Without a mount: Whoosh's file writes fail with ENOSPC after `budget` bytes."""
    index = tmp_path / "index"
    assert main(cli_args(corpus, index)) == 0
    before = stored(index)
    write_corpus(corpus / "more", many_pages(10))
    capsys.readouterr()

    written = [0]
    real_write = StructFile.write

    def write(self: StructFile, data: bytes, *args: object) -> object:
        written[0] += len(data)
        if written[0] > budget:
            raise OSError(errno.ENOSPC, os.strerror(errno.ENOSPC))
        return real_write(self, data, *args)

    monkeypatch.setattr(StructFile, "write", write)
    args = cli_args(corpus, index, rebuild=rebuild)
    assert main(args) == 1
    err = capsys.readouterr().err
    assert "No space left on device" in err
    assert stored(index) == before

    monkeypatch.undo()
    assert main(args) == 0
    assert len(stored(index)) == len(SAMPLE_PAGES) + 10
    assert_tidy(index)
    gc.collect()  # Whoosh's files left open by the failed write are reported under this test's filter


@WHOOSH_LEAKS_ON_FAILURE
def test_a_damaged_live_index_is_replaced_by_the_next_run(corpus: Path, tmp_path: Path, capsys) -> None:
    index = tmp_path / "index"
    assert main(cli_args(corpus, index)) == 0
    for toc in index.glob("_MAIN_*.toc"):
        toc.write_bytes(b"garbage")  # a disk error, a bad copy: Whoosh cannot read the TOC
    capsys.readouterr()
    assert main(cli_args(corpus, index)) == 0
    out = capsys.readouterr().out
    assert out.startswith("rebuilt: 5 added")
    assert "the live index cannot be read" in out
    assert_healthy(index, set(SAMPLE_PAGES))
    assert_tidy(index)  # the damaged generation is gone
    gc.collect()
