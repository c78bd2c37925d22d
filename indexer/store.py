"""Where the index lives: generations beside a symlink that is swapped atomically, and a lock."""

from __future__ import annotations

import contextlib
import datetime as dt
import errno
import fcntl
import os
import shutil
import time
from collections.abc import Iterator
from pathlib import Path

from whoosh import index as whoosh_index
from whoosh.index import Index

from indexer import mapped
from indexer.leanwriter import written_by_this_version

# How many generations stay on disk beside the live one: a reader that resolved
# the symlink just before a swap can still open what it found.
KEEP_PREVIOUS = 1


class IndexBusyError(RuntimeError):
    """Another indexer holds the lock."""


class IndexUnavailableError(RuntimeError):
    """There is no readable index at the location."""


class IndexLocation:
    """The live index `path` (a symlink to a generation) and its generations directory.

    Layout for `var/index`:
        var/index              -> index.generations/20261128T021500-123456
        var/index.generations/  one directory per full build
        var/index.lock          held by the one running indexer
        var/index.digests.json  corpus file digests, so unchanged pages are not read again
    """

    def __init__(self, path: str | os.PathLike[str]) -> None:
        self.path = Path(path)
        self.generations = self.path.with_name(self.path.name + ".generations")
        self.lock_path = self.path.with_name(self.path.name + ".lock")
        # Digests of the corpus files by size, times and inode (see pipeline.DigestCache).
        self.digest_cache = self.path.with_name(self.path.name + ".digests.json")

    def exists(self) -> bool:
        """True if a readable Whoosh index is live at the location."""
        return self.path.is_dir() and _readable(self.path)

    def live_dir(self) -> Path | None:
        """The directory the live link resolves to (readable or not), or None."""
        return self.path.resolve() if self.path.is_dir() else None

    @contextlib.contextmanager
    def lock(self, wait: float = 0.0) -> Iterator[None]:
        """Hold the indexer lock; the OS releases it if the process dies, so it is never stale."""
        self.path.parent.mkdir(parents=True, exist_ok=True)
        with open(self.lock_path, "a+", encoding="utf-8") as fh:
            deadline = time.monotonic() + wait
            while True:
                try:
                    fcntl.flock(fh.fileno(), fcntl.LOCK_EX | fcntl.LOCK_NB)
                    break
                except OSError as exc:
                    if exc.errno not in (errno.EAGAIN, errno.EACCES):
                        raise
                    if time.monotonic() >= deadline:
                        msg = f"another indexer is running on {self.path} (lock {self.lock_path})"
                        raise IndexBusyError(msg) from exc
                    time.sleep(0.2)
            try:
                fh.seek(0)
                fh.truncate()
                fh.write(f"{os.getpid()}\n")
                fh.flush()
                yield
            finally:
                fcntl.flock(fh.fileno(), fcntl.LOCK_UN)

    def new_generation(self) -> Path:
        """Create an empty directory for a full build beside the live index."""
        self.generations.mkdir(parents=True, exist_ok=True)
        stamp = dt.datetime.now(dt.UTC).strftime("%Y%m%dT%H%M%S-%f")
        gen = self.generations / stamp
        gen.mkdir()
        return gen

    def publish(self, gen: Path) -> None:
        """Make `gen` the live index in one atomic rename, then drop old generations."""
        target = os.path.relpath(gen, self.path.parent)
        tmp_link = self.path.with_name(f".{self.path.name}.{os.getpid()}.swap")
        with contextlib.suppress(FileNotFoundError):
            tmp_link.unlink()
        tmp_link.symlink_to(target, target_is_directory=True)
        if self.path.is_dir() and not self.path.is_symlink():
            # An index made by hand as a plain directory: move it aside first
            # (the one moment readers may miss it; they retry).
            self.path.rename(self.generations / f"legacy-{gen.name}")
        os.replace(tmp_link, self.path)
        fsync_dir(self.path.parent)
        self.collect_garbage()

    def collect_garbage(self) -> None:
        """Delete generations that are neither live nor the most recent previous ones.

        Only called with the lock held, so no other indexer is writing one.
        """
        # A swap link exists only inside publish(): any seen here is left by a killed indexer.
        for stale in self.path.parent.glob(f".{self.path.name}.*.swap"):
            stale.unlink(missing_ok=True)
        if not self.generations.is_dir():
            return
        live = self.live_dir()
        others = sorted(
            (d for d in self.generations.iterdir() if d.is_dir() and d.resolve() != live),
            key=lambda d: d.stat().st_mtime,
        )
        # Unfinished builds (no TOC) of an interrupted run go first.
        finished = [d for d in others if _readable(d)]
        keep = set(finished[-KEEP_PREVIOUS:]) if KEEP_PREVIOUS else set()
        for d in others:
            if d not in keep:
                shutil.rmtree(d, ignore_errors=True)

    def discard(self, gen: Path) -> None:
        """Remove a generation that was never published."""
        shutil.rmtree(gen, ignore_errors=True)


def open_whoosh(path: str | os.PathLike[str]) -> Index:
    """Whoosh's open_dir, with segments read from the memory map in place (mapped.install).

    One copy in the page cache for every app worker, and no copy of the whole index
    for an editor's one-page update.
    """
    mapped.install()
    return whoosh_index.open_dir(os.fspath(path))


def open_index(path: str | os.PathLike[str]) -> Index:
    """Open the live index for reading; raise IndexUnavailableError with a reason."""
    loc = IndexLocation(path)
    if not loc.path.exists():
        msg = f"no index at {loc.path}: run `make index` (python -m indexer) first"
        raise IndexUnavailableError(msg)
    try:
        ix = open_whoosh(loc.path)
    except Exception as exc:  # a damaged TOC fails in many ways (IndexError, EOFError, pickle, struct)
        msg = (
            f"cannot open the index at {loc.path}: {type(exc).__name__}: {exc} "
            "(an index written by an older version is rebuilt by `make index`)"
        )
        raise IndexUnavailableError(msg) from exc
    if not written_by_this_version(ix):
        ix.close()
        msg = (
            f"the index at {loc.path} was written by an older version of the indexer: "
            "run `make index` (python -m indexer) to rebuild it"
        )
        raise IndexUnavailableError(msg)
    return ix


def _readable(path: Path) -> bool:
    """True if `path` holds a Whoosh index that opens."""
    try:
        return whoosh_index.exists_in(str(path))
    except Exception:  # noqa: BLE001 - a damaged TOC raises IndexError, EOFError, pickle or struct errors
        return False


def fsync_dir(path: Path) -> None:
    """Make a directory's entries (a rename, a new file) durable."""
    fd = os.open(path, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)
