"""The speed benchmark's own pieces, on a tiny made-up corpus in ldcc's layout (never the real one)."""

from __future__ import annotations

import sys
from pathlib import Path

import pytest

from bench.perf import corpus as perf_corpus
from bench.perf.load import READER_QUERIES, search_paths, write_lua
from bench.perf.procmon import run_watched
from bench.perf.stages import measure_stages
from indexer.extract import extract_file


def fake_ldcc(root: Path) -> Path:
    (root / "README.txt").parent.mkdir(parents=True, exist_ok=True)
    (root / "README.txt").write_text("readme", encoding="utf-8")
    for cat, n in (("topic-news", 3), ("peachy", 2)):
        (root / cat).mkdir()
        (root / cat / "LICENSE.txt").write_text("license", encoding="utf-8")
        for i in range(n):
            (root / cat / f"{cat}-{i}.txt").write_text(
                f"https://example.jp/{cat}/{i}/\n2012-01-0{i + 1}T10:00:00+0900\n見出し{cat}{i} <&>\n"
                f"第一段落です{i}。\n\n第二段落は「引用」を含みます。\n",
                encoding="utf-8",
            )
    return root


def test_articles_render_to_pages_the_extractor_reads_back(tmp_path: Path) -> None:
    sources = perf_corpus.read_ldcc(fake_ldcc(tmp_path / "ldcc"))
    assert [s.key for s in sources][:2] == ["peachy/peachy-0", "peachy/peachy-1"]
    written = perf_corpus.write_corpus(sources, tmp_path / "html")
    assert written == sum(s.chars for s in sources)
    page = tmp_path / "html" / "topic-news" / "topic-news-1.html"
    article = extract_file(page.read_bytes(), "x")
    assert article.title == "見出しtopic-news1 <&>"
    assert article.body == "第一段落です1。\n第二段落は「引用」を含みます。"
    assert article.date is not None and article.date.isoformat() == "2012-01-02"
    assert article.url == "https://example.jp/topic-news/1/"
    assert article.category == "トピックニュース"
    assert not (tmp_path / "html.partial").exists()


@pytest.mark.parametrize("size", [2, 5, 12])
def test_select_samples_below_the_corpus_size_and_synthesizes_above(tmp_path: Path, size: int) -> None:
    sources = perf_corpus.read_ldcc(fake_ldcc(tmp_path / "ldcc"))
    chosen = perf_corpus.select(sources, size)
    assert len(chosen) == size
    assert len({s.key for s in chosen}) == size
    assert chosen == perf_corpus.select(sources, size)  # seeded
    paragraphs = {p for s in sources for p in s.paragraphs}
    assert all(set(s.paragraphs) <= paragraphs for s in chosen)  # whole paragraphs, never rewritten


def test_wrk_script_rotates_over_url_encoded_reader_queries(tmp_path: Path) -> None:
    paths = search_paths()
    assert len(paths) == len(READER_QUERIES)
    assert all(1 <= len(q.split()) <= 3 for q in READER_QUERIES)
    assert all(p.startswith("/search?q=") and " " not in p and p.isascii() for p in paths)
    script = write_lua(tmp_path / "q.lua", paths).read_text(encoding="utf-8")
    assert paths[0] in script and "function request()" in script and "percentile(99)" in script


def test_process_tree_monitor_sees_children(tmp_path: Path) -> None:
    code = "import subprocess, sys; subprocess.run([sys.executable, '-c', 'sum(range(3_000_000))']); print('done')"
    stats = run_watched([sys.executable, "-c", code], interval=0.01)
    assert stats.returncode == 0 and stats.stdout.strip() == "done"
    assert stats.cpu > 0 and stats.wall > 0
    assert stats.peak_rss_mb(root_only=True) > 1


def test_the_stage_profile_runs_over_real_pages() -> None:
    # The bundled corpus stands in for ldcc: every stage runs and the shares add up.
    corpus = Path(__file__).resolve().parents[2] / "corpus"
    result = measure_stages(corpus, docs=3)
    assert result["docs"] == 3
    stages = ("read", "extract", "analyze", "pickle", "add_document", "commit")
    assert sum(result[f"{s}_share"] for s in stages) == pytest.approx(1.0, abs=0.01)
    assert result["analyze_cpu_s"] > 0


def test_requery_refuses_an_index_of_another_size(tmp_path: Path, built_index: Path) -> None:
    from bench.perf import growth

    results = tmp_path / "results"
    results.mkdir()
    with pytest.raises(SystemExit, match="no saved growth point"):
        growth.requery_point(results, 5, built_index, tmp_path, clients=1, duration=1)
    growth.save_point(results, {"size": 7, "build": {"wall_s": 1.0}, "queries": {}})
    with pytest.raises(SystemExit, match="holds 5 articles, not 7"):
        growth.requery_point(results, 7, built_index, tmp_path, clients=1, duration=1)
