"""`python -m indexer publish DEST`: ship the live index to a replica, in an order a reader never notices.

The replica has the same layout as the indexer's host: DEST (a symlink), DEST.generations/
and DEST-status.json. Each publish writes the live commit as a new generation directory
beside the replica's live one:

1. the segment files into `.NAME.partial/` (files unchanged since the replica's live
   generation are hard-linked, not copied), then the table of contents last, so the
   directory never holds a TOC before its segments;
2. the directory renamed to NAME once complete, then the DEST symlink swapped to it in one
   rename, so a reader never sees a link before its generation;
3. generations older than the previous one removed (the previous one stays for readers that
   resolved the link just before the swap), then the status file replaced.

DEST is a local directory, or `host:/path` for rsync over ssh (`--rsync` uses rsync for a
local path too). The source lock is held throughout, so no indexer run changes what is read.
"""

from __future__ import annotations

import argparse
import os
import re
import shlex
import shutil
import subprocess
import sys
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path

from indexer.status import live_commit, status_path
from indexer.store import IndexBusyError, IndexLocation, fsync_dir

# Not shipped: Whoosh's write lock is the indexer host's business.
SKIPPED_FILES = frozenset({"MAIN_WRITELOCK"})
_REMOTE = re.compile(r"^(?P<host>[^/:]+):(?P<path>.+)$")


class PublishError(RuntimeError):
    """The replica could not be brought up to date; its live index is unchanged."""


@dataclass(frozen=True)
class Plan:
    """What one publish ships: the source generation, its commit, and the replica generation's name."""

    source: Path
    toc: str
    name: str
    files: tuple[str, ...]


def plan(index: str | os.PathLike[str]) -> Plan:
    """The live commit of `index` as a replica generation: segments first, the newest TOC last."""
    commit = live_commit(index)
    if commit is None:
        msg = f"no index at {index} to publish: run `make index` (python -m indexer) first"
        raise PublishError(msg)
    source = Path(index).resolve()
    toc = f"_MAIN_{commit.number}.toc"
    files = sorted(
        e.name
        for e in os.scandir(source)
        if e.is_file() and e.name not in SKIPPED_FILES and not e.name.endswith(".toc")
    )
    return Plan(source, toc, f"{commit.generation}-{commit.number:06d}", (*files, toc))


def remote_parts(dest: str) -> tuple[str, str] | None:
    """(host, path) of an rsync destination such as `host:/srv/search/index`, or None for a local path."""
    m = _REMOTE.match(dest)
    return (m.group("host"), m.group("path")) if m else None


# --- local directory --------------------------------------------------------------------------


def _same_file(a: os.stat_result, b: os.stat_result) -> bool:
    return a.st_size == b.st_size and a.st_mtime_ns == b.st_mtime_ns


def _place(source: Path, target: Path, previous: Path | None) -> None:
    """One file into the new generation: a hard link to the replica's identical copy, else a copy."""
    if previous is not None:
        old = previous / source.name
        try:
            if _same_file(old.stat(), source.stat()):
                os.link(old, target)
                return
        except OSError:
            pass  # no such file, or another file system: copy it
    shutil.copy2(source, target)
    with open(target, "rb") as fh:
        os.fsync(fh.fileno())


def publish_local(index: str | os.PathLike[str], dest: str | os.PathLike[str], place: Callable = _place) -> str:
    """Publish to a replica on a local path; return what was done, for the summary line."""
    shipped = plan(index)
    replica = IndexLocation(dest)
    with replica.lock():
        previous = replica.live_dir()
        if previous is not None and previous.name == shipped.name:
            return f"{dest} is up to date ({shipped.name})"
        replica.generations.mkdir(parents=True, exist_ok=True)
        final = replica.generations / shipped.name
        partial = replica.generations / f".{shipped.name}.partial"
        shutil.rmtree(partial, ignore_errors=True)
        partial.mkdir()
        try:
            for name in shipped.files:
                place(shipped.source / name, partial / name, previous)
            fsync_dir(partial)
            if final.exists():  # left by a publish that stopped before its swap
                shutil.rmtree(final)
            partial.rename(final)
        except OSError as exc:
            shutil.rmtree(partial, ignore_errors=True)
            msg = f"cannot write the replica at {dest}: {exc}"
            raise PublishError(msg) from exc
        # The swap, and the removal of generations older than the previous one.
        replica.publish(final)
        _copy_status(index, dest)
    return f"published {shipped.name} to {dest}"


def _copy_status(index: str | os.PathLike[str], dest: str | os.PathLike[str]) -> None:
    """The indexer's status beside the replica (atomically), so its /healthz reports the index age."""
    source = status_path(index)
    if not source.is_file():
        return
    target = status_path(dest)
    tmp = target.with_name(f".{target.name}.{os.getpid()}.tmp")
    shutil.copy2(source, tmp)
    os.replace(tmp, target)


