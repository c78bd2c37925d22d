"""The project itself as a system under evaluation: the real indexer and the API's search service."""

from __future__ import annotations

import time
from collections.abc import Sequence
from pathlib import Path

from bench.datasets import Document
from bench.render import write_corpus
from indexer.pipeline import Summary, run
from search_app.engine.searcher import IndexHandle
from search_app.engine.service import MAX_PER_PAGE, SearchService


class ProjectSystem:
    """Documents rendered as HTML pages, indexed by indexer.pipeline.run, searched by SearchService.

    search() raises QuerySyntaxError for a query the service rejects, as the API would answer 400.
    """

    name = "project"

    def __init__(self, docs: Sequence[Document], workdir: Path, jobs: int | None = None) -> None:
        self.corpus = workdir / "corpus"
        started = time.perf_counter()
        self.paths = write_corpus(docs, self.corpus)
        self.render_seconds = time.perf_counter() - started
        started = time.perf_counter()
        self.summary: Summary = run(self.corpus, workdir / "index", rebuild=True, jobs=jobs)
        # Indexing time is the pipeline's alone (scan, extract, analyze, write), not the rendering.
        self.index_seconds = time.perf_counter() - started
        # The index never changes during a run: no need to look for a newer one.
        self.handle = IndexHandle(workdir / "index", reload_interval=3600.0)
        self.service = SearchService(self.handle)

    def search(self, query: str, k: int) -> list[str]:
        page = self.service.search(query, page=1, per_page=min(k, MAX_PER_PAGE))
        return [self.paths[hit.path] for hit in page.hits]

    def close(self) -> None:
        """Close the searcher."""
        self.handle.close()
