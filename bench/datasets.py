"""Retrieval sets: the corpus.jsonl / queries.tsv / qrels.trec format, and ldcc known-item built in memory."""

from __future__ import annotations

import json
import random
from dataclasses import dataclass, field
from pathlib import Path

# The fixed seed of the ldcc query sample: every run scores the same headlines.
LDCC_SEED = 20140209
LDCC_SAMPLE = 2000
# Files of the ldcc distribution that are not articles.
_LDCC_SKIP = frozenset({"LICENSE.txt", "README.txt", "CHANGES.txt"})


class DatasetError(ValueError):
    """A set's files are missing or malformed."""


@dataclass(frozen=True)
class Document:
    """One document to index: its id, title and text (lines separated by newlines)."""

    id: str
    title: str
    text: str
    date: str = ""
    category: str = ""
    url: str = ""


@dataclass
class EvalSet:
    """Documents, queries (qid → text) and judgments (qid → docid → relevance)."""

    name: str
    docs: list[Document]
    queries: dict[str, str]
    qrels: dict[str, dict[str, int]]
    notes: dict[str, object] = field(default_factory=dict)

    def judged_queries(self) -> dict[str, str]:
        """The queries that have at least one relevant document, in qid order."""
        return {
            qid: self.queries[qid]
            for qid in sorted(self.queries)
            if any(rel > 0 for rel in self.qrels.get(qid, {}).values())
        }


def read_corpus(path: Path) -> list[Document]:
    """Documents from a corpus.jsonl of {"id", "title", "text"} lines."""
    docs: list[Document] = []
    with open(path, encoding="utf-8") as fh:
        for lineno, line in enumerate(fh, 1):
            if not line.strip():
                continue
            try:
                row = json.loads(line)
                docs.append(Document(str(row["id"]), str(row.get("title") or ""), str(row["text"])))
            except (ValueError, KeyError, TypeError) as exc:
                msg = f"{path}:{lineno}: not a corpus line ({exc})"
                raise DatasetError(msg) from exc
    return docs


def read_queries(path: Path) -> dict[str, str]:
    """Queries from a qid<TAB>text file."""
    queries: dict[str, str] = {}
    with open(path, encoding="utf-8") as fh:
        for lineno, raw in enumerate(fh, 1):
            line = raw.rstrip("\r\n")
            if not line:
                continue
            qid, sep, text = line.partition("\t")
            if not sep:
                msg = f"{path}:{lineno}: expected qid<TAB>text"
                raise DatasetError(msg)
            queries[qid] = text
    return queries


def read_qrels(path: Path) -> dict[str, dict[str, int]]:
    """Judgments from a TREC qrels file (qid 0 docid relevance)."""
    qrels: dict[str, dict[str, int]] = {}
    with open(path, encoding="utf-8") as fh:
        for lineno, line in enumerate(fh, 1):
            parts = line.split()
            if not parts:
                continue
            if len(parts) != 4 or not parts[3].lstrip("-").isdigit():
                msg = f"{path}:{lineno}: expected 'qid 0 docid relevance'"
                raise DatasetError(msg)
            qid, _iteration, docid, rel = parts
            qrels.setdefault(qid, {})[docid] = int(rel)
    return qrels


def load_set(name: str, corpus: Path, queries: Path, qrels: Path) -> EvalSet:
    """A set given by its three files."""
    for path in (corpus, queries, qrels):
        if not path.is_file():
            msg = f"{name}: file not found: {path}"
            raise DatasetError(msg)
    return EvalSet(name, read_corpus(corpus), read_queries(queries), read_qrels(qrels))


def load_jsquad(data: Path, split: str = "valid") -> EvalSet:
    """JSQuAD as a retrieval set: Wikipedia paragraphs, questions, the paragraph each was written from."""
    root = data / "jsquad"
    return load_set("jsquad", root / "corpus.jsonl", root / f"queries.{split}.tsv", root / f"qrels.{split}.trec")


def load_ldcc(data: Path, sample: int | None = LDCC_SAMPLE, seed: int = LDCC_SEED) -> EvalSet:
    """ldcc known-item: each article without its headline is the one answer to the headline.

    Every article is indexed; `sample` headlines (a fixed seeded sample, None for all) are the queries.
    The document's title is the category's directory name, so neither title nor text holds the headline.
    """
    root = data / "ldcc"
    if not root.is_dir():
        msg = f"ldcc: directory not found: {root}"
        raise DatasetError(msg)
    docs: list[Document] = []
    queries: dict[str, str] = {}
    for path in sorted(root.glob("*/*.txt")):
        if path.name in _LDCC_SKIP:
            continue
        lines = path.read_text(encoding="utf-8").splitlines()
        if len(lines) < 4:
            msg = f"{path}: expected URL, date, headline and body lines"
            raise DatasetError(msg)
        url, date, headline = (line.strip() for line in lines[:3])
        category = path.parent.name
        text = "\n".join(lines[3:]).strip("\n")
        docs.append(Document(path.stem, category, text, date=date, category=category, url=url))
        queries[path.stem] = headline
    if not docs:
        msg = f"ldcc: no articles under {root}"
        raise DatasetError(msg)
    qids = sorted(queries)
    if sample is not None and sample < len(qids):
        qids = sorted(random.Random(seed).sample(qids, sample))
    return EvalSet(
        "ldcc",
        docs,
        {qid: queries[qid] for qid in qids},
        {qid: {qid: 1} for qid in qids},
        notes={"sample": sample, "seed": seed, "articles": len(docs)},
    )
