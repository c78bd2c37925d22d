"""The relevance harness's own logic: peers, the project system, metrics, the command line."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from bench import eval_relevance
from bench.datasets import Document
from bench.metrics import evaluate, latency_ms, to_run
from bench.peers import bigram_tokens, char_ngrams, fts5_match
from bench.project import ProjectSystem
from bench.render import as_extracted
from bench.runner import build_system, run_queries
from search_app.engine.syntax import QuerySyntaxError

TOY = [
    Document("tea", "緑茶", "緑茶は茶葉を発酵させずに作る日本茶で、静岡県や鹿児島県が主な産地である。"),
    Document("fuji", "富士山", "富士山は静岡県と山梨県にまたがる活火山で、標高は3776メートルある。"),
    Document("train", "新幹線", "東海道新幹線は東京駅と新大阪駅を結ぶ高速鉄道の路線である。"),
    Document("cat", "猫", "猫は古くから人に飼われてきた動物で、ネズミを捕る役目を担った。"),
]
QUERIES = {"q-fuji": "富士山の標高", "q-train": "東京と新大阪を結ぶ鉄道", "q-tea": "発酵させない日本茶"}
EXPECTED = {"q-fuji": "fuji", "q-train": "train", "q-tea": "tea"}


@pytest.mark.parametrize(
    ("text", "n", "short_runs", "expected"),
    [
        ("富士山の標高", 3, False, ["富士山", "士山の", "山の標", "の標高"]),
        ("ＡＢＣ１２", 2, False, ["ab", "bc", "c1", "12"]),  # NFKC, lower case
        ("猫、犬。", 2, True, ["猫", "犬"]),  # n-grams never span punctuation
        ("猫、犬。", 2, False, []),
        ("", 3, False, []),
    ],
)
def test_char_ngrams(text: str, n: int, short_runs: bool, expected: list[str]) -> None:
    assert char_ngrams(text, n, short_runs=short_runs) == expected


@pytest.mark.parametrize(
    ("query", "expected"),
    [
        ("富士山の標高", '"富士山" OR "士山の" OR "山の標" OR "の標高"'),
        ("あいあいあい", '"あいあ" OR "いあい"'),  # each trigram once
        ("猫 犬", ""),  # nothing a trigram index can match
        ('AND "OR" NEAR(x)', '"and" OR "nea" OR "ear"'),  # FTS5 operators become plain strings
    ],
)
def test_fts5_match(query: str, expected: str) -> None:
    assert fts5_match(query) == expected


def test_bigram_tokens_keep_a_one_character_word() -> None:
    assert bigram_tokens("猫と犬、鳥") == ["猫と", "と犬", "鳥"]


def test_fts5_peer_finds_the_obvious_document() -> None:
    from bench.peers import Fts5Trigram

    peer = Fts5Trigram(TOY)
    try:
        for qid, query in QUERIES.items():
            assert peer.search(query, 10)[0] == EXPECTED[qid]
        assert peer.search("猫", 10) == []  # below three characters: documented, not an error
        assert peer.search("存在しない語彙", 10) == []
    finally:
        peer.close()


def test_bm25s_peer_finds_the_obvious_document() -> None:
    pytest.importorskip("bm25s")
    from bench.peers import CharBigramBM25

    peer = CharBigramBM25(TOY)
    for qid, query in QUERIES.items():
        assert peer.search(query, 10)[0] == EXPECTED[qid]
    assert peer.search("猫", 10) == ["cat"]
    # Documents that share no bigram with the query are not hits, though bm25s fills k slots.
    assert peer.search("存在しない語彙", 10) == []
    assert len(peer.search("静岡県", 100)) == 2


@pytest.fixture(scope="module")
def project(tmp_path_factory: pytest.TempPathFactory) -> ProjectSystem:
    system = ProjectSystem(TOY, tmp_path_factory.mktemp("project"), jobs=1)
    yield system
    system.close()


def test_project_goes_through_the_real_pipeline(project: ProjectSystem) -> None:
    assert project.summary.added == len(TOY) and not project.summary.problems
    assert project.search("富士山", 100) == ["fuji"]
    assert set(project.search("新幹線 OR 緑茶", 100)) == {"train", "tea"}
    with pytest.raises(QuerySyntaxError):
        project.search("猫" * 1001, 100)


def test_run_queries_counts_rejected_queries_as_empty_runs(project: ProjectSystem) -> None:
    ranked, seconds, rejected = run_queries(project, {"ok": "富士山", "long": "猫" * 1001, "none": "象"})
    assert ranked == {"ok": ["fuji"], "long": [], "none": []}
    assert rejected == ["long"]
    assert len(seconds) == 2  # a rejected query has no latency


def test_to_run_keeps_the_system_order() -> None:
    run = to_run({"q": ["b", "a", "b", "c"]}, depth=3)
    assert sorted(run["q"], key=run["q"].__getitem__, reverse=True) == ["b", "a"]
    assert run["q"]["b"] > run["q"]["a"]


def test_metrics_on_a_known_run() -> None:
    pytest.importorskip("ranx")
    qrels = {"q1": {"d1": 1}, "q2": {"d3": 1}, "q3": {"d9": 1}, "q4": {"d7": 1}, "q5": {"x": 0}}
    ranked = {
        "q1": ["d1", "d2"],  # first
        "q2": ["d2", "d3"],  # second
        "q3": [],  # nothing: scores 0
        "q4": [f"n{i}" for i in range(49)] + ["d7"],  # 50th: only Recall@100 sees it
        "q5": ["x"],  # no relevant document: not scored
    }
    scores = evaluate(qrels, ranked)
    assert scores["mrr@10"] == pytest.approx((1 + 1 / 2) / 4)
    assert scores["ndcg@10"] == pytest.approx((1 + 1 / 1.5849625007211562) / 4)
    assert scores["recall@10"] == pytest.approx(2 / 4)
    assert scores["recall@100"] == pytest.approx(3 / 4)


def test_latency_percentiles() -> None:
    assert latency_ms([]) == {"p50": 0.0, "p95": 0.0}
    assert latency_ms([0.002]) == {"p50": 2.0, "p95": 2.0}
    result = latency_ms([n / 1000 for n in range(1, 102)])
    assert result["p50"] == pytest.approx(51.0)
    assert result["p95"] == pytest.approx(96.0)


def write_toy_set(root: Path) -> str:
    corpus = root / "corpus.jsonl"
    corpus.write_text(
        "".join(json.dumps({"id": d.id, "title": d.title, "text": d.text}, ensure_ascii=False) + "\n" for d in TOY),
        encoding="utf-8",
    )
    (root / "q.tsv").write_text("".join(f"{q}\t{t}\n" for q, t in QUERIES.items()), encoding="utf-8")
    (root / "qrels.trec").write_text("".join(f"{q} 0 {d} 1\n" for q, d in EXPECTED.items()), encoding="utf-8")
    return f"toy={corpus},{root / 'q.tsv'},{root / 'qrels.trec'}"


def test_cli_scores_a_set_given_by_path(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    pytest.importorskip("ranx")
    out = tmp_path / "report.json"
    argv = ["--set", write_toy_set(tmp_path), "--systems", "fts5-trigram", "--out", str(out)]
    assert eval_relevance.main(argv) == 0
    printed = capsys.readouterr().out
    assert "toy: 4 documents, 3 queries" in printed
    assert "fts5-trigram  1.0000" in printed
    report = json.loads(out.read_text(encoding="utf-8"))
    assert report["sets"]["toy"]["systems"]["fts5-trigram"]["metrics"]["mrr@10"] == 1.0


def test_cli_skips_absent_default_sets(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    out = tmp_path / "report.json"
    assert eval_relevance.main(["--data", str(tmp_path / "none"), "--out", str(out)]) == 0
    captured = capsys.readouterr()
    assert "skipping jsquad" in captured.err and "skipping ldcc" in captured.err
    assert json.loads(out.read_text(encoding="utf-8"))["sets"] == {}


@pytest.mark.parametrize("argv", [["--set", "toy=only-one-file"], ["--systems", "nope"], ["--sets", "msmarco"]])
def test_cli_rejects_bad_arguments(tmp_path: Path, argv: list[str]) -> None:
    assert eval_relevance.main([*argv, "--data", str(tmp_path), "--out", str(tmp_path / "r.json")]) == 2


def test_an_extracted_peer_indexes_the_text_the_project_extracts(tmp_path: Path) -> None:
    docs = [
        Document("a", "経理", "月次決算の手順です。\n■関連記事\n・請求書の送り方と締め日"),
        Document("b", "経理", "請求書の送り方と締め日について説明します。"),
    ]
    assert [d.text for d in as_extracted(docs)] == [
        "月次決算の手順です。",
        "請求書の送り方と締め日について説明します。",
    ]
    raw = build_system("bm25s-bigram", docs, tmp_path, None)
    extracted = build_system("bm25s-bigram+extracted", docs, tmp_path, None)
    # The link list names b's subject word for word: only the raw peer finds a there too.
    assert set(raw.search("請求書の送り方と締め日", 10)) == {"a", "b"}
    assert extracted.search("請求書の送り方と締め日", 10) == ["b"]
