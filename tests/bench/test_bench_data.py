"""The relevance harness's own logic: loading sets, the ldcc known-item set, rendering pages."""

from __future__ import annotations

import datetime as dt
import json
from pathlib import Path

import pytest

from bench.datasets import DatasetError, Document, load_ldcc, load_set
from bench.render import article_page, write_corpus
from indexer.extract import extract_file

DOCS = [
    {"id": "d1", "title": "梅干し", "text": "梅の実を塩漬けにして干した保存食である。"},
    {"id": "d2", "title": "富士山", "text": "静岡県と山梨県にまたがる活火山。\n標高は3776メートル。"},
    {"id": "d3", "title": "", "text": "タイトルのない段落です。"},
]


def write_set(root: Path, qrels: str = "q1 0 d1 1\nq2 0 d2 1\nq3 0 d3 0\n") -> tuple[Path, Path, Path]:
    corpus, queries, judgments = root / "corpus.jsonl", root / "queries.test.tsv", root / "qrels.test.trec"
    corpus.write_text("".join(json.dumps(d, ensure_ascii=False) + "\n" for d in DOCS), encoding="utf-8")
    queries.write_text("q1\t梅干しとは何か\nq2\t富士山の標高は\nq3\t何もない\nq4\t判定なし\n", encoding="utf-8")
    judgments.write_text(qrels, encoding="utf-8")
    return corpus, queries, judgments


def test_load_set_reads_the_three_files(tmp_path: Path) -> None:
    es = load_set("toy", *write_set(tmp_path))
    assert [d.id for d in es.docs] == ["d1", "d2", "d3"]
    assert es.docs[1].text == DOCS[1]["text"]
    assert es.queries["q2"] == "富士山の標高は"
    assert es.qrels == {"q1": {"d1": 1}, "q2": {"d2": 1}, "q3": {"d3": 0}}
    # q3 has no relevant document and q4 no judgment at all: neither can be scored.
    assert list(es.judged_queries()) == ["q1", "q2"]


@pytest.mark.parametrize("qrels", ["q1 0 d1\n", "q1 0 d1 yes\n", "q1 0 d1 1 extra\n"])
def test_load_set_rejects_malformed_qrels(tmp_path: Path, qrels: str) -> None:
    with pytest.raises(DatasetError, match=r"qrels\.test\.trec:1"):
        load_set("toy", *write_set(tmp_path, qrels))


@pytest.mark.parametrize("line", ["not json", '{"title": "no id"}', "[1, 2]"])
def test_load_set_rejects_malformed_corpus(tmp_path: Path, line: str) -> None:
    corpus, queries, qrels = write_set(tmp_path)
    corpus.write_text(line + "\n", encoding="utf-8")
    with pytest.raises(DatasetError, match=r"corpus\.jsonl:1"):
        load_set("toy", corpus, queries, qrels)


def test_load_set_names_a_missing_file(tmp_path: Path) -> None:
    corpus, queries, _ = write_set(tmp_path)
    with pytest.raises(DatasetError, match=r"qrels\.missing"):
        load_set("toy", corpus, queries, tmp_path / "qrels.missing")


def write_ldcc(root: Path, per_category: int = 5) -> Path:
    for category in ("peachy", "smax"):
        folder = root / "ldcc" / category
        folder.mkdir(parents=True)
        (folder / "LICENSE.txt").write_text("license text\n", encoding="utf-8")
        for n in range(per_category):
            lines = [
                f"http://news.example/{category}/{n}/",
                "2012-05-01T10:00:00+0900",
                f"{category}の見出し{n}番",
                f"{category}の本文{n}、一段落目。",
                "",
                "二段落目。",
            ]
            (folder / f"{category}-{1000 + n}.txt").write_text("\n".join(lines) + "\n", encoding="utf-8")
    return root


def test_ldcc_known_item_keeps_the_headline_out_of_the_document(tmp_path: Path) -> None:
    es = load_ldcc(write_ldcc(tmp_path), sample=None)
    assert len(es.docs) == 10 and len(es.queries) == 10
    doc = next(d for d in es.docs if d.id == "smax-1002")
    assert es.queries["smax-1002"] == "smaxの見出し2番"
    assert es.qrels["smax-1002"] == {"smax-1002": 1}
    assert doc.title == "smax" and doc.category == "smax"
    assert doc.text == "smaxの本文2、一段落目。\n\n二段落目。"
    assert doc.date == "2012-05-01T10:00:00+0900" and doc.url == "http://news.example/smax/2/"
    for d in es.docs:
        assert es.queries[d.id] not in d.title + d.text


def test_ldcc_sample_is_fixed_and_indexes_every_article(tmp_path: Path) -> None:
    data = write_ldcc(tmp_path)
    first, second = load_ldcc(data, sample=4), load_ldcc(data, sample=4)
    assert len(first.docs) == 10
    assert list(first.queries) == list(second.queries) and len(first.queries) == 4
    assert set(first.qrels) == set(first.queries)
    assert set(first.queries) <= {d.id for d in first.docs}
    assert len(load_ldcc(data, sample=None).queries) == 10


def test_ldcc_absent_is_a_dataset_error(tmp_path: Path) -> None:
    with pytest.raises(DatasetError, match="not found"):
        load_ldcc(tmp_path)


@pytest.mark.parametrize(
    "doc",
    [
        Document("a", "富士山", "静岡県と山梨県にまたがる活火山。\n標高は3776メートル。"),
        Document("b", "AT&T <米国>", 'Ｆｕｌｌ-width "quotes" & <tags> are text, not markup.'),
        Document("c", "smax", "一段落目。\n\n\n二段落目。", date="2012-05-01T10:00:00+0900", category="smax"),
        Document("d", "見出し", "本文", url="http://news.example/1/"),
    ],
    ids=["plain", "markup-characters", "ldcc-like", "url"],
)
def test_rendered_page_round_trips_through_the_extractor(doc: Document) -> None:
    article = extract_file(article_page(doc).encode("utf-8"), "x.html")
    assert article.title == doc.title
    assert article.body == "\n".join(line for line in doc.text.split("\n") if line.strip())
    assert article.category == doc.category
    assert article.url == doc.url
    assert article.date == (dt.date.fromisoformat(doc.date[:10]) if doc.date else None)


def test_a_text_that_starts_with_its_title_keeps_it() -> None:
    # JSQuAD paragraphs often open with their article's title: 梅雨（つゆ）は…
    doc = Document("a", "梅雨", "梅雨（つゆ、ばいう）は、東アジアの気象現象。")
    assert extract_file(article_page(doc).encode("utf-8"), "x.html").body == doc.text


def test_write_corpus_maps_paths_back_to_ids(tmp_path: Path) -> None:
    docs = [Document(f"id/{n}?", f"t{n}", f"本文{n}") for n in range(3)]
    paths = write_corpus(docs, tmp_path)
    assert sorted(paths.values()) == ["id/0?", "id/1?", "id/2?"]
    for rel in paths:
        assert (tmp_path / rel).is_file()
