"""Indexing benchmarks: a full build through `python -m indexer`, Janome alone on the same text, one-article reindex."""

from __future__ import annotations

import json
import os
import random
import statistics
import sys
import time
from dataclasses import dataclass
from pathlib import Path

from bench.perf.procmon import TreeStats, run_watched

REPO = Path(__file__).resolve().parents[2]


@dataclass
class BuildResult:
    """A full index build: what went in, how long it took, what it used."""

    docs: int
    chars: int
    stats: TreeStats
    index_bytes: int
    # UTF-8 bytes of the indexed text (title, body, tags): what the index size is measured against.
    text_bytes: int = 0

    def as_dict(self) -> dict[str, float]:
        """Plain numbers for the JSON results."""
        st = self.stats
        return {
            "docs": self.docs,
            "chars": self.chars,
            "wall_s": round(st.wall, 2),
            "cpu_s": round(st.cpu, 1),
            "ideal_2core_wall_s": round(st.ideal_wall(), 1),
            "serial_cpu_s": round(st.serial_cpu(), 1),
            "others_cores": round(st.others_cores, 2),
            "docs_per_s": round(self.docs / st.wall, 2),
            "chars_per_s": round(self.chars / st.wall),
            "writer_peak_rss_mb": round(st.peak_rss_mb(root_only=True), 1),
            "all_peak_rss_mb": round(st.peak_rss_mb(), 1),
            "index_mb": round(self.index_bytes / 2**20, 1),
            "text_mb": round(self.text_bytes / 2**20, 1),
            "size_ratio_to_text": round(self.index_bytes / max(1, self.text_bytes), 2),
        }


def indexer_argv(corpus: Path, index: Path, *extra: str) -> list[str]:
    """The production indexer's command line."""
    return [sys.executable, "-m", "indexer", "--corpus", str(corpus), "--index", str(index), "-q", *extra]


def directory_bytes(path: Path) -> int:
    """Bytes of everything the indexer keeps for the index at `path`: the live generation and the digest cache."""
    root = path.resolve()
    cache = path.with_name(path.name + ".digests.json")
    return sum(f.stat().st_size for f in root.rglob("*") if f.is_file()) + (
        cache.stat().st_size if cache.exists() else 0
    )


def index_text(index: Path) -> list[str]:
    """The analyzed text fields (title, body, tags) of every document, as the indexer stored them."""
    from whoosh import index as whoosh_index

    ix = whoosh_index.open_dir(str(index))
    try:
        with ix.searcher() as s:
            return [f.get(name, "") for f in s.all_stored_fields() for name in ("title", "body", "tags")]
    finally:
        ix.close()


def build_index(corpus: Path, index: Path, jobs: int) -> BuildResult:
    """A full build (--rebuild) of `corpus` into `index`, watched; raises if the indexer fails."""
    stats = run_watched(indexer_argv(corpus, index, "--rebuild", "--jobs", str(jobs)), cwd=str(REPO))
    if stats.returncode != 0:
        msg = f"indexer failed ({stats.returncode}): {stats.stderr[-2000:]}"
        raise RuntimeError(msg)
    texts = index_text(index)
    text_bytes = sum(len(t.encode("utf-8")) for t in texts)
    return BuildResult(len(texts) // 3, sum(len(t) for t in texts), stats, directory_bytes(index), text_bytes)


def janome_speed(index: Path, docs: int, seed: int = 11) -> dict[str, float]:
    """Janome alone, one process, on a seeded sample of the indexed text, line by line as the analyzer calls it."""
    argv = [sys.executable, "-m", "bench.perf.indexing", "janome", str(index), str(docs), str(seed)]
    stats = run_watched(argv, cwd=str(REPO))
    if stats.returncode != 0:
        msg = f"janome baseline failed: {stats.stderr[-2000:]}"
        raise RuntimeError(msg)
    result = json.loads(stats.stdout.strip().splitlines()[-1])
    result["others_cores"] = round(stats.others_cores, 2)
    return result


def _janome_main(index: Path, docs: int, seed: int) -> None:
    from indexer.analysis import janome_tokenizer

    texts = index_text(index)
    groups = [texts[i : i + 3] for i in range(0, len(texts), 3)]
    sample = random.Random(seed).sample(groups, min(docs, len(groups)))
    lines = [line for group in sample for text in group for line in text.split("\n") if line.strip()]
    chars = sum(len(t) for group in sample for t in group)
    tokenizer = janome_tokenizer()
    list(tokenizer.tokenize("準備"))
    wall0, cpu0 = time.perf_counter(), time.process_time()
    for line in lines:
        for _token in tokenizer.tokenize(line):
            pass
    wall, cpu = time.perf_counter() - wall0, time.process_time() - cpu0
    print(
        json.dumps(
            {
                "docs": len(sample),
                "chars": chars,
                "wall_s": round(wall, 2),
                "cpu_s": round(cpu, 2),
                "chars_per_s": round(chars / wall),
                "chars_per_cpu_s": round(chars / cpu),
            }
        )
    )


_NOTE_ANCHOR = '</div>\n<footer class="entry-footer">'


def reindex_one(corpus: Path, index: Path, repeats: int = 3) -> dict[str, float]:
    """An editor's change: one article edited, then `python -m indexer` end to end, `repeats` times."""
    pages = sorted(corpus.rglob("*.html"))
    page = pages[len(pages) // 2]
    original = page.read_text(encoding="utf-8")
    if _NOTE_ANCHOR not in original:
        msg = f"unexpected page layout in {page}"
        raise RuntimeError(msg)
    walls: list[float] = []
    cpus: list[float] = []
    try:
        for n in range(repeats):
            note = f"<p>編集部注: この記事は{n + 1}回目の更新で追記しました。</p>\n"
            page.write_text(original.replace(_NOTE_ANCHOR, note + _NOTE_ANCHOR), encoding="utf-8")
            stats = run_watched(indexer_argv(corpus, index), cwd=str(REPO))
            if stats.returncode != 0 or "1 updated" not in stats.stdout:
                msg = f"reindex did not update one article: {stats.stdout} {stats.stderr[-1000:]}"
                raise RuntimeError(msg)
            walls.append(stats.wall)
            cpus.append(stats.cpu)
    finally:
        page.write_text(original, encoding="utf-8")
        run_watched(indexer_argv(corpus, index), cwd=str(REPO))
    return {
        "docs_in_index": len(pages),
        "repeats": repeats,
        "median_s": round(statistics.median(walls), 2),
        "max_s": round(max(walls), 2),
        "median_cpu_s": round(statistics.median(cpus), 2),
    }


if __name__ == "__main__":
    if len(sys.argv) == 5 and sys.argv[1] == "janome":
        _janome_main(Path(sys.argv[2]), int(sys.argv[3]), int(sys.argv[4]))
    else:
        sys.exit(f"usage: {os.path.basename(sys.argv[0])} janome INDEX DOCS SEED")
