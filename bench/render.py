"""Write documents as minimal HTML article pages that the project's extractor accepts."""

from __future__ import annotations

from collections.abc import Iterable
from html import escape
from pathlib import Path

from bench.datasets import Document
from indexer.extract import extract_article


def article_page(doc: Document) -> str:
    """One document as a page: <article> with h1, time and category, text lines as paragraphs."""
    meta = [f"<h1>{escape(doc.title, quote=False)}</h1>"]
    if doc.date:
        meta.append(f'<time datetime="{escape(doc.date)}">{escape(doc.date, quote=False)}</time>')
    if doc.category:
        meta.append(f'<a href="#" rel="category">{escape(doc.category, quote=False)}</a>')
    head = [
        '<meta charset="utf-8">',
        f"<title>{escape(doc.title, quote=False)}</title>",
    ]
    if doc.url:
        head.append(f'<link rel="canonical" href="{escape(doc.url)}">')
    # The text is kept as it is: one paragraph per non-empty line, escaped, nothing else.
    paragraphs = "\n".join(f"<p>{escape(line, quote=False)}</p>" for line in doc.text.split("\n") if line.strip())
    return (
        "<!DOCTYPE html>\n"
        '<html lang="ja">\n<head>\n' + "\n".join(head) + "\n</head>\n<body>\n<article>\n"
        "<header>" + " ".join(meta) + "</header>\n"
        f'<div class="entry-content">\n{paragraphs}\n</div>\n'
        "</article>\n</body>\n</html>\n"
    )


def page_path(number: int) -> str:
    """The corpus-relative file name of the n-th document (ids may hold any character)."""
    return f"{number // 1000:03d}/{number:06d}.html"


def write_corpus(docs: Iterable[Document], root: Path) -> dict[str, str]:
    """Write every document under root; return index path → document id."""
    paths: dict[str, str] = {}
    for number, doc in enumerate(docs):
        rel = page_path(number)
        target = root / rel
        target.parent.mkdir(parents=True, exist_ok=True)
        target.write_bytes(article_page(doc).encode("utf-8"))
        paths[rel] = doc.id
    return paths


def as_extracted(docs: Iterable[Document]) -> list[Document]:
    """The documents as the project's extractor reads them from their pages (title and body).

    A peer given these sees the same text the project indexes: what extraction
    removes (lists of links to other articles) is gone for it too.
    """
    out: list[Document] = []
    for number, doc in enumerate(docs):
        article = extract_article(article_page(doc), page_path(number))
        out.append(Document(doc.id, article.title, article.body, date=doc.date, category=doc.category, url=doc.url))
    return out
