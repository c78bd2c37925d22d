"""One indexing run: scan the corpus, work out what changed, analyze in workers, write once."""

from __future__ import annotations

import functools
import hashlib
import json
import multiprocessing
import os
import time
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from whoosh import index as whoosh_index
from whoosh.fields import Schema
from whoosh.index import Index

from indexer.analysis import ANALYSIS_VERSION
from indexer.dictionaries import UserWord, changed_surfaces, read_user_dictionary
from indexer.extract import ExtractionError, extract_file
from indexer.leanwriter import LeanWriter, written_by_this_version
from indexer.profiles import NO_PROFILES, Profiles
from indexer.schema import build_schema, to_document
from indexer.status import status_path, write_status
from indexer.store import IndexLocation, open_whoosh
from indexer.userdict_sync import affected_paths, read_snapshot, write_snapshot

HTML_SUFFIXES = (".html", ".htm")
# Below this many files to analyze, starting worker processes costs more than it saves.
PARALLEL_THRESHOLD = 24
# Files per task sent to a worker.
CHUNK_FILES = 2


class IndexWriteError(RuntimeError):
    """The index could not be written; the live index is unchanged."""


@dataclass
class Summary:
    """What a run did, for the closing line and for tests."""

    added: int = 0
    updated: int = 0
    deleted: int = 0
    unchanged: int = 0
    skipped: int = 0
    seconds: float = 0.0
    rebuilt: bool = False
    # Why a full build was needed when an index existed (an older format, other fields).
    rebuild_reason: str = ""
    # Pages re-indexed only because the site profiles that apply to them changed.
    reprofiled: int = 0
    problems: list[tuple[str, str]] = field(default_factory=list)
    warnings: list[tuple[str, str]] = field(default_factory=list)

    def line(self) -> str:
        """The one-line report printed at the end of a run."""
        kind = "rebuilt" if self.rebuilt else "indexed"
        reason = f": {self.rebuild_reason}" if self.rebuild_reason else ""
        if self.reprofiled:
            reason += f" ({self.reprofiled} re-indexed because their site profile changed)"
        return (
            f"{kind}: {self.added} added, {self.updated} updated, {self.deleted} deleted, "
            f"{self.unchanged} unchanged, {self.skipped} skipped in {self.seconds:.1f}s{reason}"
        )


@dataclass(frozen=True)
class SourceFile:
    """An HTML file of the corpus: its document key and content digest."""

    path: str
    abspath: str
    digest: str
    profiles: Profiles = field(default=NO_PROFILES, compare=False)


@dataclass(frozen=True)
class Analyzed:
    """A worker's answer for one file: a document to write, or why it was skipped."""

    path: str
    doc: dict[str, Any] | None
    error: str | None = None
    warnings: tuple[str, ...] = ()


def content_digest(data: bytes) -> str:
    """The digest that decides whether a file changed (analysis version included)."""
    digest = hashlib.sha256(ANALYSIS_VERSION.encode("ascii") + b"\0")
    digest.update(data)
    return digest.hexdigest()


def page_digest(content: str, fingerprint: str) -> str:
    """A page's digest in the index: its content's, and the site profiles' that apply to it, if any."""
    return f"{content}+{fingerprint}" if fingerprint else content


class DigestCache:
    """File digests remembered by size, times and inode, so unchanged pages are not read again.

    An entry is used only if the file's size, mtime, ctime and inode are all unchanged (ctime
    cannot be set back by tools like `cp -p` or `touch -d`) and its mtime is older than the
    cache by TRUST_AFTER_S: a same-size rewrite within one timestamp tick of the last scan
    would otherwise go unnoticed. Keyed by analysis version and corpus root; anything odd
    about the file means it is ignored and every page is read.
    """

    TRUST_AFTER_S = 2.0

    def __init__(self, path: Path, root: str) -> None:
        self.path = path
        self.root = root
        self.entries: dict[str, list[Any]] = {}
        self.trusted_before_ns = 0
        self.dirty = False
        try:
            data = json.loads(path.read_text(encoding="utf-8"))
            if data["version"] == ANALYSIS_VERSION and data["root"] == root:
                self.entries = data["files"]
                self.trusted_before_ns = int(data["written_at_ns"]) - int(self.TRUST_AFTER_S * 1e9)
        except (OSError, ValueError, KeyError, TypeError):
            self.dirty = True  # missing or unreadable: start afresh

    def lookup(self, key: str, st: os.stat_result) -> str | None:
        """The remembered digest of an unchanged file, or None."""
        entry = self.entries.get(key)
        if entry is None or st.st_mtime_ns >= self.trusted_before_ns:
            return None
        if entry[:4] != [st.st_size, st.st_mtime_ns, st.st_ctime_ns, st.st_ino]:
            return None
        return entry[4]

    def remember(self, key: str, st: os.stat_result, digest: str) -> None:
        """Record a digest just computed from the file whose stat is `st`."""
        self.entries[key] = [st.st_size, st.st_mtime_ns, st.st_ctime_ns, st.st_ino, digest]
        self.dirty = True

    def save(self, keys: Iterable[str]) -> None:
        """Write the entries of `keys` (the files that exist now), atomically, if anything changed."""
        wanted = set(keys)
        if not self.dirty and wanted == set(self.entries):
            return
        files = {k: v for k, v in self.entries.items() if k in wanted}
        payload = {"version": ANALYSIS_VERSION, "root": self.root, "written_at_ns": time.time_ns(), "files": files}
        tmp = self.path.with_name(f".{self.path.name}.{os.getpid()}.tmp")
        try:
            tmp.write_text(json.dumps(payload, separators=(",", ":")), encoding="utf-8")
            os.replace(tmp, self.path)
        except OSError:
            tmp.unlink(missing_ok=True)  # only a cache: the next run reads the pages again


