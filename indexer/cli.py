"""Command line: `python -m indexer [--corpus DIR] [--index DIR] [--rebuild] [--jobs N] [--profiles FILE]`.

`python -m indexer publish DEST` ships the live index to a replica (indexer/publish.py).
"""

from __future__ import annotations

import argparse
import os
import sys
from collections.abc import Iterable, Sequence
from pathlib import Path

from indexer.extract import ExtractionError
from indexer.pipeline import Analyzed, IndexWriteError, run
from indexer.profiles import NO_PROFILES, ProfileError, Profiles, load_profiles
from indexer.store import IndexBusyError

DEFAULT_CORPUS = "corpus"
DEFAULT_INDEX = "var/index"
# Site profiles read by default when this file stands at the corpus root.
PROFILES_NAME = "profiles.toml"


def build_parser() -> argparse.ArgumentParser:
    """The indexer's argument parser; defaults come from SEARCH_* variables."""
    parser = argparse.ArgumentParser(
        prog="python -m indexer",
        description="Index the HTML pages of a corpus directory into a Whoosh index (incrementally).",
    )
    parser.add_argument(
        "--corpus",
        default=os.environ.get("SEARCH_CORPUS_DIR", DEFAULT_CORPUS),
        help="directory of *.html/*.htm pages, searched recursively (default: %(default)s; env SEARCH_CORPUS_DIR)",
    )
    parser.add_argument(
        "--index",
        default=os.environ.get("SEARCH_INDEX_DIR", DEFAULT_INDEX),
        help="index location (default: %(default)s; env SEARCH_INDEX_DIR)",
    )
    parser.add_argument(
        "--rebuild",
        action="store_true",
        help="build a fresh index beside the live one and swap it in atomically",
    )
    parser.add_argument(
        "--jobs",
        type=_positive_int,
        default=os.cpu_count() or 1,
        help="worker processes for parsing and tokenizing (default: CPUs, %(default)s)",
    )
    parser.add_argument(
        "--wait",
        type=float,
        default=0.0,
        metavar="SECONDS",
        help="wait up to this long for another running indexer to finish (default: exit at once)",
    )
    parser.add_argument(
        "--profiles",
        metavar="FILE",
        help=f"site profiles (TOML): CSS selectors per folder or URL (default: CORPUS/{PROFILES_NAME} if present)",
    )
    parser.add_argument(
        "--explain",
        metavar="PAGE",
        help="print what the extractor takes from one page and what it drops (by which rule); index nothing",
    )
    parser.add_argument("-q", "--quiet", action="store_true", help="no progress bar and no per-file warnings")
    return parser


def _profiles(option: str | None, corpus: str) -> Profiles:
    """The profiles named on the command line, else CORPUS/profiles.toml when it exists, else none."""
    if option is not None:
        return load_profiles(option) if option else NO_PROFILES
    default = Path(corpus) / PROFILES_NAME
    return load_profiles(default) if default.is_file() else NO_PROFILES


def _positive_int(value: str) -> int:
    try:
        number = int(value)
    except ValueError:
        number = 0
    if number < 1:
        msg = f"expected a positive integer, got {value!r}"
        raise argparse.ArgumentTypeError(msg)
    return number


def _progress_bar(enabled: bool):  # noqa: ANN202 - returns the pipeline's progress hook
    def wrap(items: Iterable[Analyzed], total: int) -> Iterable[Analyzed]:
        if not enabled or total == 0:
            return items
        from tqdm import tqdm

        return tqdm(items, total=total, unit="page", desc="indexing", leave=False, file=sys.stderr)

    return wrap


def main(argv: Sequence[str] | None = None) -> int:
    """Run the indexer (or `publish DEST`); exit 0 unless the index could not be written."""
    argv = list(sys.argv[1:] if argv is None else argv)
    if argv[:1] == ["publish"]:
        from indexer.publish import main as publish

        return publish(argv[1:])
    args = build_parser().parse_args(argv)
    try:
        profiles = _profiles(args.profiles, args.corpus)
    except ProfileError as exc:
        print(f"indexer: error: {exc}", file=sys.stderr)
        return 1
    if args.explain:
        return _explain(args.explain, args.corpus, profiles)
    show_progress = not args.quiet and sys.stderr.isatty()
    try:
        summary = run(
            args.corpus,
            args.index,
            rebuild=args.rebuild,
            jobs=args.jobs,
            lock_wait=args.wait,
            progress=_progress_bar(show_progress),
            profiles=profiles,
        )
    except IndexBusyError as exc:
        print(f"indexer: {exc}", file=sys.stderr)
        return 75  # EX_TEMPFAIL: try again later
    except (IndexWriteError, FileNotFoundError, OSError) as exc:
        print(f"indexer: error: {exc}", file=sys.stderr)
        return 1
    for path, problem in summary.problems:
        print(f"indexer: skipped {path}: {problem}", file=sys.stderr)
    if not args.quiet:
        for path, warning in summary.warnings:
            print(f"indexer: warning: {path}: {warning}", file=sys.stderr)
    print(summary.line())
    return 0


def _explain(page: str, corpus: str, profiles: Profiles) -> int:
    from indexer.explain import explain

    try:
        print(explain(Path(page), Path(corpus), profiles))
    except OSError as exc:
        print(f"indexer: cannot read {page}: {exc.strerror or exc}", file=sys.stderr)
        return 1
    except ExtractionError as exc:
        print(f"indexer: cannot extract {page}: {exc}", file=sys.stderr)
        return 1
    return 0
