"""Every hit of the benchmark's reader queries over an index, to check that a change keeps results.

    python -m bench.snapshot INDEX before.json   # on the old version
    python -m bench.snapshot INDEX after.json    # on the new one
    cmp before.json after.json

The totals, paths, exact scores, snippets and titles of pages 1 and 3 of each query; for page 1
also the terms shown, the words a relaxed query dropped, もしかして, and the marks in the top hit's article.
"""

from __future__ import annotations

import json
import sys
import time
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
# Each way the compiler reads a word: kana readings (whole, half typed), synonyms, phrases,
# OR groups, negations, fields, katakana compounds, full-width input, sentences, typos (もしかして).
ANALYSIS_QUERIES = (
    "けいひせいさん",
    "ねんまつちょうせい",
    "年末ちょうせい",
    "けんこう診断",
    "はんこ",
    "立替精算",
    "見積もり 書き方",
    "年調",
    "電帳法 スキャナ",
    '"年末調整の流れ"',
    '"経費精算" OR 請求書',
    "(給与 OR 賞与) 計算",
    "経費 -年末調整 -見積書",
    "title:簿記",
    "tag:経理 締め",
    "body:\u201c現場監督\u201d",
    "category:経理",
    "スマートフォン",
    "マイナンバー カード",
    "ＭＯＳ　Ｅｘｃｅｌ",
    "ＯＲ 結婚",
    "簿記二級",
    "経費清算",
    "見積所",
    "すまーとふぉん",
    "年末調整はいつまでに終わらせればいいですか",
    "住宅ローンの相談に強くなるにはどうすればいい？",
    "色々 いろいろ",
    "サーバー 移行",
    "女子会 -恋愛 OR 美容",
    "映画 監督 -インタビュー title:公開",
)


def snapshot(index: Path) -> dict[str, list[object]]:
    """Query → [total, [(path, score, snippet, title) per hit]] for pages 1 and 3."""
    from search_app import create_app
    from search_app.services import get_service

    app = create_app({"INDEX_DIR": str(index.resolve()), "TESTING": True})
    found: dict[str, list[object]] = {}
    with app.app_context():
        service = get_service()
        # もしかして reads the vocabulary, built in the background: the same for every run once complete.
        service.warm()
        while not service.vocabulary.wait_for_readings():
            time.sleep(0.1)
        for query in (*READER_QUERIES, *EXTRA_QUERIES, *ANALYSIS_QUERIES):
            for page in (1, 3):
                result = service.search(query, page=page)
                hits = [(h.path, repr(h.score), str(h.snippet), str(h.title_html)) for h in result.hits]
                found[f"{query}|{page}"] = [result.total, hits]
            first = service.search(query)
            article = service.article(first.hits[0].path, query) if first.hits else None
            marked = [str(p) for p in article.paragraphs if "<mark>" in p] if article else []
            found[f"{query}|page"] = [list(first.terms), first.relaxed, list(first.dropped), first.suggestion, marked]
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