def scan_corpus(
    corpus: Path,
    problems: list[tuple[str, str]],
    cache: DigestCache | None = None,
    profiles: Profiles = NO_PROFILES,
) -> list[SourceFile]:
    """Every *.html / *.htm under the corpus, with its digest, sorted by key."""
    if not corpus.is_dir():
        msg = f"corpus directory not found: {corpus}"
        raise FileNotFoundError(msg)
    found: list[SourceFile] = []
    root = os.fspath(corpus)
    for dirpath, dirnames, filenames in os.walk(root):
        dirnames[:] = sorted(d for d in dirnames if not d.startswith("."))
        # Keys are built from strings once per directory: pathlib per file was
        # half the CPU of a no-op run over a large corpus.
        rel = os.path.relpath(dirpath, root)
        prefix = "" if rel == os.curdir else rel.replace(os.sep, "/") + "/"
        for name in sorted(filenames):
            if not name.lower().endswith(HTML_SUFFIXES) or name.startswith("."):
                continue
            abspath = os.path.join(dirpath, name)
            key = prefix + name
            try:
                digest = cache.lookup(key, os.stat(abspath)) if cache is not None else None
                if digest is None:
                    with open(abspath, "rb") as fh:
                        st = os.fstat(fh.fileno())  # before reading: a write during the read changes ctime
                        digest = content_digest(fh.read())
                    if cache is not None:
                        cache.remember(key, st, digest)
            except OSError as exc:
                problems.append((key, f"cannot read: {exc.strerror or exc}"))
                continue
            found.append(SourceFile(key, abspath, page_digest(digest, profiles.fingerprint(key)), profiles))
    return found


def indexed_digests(ix: Index) -> dict[str, str]:
    """Document key → digest for everything in the index, read from columns (no stored fields)."""
    with ix.reader() as reader:
        # Whole columns in one pass each: indexing a column reader per document was
        # most of the time an editor's one-page run spent before its one page.
        paths = list(reader.column_reader("path"))
        digests = list(reader.column_reader("digest"))
        if reader.has_deletions():
            return {paths[n]: digests[n] for n in reader.all_doc_ids()}
        return dict(zip(paths, digests, strict=True))


@functools.cache
def _worker_schema() -> Schema:
    return build_schema()


def _warm_worker() -> None:
    # Load Janome's dictionary once per worker, before the first file.
    list(_worker_schema()["body"].analyzer("準備", mode="index"))


def analyze_file(src: SourceFile) -> Analyzed:
    """Read, extract and analyze one file; never raises for a bad page."""
    try:
        with open(src.abspath, "rb") as fh:
            data = fh.read()
    except OSError as exc:
        return Analyzed(src.path, None, f"cannot read: {exc.strerror or exc}")
    try:
        article = extract_file(data, src.path, profiles=src.profiles)
        digest = page_digest(content_digest(data), src.profiles.fingerprint(src.path))
        doc = to_document(article, digest, _worker_schema())
    except ExtractionError as exc:
        return Analyzed(src.path, None, str(exc))
    except Exception as exc:  # noqa: BLE001 - one hostile page must not stop the run
        return Analyzed(src.path, None, f"cannot parse: {type(exc).__name__}: {exc}")
    return Analyzed(src.path, doc, None, article.warnings)


