"""The indexer's last run as a machine-readable file (`var/index-status.json`), and the live commit on disk."""

from __future__ import annotations

import datetime as dt
import json
import os
import re
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from indexer.pipeline import Summary

# Whoosh's table of contents: one file per commit, _MAIN_<commit number>.toc.
TOC_NAME = re.compile(r"^_MAIN_(\d+)\.toc$")


@dataclass(frozen=True)
class Commit:
    """The live index's latest commit: its generation directory, commit number and time (epoch seconds)."""

    generation: str
    number: int
    committed_at: float


def status_path(index: str | os.PathLike[str]) -> Path:
    """Where the status of `index` is written: var/index → var/index-status.json."""
    path = Path(index)
    return path.with_name(path.name + "-status.json")


def live_commit(index: str | os.PathLike[str]) -> Commit | None:
    """The newest table of contents in the generation the live link points at, or None without an index."""
    path = Path(index)
    if not path.is_dir():
        return None
    gen = path.resolve()
    best: tuple[int, float] | None = None
    try:
        for entry in os.scandir(gen):
            m = TOC_NAME.match(entry.name)
            if m and (best is None or int(m.group(1)) > best[0]):
                best = (int(m.group(1)), entry.stat().st_mtime)
    except OSError:
        return None
    return Commit(gen.name, best[0], best[1]) if best else None


def _iso(when: float) -> str:
    return dt.datetime.fromtimestamp(when, dt.UTC).isoformat(timespec="seconds").replace("+00:00", "Z")


def write_status(index: str | os.PathLike[str], summary: Summary, started: float, ended: float) -> Path:
    """Write the run's summary beside the index (atomically: a reader sees the old file or the new one)."""
    commit = live_commit(index)
    status: dict[str, Any] = {
        "start": _iso(started),
        "end": _iso(ended),
        "seconds": round(summary.seconds, 3),
        "rebuilt": summary.rebuilt,
        "added": summary.added,
        "updated": summary.updated,
        "deleted": summary.deleted,
        "unchanged": summary.unchanged,
        "skipped": summary.skipped,
        "skipped_reasons": [{"path": p, "reason": r} for p, r in summary.problems],
        "generation": commit.generation if commit else None,
        "commit": commit.number if commit else None,
        "committed_at": _iso(commit.committed_at) if commit else None,
    }
    target = status_path(index)
    tmp = target.with_name(f".{target.name}.{os.getpid()}.tmp")
    with open(tmp, "w", encoding="utf-8") as fh:
        json.dump(status, fh, ensure_ascii=False, indent=2)
        fh.write("\n")
    os.replace(tmp, target)
    return target


def read_status(index: str | os.PathLike[str]) -> dict[str, Any] | None:
    """The last run's status, or None when there is none (or it cannot be read)."""
    try:
        with open(status_path(index), encoding="utf-8") as fh:
            data = json.load(fh)
    except (OSError, ValueError):
        return None
    return data if isinstance(data, dict) else None


def parse_time(value: object) -> float | None:
    """Epoch seconds of a status time (None for a missing or malformed one)."""
    if not isinstance(value, str):
        return None
    try:
        return dt.datetime.fromisoformat(value.replace("Z", "+00:00")).timestamp()
    except ValueError:
        return None
