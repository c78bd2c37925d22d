"""Per-stage CPU of indexing, in one process: read, decode + BeautifulSoup, analysis (Janome alone beside it),
pickling to the writer and back, Whoosh's add_document and commit."""

from __future__ import annotations

import pickle
import random
import shutil
import tempfile
import time
from pathlib import Path
from typing import Any

from whoosh.fields import Schema

from indexer.analysis import janome_tokenizer, japanese_analyzer
from indexer.extract import extract_file
from indexer.leanwriter import LeanWriter
from indexer.pipeline import content_digest
from indexer.schema import build_schema, to_document


def measure_stages(corpus: Path, docs: int = 200, seed: int = 5) -> dict[str, float]:
    """CPU seconds per stage over a seeded sample of the corpus's pages, and each stage's share."""
    pages = sorted(corpus.rglob("*.html"))
    sample = random.Random(seed).sample(pages, min(docs, len(pages)))
    schema = build_schema(japanese_analyzer())
    tokenizer = janome_tokenizer()
    list(tokenizer.tokenize("準備"))
    cpu = dict.fromkeys(("read", "extract", "analyze", "pickle", "janome_alone"), 0.0)
    documents, articles = [], []
    for page in sample:
        t0 = time.process_time()
        data = page.read_bytes()
        t1 = time.process_time()
        article = extract_file(data, page.name)
        t2 = time.process_time()
        doc = to_document(article, content_digest(data), schema)
        t3 = time.process_time()
        doc = pickle.loads(pickle.dumps(doc, protocol=pickle.HIGHEST_PROTOCOL))
        t4 = time.process_time()
        cpu["read"] += t1 - t0
        cpu["extract"] += t2 - t1
        cpu["analyze"] += t3 - t2
        cpu["pickle"] += t4 - t3
        documents.append(doc)
        articles.append(article)
    for article in articles:
        t0 = time.process_time()
        for text in (article.title, article.body, "\n".join(article.tags)):
            for line in text.split("\n"):
                if line.strip():
                    for _token in tokenizer.tokenize(line):
                        pass
        cpu["janome_alone"] += time.process_time() - t0
    cpu["add_document"], cpu["commit"] = _write(schema, documents)
    pipeline_total = sum(v for k, v in cpu.items() if k != "janome_alone")
    out: dict[str, float] = {"docs": len(sample), "pipeline_cpu_s": round(pipeline_total, 2)}
    for name, seconds in cpu.items():
        out[f"{name}_cpu_s"] = round(seconds, 2)
        out[f"{name}_share"] = round(seconds / pipeline_total, 3)
    return out


def _write(schema: Schema, documents: list[dict[str, Any]]) -> tuple[float, float]:
    """CPU seconds of Whoosh's add_document for every document, and of the commit, in a scratch index."""
    from whoosh import index as whoosh_index

    scratch = Path(tempfile.mkdtemp(prefix="stages-"))
    try:
        ix = whoosh_index.create_in(str(scratch), schema)
        writer = LeanWriter(ix, limitmb=256)
        t0 = time.process_time()
        for doc in documents:
            writer.add_document(**doc)
        t1 = time.process_time()
        writer.commit()
        ix.close()
        return t1 - t0, time.process_time() - t1
    finally:
        shutil.rmtree(scratch, ignore_errors=True)
