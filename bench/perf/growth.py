"""The growth curve: index time, index size and query p99 at several corpus sizes, and its plot."""

from __future__ import annotations

import json
import shutil
import sys
import time
from pathlib import Path
from typing import Any

from bench.perf import corpus as corpus_mod
from bench.perf import indexing, load


def measure_point(
    sources: list[corpus_mod.Source],
    size: int,
    work: Path,
    jobs: int,
    clients: int,
    duration: float,
    *,
    keep_index: bool = False,
) -> dict[str, Any]:
    """Render `size` articles, build their index from scratch, then load the production server with queries.

    With `keep_index`, the index stays in work/size-<size>/index (for --requery).
    """
    root = work / f"size-{size}"
    shutil.rmtree(root, ignore_errors=True)
    root.mkdir(parents=True)
    try:
        corpus_mod.write_corpus(corpus_mod.select(sources, size), root / "corpus")
        built = indexing.build_index(root / "corpus", root / "index", jobs)
        print(f"bench: {size} articles indexed; query load", file=sys.stderr, flush=True)
        queries = load.measure_queries(
            root / "index", root, connections=clients, seconds=duration, warmup=warmup_seconds(size)
        )
    finally:
        shutil.rmtree(root / "corpus", ignore_errors=True)
    if not keep_index:
        shutil.rmtree(root, ignore_errors=True)
    return {"size": size, "build": built.as_dict(), "queries": queries}


def warmup_seconds(size: int) -> float:
    """Load before measuring, until every worker has built its vocabulary in the background.

    That is about 5 CPU s per worker at 50,000 articles (the terms, every stored
    title, Janome's readings), once per start and per reindex: steady state is measured.
    """
    return max(3.0, size / 2000)


def requery_point(results: Path, size: int, index: Path, work: Path, clients: int, duration: float) -> dict[str, Any]:
    """The saved point for `size` with its queries measured again over `index` (built from the same articles)."""
    target = results / f"growth-{size}.json"
    if not target.exists():
        msg = f"no saved growth point for {size} articles in {results}: run the growth benchmark first"
        raise SystemExit(msg)
    point = json.loads(target.read_text(encoding="utf-8"))
    from whoosh import index as whoosh_index

    docs = whoosh_index.open_dir(str(index.resolve())).doc_count()
    # The saved build's count (pages without text are skipped), else the size asked for.
    expected = point.get("build", {}).get("docs", size)
    if docs != expected:
        msg = f"{index} holds {docs} articles, not {expected}"
        raise SystemExit(msg)
    point["queries"] = load.measure_queries(
        index, work, connections=clients, seconds=duration, warmup=warmup_seconds(docs)
    )
    point["queries"]["remeasured"] = time.strftime("%Y-%m-%d %H:%M")
    save_point(results, point)
    return point


def save_point(results: Path, point: dict[str, Any]) -> Path:
    """Keep one growth point as var/bench/growth-<size>.json (points from other runs stay)."""
    target = results / f"growth-{point['size']}.json"
    target.write_text(json.dumps(point, ensure_ascii=False, indent=2), encoding="utf-8")
    return target


def load_points(results: Path) -> list[dict[str, Any]]:
    """Every saved growth point, by size."""
    points = [json.loads(p.read_text(encoding="utf-8")) for p in results.glob("growth-*.json")]
    return sorted(points, key=lambda p: p["size"])


def plot(points: list[dict[str, Any]], target: Path) -> None:
    """Three panels over the number of articles: index time, index size, query p99."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    if not points:
        return
    sizes = [p["size"] for p in points]
    # (title, measured values, CPU-based values for 2 idle cores or None, target line or None)
    panels = [
        (
            "full index time (min)",
            [p["build"]["wall_s"] / 60 for p in points],
            [p["build"]["ideal_2core_wall_s"] / 60 for p in points],
            None,
        ),
        ("index size (MB)", [p["build"]["index_mb"] for p in points], None, None),
        ("query p99 (ms), 4 clients", [p["queries"]["p99_ms"] for p in points], None, 200),
        ("server CPU per query (ms)", [p["queries"]["server_cpu_ms_per_query"] for p in points], None, None),
    ]
    fig, axes = plt.subplots(1, len(panels), figsize=(16, 3.9))
    for ax, (title, values, ideal, target_line) in zip(axes, panels, strict=True):
        ax.plot(sizes, values, marker="o", label="measured")
        for x, y in zip(sizes, values, strict=True):
            label = f"{y:.0f}" if y >= 10 else f"{y:.1f}"
            ax.annotate(label, (x, y), textcoords="offset points", xytext=(0, 6), ha="center", fontsize=8)
        if ideal:
            ax.plot(sizes, ideal, marker=".", linestyle=":", label="CPU time / 2 cores")
        if target_line:
            ax.axhline(target_line, color="red", linestyle="--", linewidth=1, label=f"target {target_line} ms")
        if ideal or target_line:
            ax.legend(fontsize=8, loc="upper left")
        ax.set_title(title, fontsize=10)
        ax.set_xlabel("articles")
        ax.set_ylim(bottom=0)
        ax.grid(alpha=0.3)
    fig.suptitle(
        "Growth over livedoor news articles (beyond 7,367: recombined ldcc paragraphs); 2 CPUs shared with other work",
        fontsize=10,
    )
    fig.tight_layout()
    target.parent.mkdir(parents=True, exist_ok=True)
    fig.savefig(target, dpi=110)
    plt.close(fig)
