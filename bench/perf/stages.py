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

from indexer.analysis import analyze, analyze_with_readings, janome_tokenizer, japanese_analyzer
from indexer.extract import extract_file
from indexer.flatpostings import group
from indexer.leanwriter import LeanWriter
from indexer.ngrams import reading_grams
from indexer.offsets import encode_spans, kana_length
from indexer.pipeline import content_digest
from indexer.schema import TITLE_REPEAT, build_schema, to_document


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
    for field, seconds in field_cpu(articles, schema).items():
        out[f"field_{field}_cpu_s"] = round(seconds, 3)
    for name, seconds in cpu.items():
        out[f"{name}_cpu_s"] = round(seconds, 2)
        out[f"{name}_share"] = round(seconds / pipeline_total, 3)
    return out


def field_cpu(articles: list[Any], schema: Schema) -> dict[str, float]:
    """CPU seconds of what each text field adds to the analysis, beyond the one Janome pass per text.

    The Janome pass (words, readings and parts of speech of title, body and tags) is shared by
    the word and reading fields and counted once, as `janome_pass`.
    """
    morph, ngram = schema["body"].analyzer, schema["body_ng"].analyzer
    cpu: dict[str, float] = dict.fromkeys(
        ("janome_pass", "title", "body", "tags", "title_ng", "body_ng", "text_ng", "title_rd", "body_rd", "spans"), 0.0
    )

    def timed(key: str, fn: Any, *args: Any, **kwargs: Any) -> Any:
        t0 = time.process_time()
        result = fn(*args, **kwargs)
        cpu[key] += time.process_time() - t0
        return result

    for a in articles:
        title, title_readings = timed("janome_pass", analyze_with_readings, morph, a.title)
        body, body_readings = timed("janome_pass", analyze_with_readings, morph, a.body)
        tags = timed("janome_pass", analyze, morph, "\n".join(a.tags))
        for key, tokens in (("title", title), ("body", body), ("tags", tags)):
            timed(key, group, tokens)
        title_ng = timed("title_ng", analyze, ngram, a.title)
        body_ng = timed("body_ng", analyze, ngram, a.body)
        timed("title_ng", group, title_ng)
        timed("body_ng", group, body_ng)
        timed("text_ng", lambda t, b: len(t) * TITLE_REPEAT + len(b), title_ng, body_ng)
        for key, readings in (("title_rd", title_readings), ("body_rd", body_readings)):
            timed(key, lambda r: group(reading_grams(r)), readings)
        timed("spans", encode_spans, [(s, e, kana_length(r)) for r, s, e, *_ in body_readings], kana=True)
    return cpu


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