def analyze_all(files: list[SourceFile], jobs: int) -> Iterator[Analyzed]:
    """Analyze files, in `jobs` worker processes when it pays off; results in any order."""
    if jobs <= 1 or len(files) < PARALLEL_THRESHOLD:
        yield from map(analyze_file, files)
        return
    # forkserver: workers start clean, without the parent's threads (progress bar).
    ctx = multiprocessing.get_context("forkserver")
    # A page takes ~0.1 s of Janome, so the IPC per chunk is noise; small chunks keep
    # every worker busy until the very end instead of one finishing a long last chunk alone.
    chunksize = max(1, min(CHUNK_FILES, len(files) // (jobs * 8)))
    with ctx.Pool(jobs, initializer=_warm_worker) as pool:
        yield from pool.imap_unordered(analyze_file, files, chunksize=chunksize)


def run(
    corpus: str | os.PathLike[str],
    index_path: str | os.PathLike[str],
    *,
    rebuild: bool = False,
    jobs: int | None = None,
    lock_wait: float = 0.0,
    progress: Callable[[Iterable[Analyzed], int], Iterable[Analyzed]] | None = None,
    profiles: Profiles = NO_PROFILES,
) -> Summary:
    """Bring the index at `index_path` up to date with `corpus` and say what changed (also in index-status.json)."""
    started = time.perf_counter()
    started_at = time.time()
    loc = IndexLocation(index_path)
    summary = Summary()
    jobs = jobs or os.cpu_count() or 1
    with loc.lock(wait=lock_wait):
        loc.collect_garbage()
        cache = DigestCache(loc.digest_cache, os.path.abspath(corpus))
        sources = scan_corpus(Path(corpus), summary.problems, cache, profiles)
        cache.save(s.path for s in sources)
        summary.skipped = len(summary.problems)
        current = {s.path: s for s in sources}

        schema = build_schema()
        ix = None
        if not rebuild:
            ix, summary.rebuild_reason = _open_compatible(loc, schema)
        existing = indexed_digests(ix) if ix is not None else {}
        summary.rebuilt = ix is None
        words = read_user_dictionary()
        forced = _dictionary_changes(ix, loc, words, existing) if ix is not None else set()
        todo = [s for s in sources if existing.get(s.path) != s.digest or s.path in forced]
        summary.reprofiled = sum(
            1
            for s in todo
            if s.path in existing and existing[s.path] != s.digest and _content(existing[s.path]) == _content(s.digest)
        )
        deleted = sorted(set(existing) - set(current))
        summary.unchanged = len(sources) - len(todo)
        if not todo and not deleted and ix is not None:
            ix.close()
            write_snapshot(loc.path, words)
            summary.seconds = time.perf_counter() - started
            _record_status(loc.path, summary, started_at)
            return summary

        gen = None
        if ix is None:
            gen = loc.new_generation()
            ix = whoosh_index.create_in(str(gen), schema)
        try:
            _write(ix, todo, deleted, existing, jobs, summary, progress)
        except OSError as exc:
            if gen is not None:
                loc.discard(gen)
            msg = f"cannot write the index at {gen or loc.path}: {exc}"
            raise IndexWriteError(msg) from exc
        finally:
            ix.close()
        # After the commit: a crash before this line re-indexes the affected pages again, nothing worse.
        write_snapshot(gen or loc.path, words)
        if gen is not None:
            loc.publish(gen)
        summary.seconds = time.perf_counter() - started
        _record_status(loc.path, summary, started_at)
    return summary


def _record_status(index: Path, summary: Summary, started_at: float) -> None:
    """Write index-status.json (under the lock); a failure to write it is a warning, not a failed run."""
    try:
        write_status(index, summary, started_at, time.time())
    except OSError as exc:
        summary.warnings.append((str(status_path(index)), f"cannot write the run's status: {exc}"))


def _content(digest: str) -> str:
    return digest.split("+", 1)[0]


def _open_compatible(loc: IndexLocation, schema: Schema) -> tuple[Index | None, str]:
    """The live index, if it has this schema's fields and format; else None and why a full build is needed.

    A full build goes to a new generation: the old index keeps serving until it is published.
    """
    if not loc.exists():
        # A live link whose index does not open: damaged, or in a format this version cannot unpickle.
        return None, (
            "the live index cannot be read (damaged, or written by an older version)" if loc.path.is_dir() else ""
        )
    ix = open_whoosh(loc.path)
    if not written_by_this_version(ix):
        reason = "the index was written by an older version of the indexer, in a format this one does not read"
    elif set(ix.schema.names()) != set(schema.names()):
        reason = "the index has other fields than this version's schema"
    else:
        return ix, ""
    ix.close()
    return None, reason


def _dictionary_changes(
    ix: Index, loc: IndexLocation, words: tuple[UserWord, ...], existing: dict[str, str]
) -> set[str]:
    """Paths to re-index because a user dictionary word they contain was added, changed or removed."""
    old_words = read_snapshot(loc.path)
    changed = changed_surfaces(old_words, words) if old_words is not None else {w.surface for w in words}
    if not changed:
        return set()
    hit = affected_paths(ix, changed)
    return set(existing) if hit is None else hit


def _write(
    ix: Index,
    todo: list[SourceFile],
    deleted: list[str],
    existing: dict[str, str],
    jobs: int,
    summary: Summary,
    progress: Callable[[Iterable[Analyzed], int], Iterable[Analyzed]] | None,
) -> None:
    writer = LeanWriter(ix, limitmb=256)
    try:
        for path in deleted:
            writer.delete_by_term("path", path)
        summary.deleted = len(deleted)
        results: Iterable[Analyzed] = analyze_all(todo, jobs)
        if progress is not None:
            results = progress(results, len(todo))
        for item in results:
            summary.warnings.extend((item.path, w) for w in item.warnings)
            if item.doc is None:
                # A page that no longer parses keeps its last good version.
                summary.problems.append((item.path, item.error or "unknown error"))
                summary.skipped += 1
                continue
            if item.path in existing:
                writer.update_document(**item.doc)
                summary.updated += 1
            else:
                writer.add_document(**item.doc)
                summary.added += 1
        writer.commit()
    except BaseException:
        writer.cancel()
        raise
