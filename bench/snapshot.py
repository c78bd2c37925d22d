"""Every hit of the benchmark's reader queries over an index, to check that a change keeps results.

    python -m bench.snapshot INDEX before.json   # on the old version
    python -m bench.snapshot INDEX after.json    # on the new one
    cmp before.json after.json

The totals, paths, exact scores, snippets and titles of pages 1 and 3 of each query.
"""

from __future__ import annotations

import json
import sys
from pathlib import Path

from bench.perf.load import READER_QUERIES

# Beyond the reader queries: a phrase, a negation, OR and a long query.
EXTRA_QUERIES = (
    "経費精算 方法",
    "映画 -公開",
    '"日本代表" 監督 OR 選手',
    "ダイエット OR 美容 OR 恋愛",
    "iPhone アプリ 無料 人気 ランキング",
)


def snapshot(index: Path) -> dict[str, list[object]]:
    """Query → [total, [(path, score, snippet, title) per hit]] for pages 1 and 3."""
    from search_app import create_app
    from search_app.services import get_service

    app = create_app({"INDEX_DIR": str(index.resolve()), "TESTING": True})
    found: dict[str, list[object]] = {}
    with app.app_context():
        service = get_service()
        for query in (*READER_QUERIES, *EXTRA_QUERIES):
            for page in (1, 3):
                result = service.search(query, page=page)
                hits = [(h.path, repr(h.score), str(h.snippet), str(h.title_html)) for h in result.hits]
                found[f"{query}|{page}"] = [result.total, hits]
    return found


def main(argv: list[str] | None = None) -> int:
    """Write the snapshot of INDEX to OUT."""
    args = sys.argv[1:] if argv is None else argv
    if len(args) != 2:
        print("usage: python -m bench.snapshot INDEX OUT.json", file=sys.stderr)
        return 2
    found = snapshot(Path(args[0]))
    Path(args[1]).write_text(json.dumps(found, ensure_ascii=False, indent=1), encoding="utf-8")
    return 0


if __name__ == "__main__":
    sys.exit(main())