# --- rsync (over ssh for host:/path) ----------------------------------------------------------


def _shell(host: str | None, script: str) -> str:
    """Run a POSIX shell script on the replica host (or here); its output."""
    argv = ["ssh", host, script] if host else ["sh", "-c", script]
    # The script is built here with every path quoted (shlex.quote); nothing else reaches the shell.
    done = subprocess.run(argv, capture_output=True, encoding="utf-8", errors="replace", check=False)  # noqa: S603
    if done.returncode != 0:
        msg = f"{' '.join(argv[:2])}: {done.stderr.strip() or f'exit code {done.returncode}'}"
        raise PublishError(msg)
    return done.stdout


def _rsync(args: list[str]) -> None:
    # rsync from PATH, as an operator runs it; arguments are a list, never a shell line.
    done = subprocess.run(  # noqa: S603
        ["rsync", *args],  # noqa: S607
        capture_output=True,
        encoding="utf-8",
        errors="replace",
        check=False,
    )
    if done.returncode != 0:
        msg = f"rsync {' '.join(args)}: {done.stderr.strip()}"
        raise PublishError(msg)


def publish_rsync(index: str | os.PathLike[str], dest: str) -> str:
    """Publish with rsync to `host:/path` (ssh) or to a local path, in the same order as publish_local."""
    if shutil.which("rsync") is None:
        msg = "rsync is not installed (apt-get install rsync)"
        raise PublishError(msg)
    shipped = plan(index)
    host, path = remote_parts(dest) or (None, os.path.abspath(dest))
    prefix = f"{host}:" if host else ""
    gens = f"{path}.generations"
    link, q = Path(path), shlex.quote
    live = _shell(host, f"mkdir -p {q(gens)} && {{ readlink {q(path)} || true; }}").strip()
    current = Path(live).name if live else ""
    if current == shipped.name:
        return f"{dest} is up to date ({shipped.name})"
    partial = f"{gens}/.{shipped.name}.partial"
    common = ["-a", "--delete", "--exclude", "MAIN_WRITELOCK"]
    if current:
        # Unchanged segments become hard links to the replica's live copy (relative to the new directory).
        common += ["--link-dest", f"../{current}"]
    source = f"{shipped.source}/"
    _rsync([*common, "--exclude", "*.toc", source, f"{prefix}{partial}/"])
    _rsync([*common, "--include", shipped.toc, "--exclude", "*.toc", source, f"{prefix}{partial}/"])
    relative = f"{link.name}.generations/{shipped.name}"
    swap = f"{link.parent}/.{link.name}.publish.swap"
    keep = {shipped.name, current} - {""}
    prune = " ".join(q(k) for k in sorted(keep))
    _shell(
        host,
        f"cd {q(gens)} && rm -rf {q(shipped.name)} && mv {q(Path(partial).name)} {q(shipped.name)}"
        f" && ln -sfn {q(relative)} {q(swap)} && mv -T {q(swap)} {q(path)}"
        f' && for d in * .*.partial; do case " {prune} " in *" $d "*) ;; *) [ -d "$d" ] && rm -rf "$d";; esac; done;'
        " true",
    )
    status = status_path(index)
    if status.is_file():
        _rsync(["-a", str(status), f"{prefix}{status_path(path)}"])
    return f"published {shipped.name} to {dest}"


# --- command line -----------------------------------------------------------------------------


def build_parser() -> argparse.ArgumentParser:
    """The publish command's arguments."""
    parser = argparse.ArgumentParser(
        prog="python -m indexer publish",
        description="Ship the live index to a replica (a local directory or host:/path for rsync over ssh).",
    )
    parser.add_argument("dest", help="the replica's index path, e.g. /srv/search/index or host:/srv/search/index")
    parser.add_argument(
        "--index",
        default=os.environ.get("SEARCH_INDEX_DIR", "var/index"),
        help="the index to ship (default: %(default)s; env SEARCH_INDEX_DIR)",
    )
    parser.add_argument("--rsync", action="store_true", help="use rsync for a local destination too")
    parser.add_argument("--wait", type=float, default=60.0, metavar="SECONDS", help="wait for a running indexer")
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    """Publish; exit 0 when the replica is up to date, 1 on an error, 75 while the indexer is busy."""
    args = build_parser().parse_args(argv)
    try:
        with IndexLocation(args.index).lock(wait=args.wait):
            if remote_parts(args.dest) or args.rsync:
                done = publish_rsync(args.index, args.dest)
            else:
                done = publish_local(args.index, args.dest)
    except IndexBusyError as exc:
        print(f"publish: {exc}", file=sys.stderr)
        return 75
    except (PublishError, OSError) as exc:
        print(f"publish: error: {exc}", file=sys.stderr)
        return 1
    print(done)
    return 0
