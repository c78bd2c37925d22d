"""Default configuration; an instance file and SEARCH_* environment variables override it."""

from __future__ import annotations

import os

# Where `python -m indexer` writes by default.
INDEX_DIR = os.path.join("var", "index")
# How often (seconds) a worker checks for an index newly written by the indexer.
RELOAD_INTERVAL = 1.0
# How long もしかして waits (seconds) for a new index's vocabulary, built in the background.
VOCABULARY_WAIT = 0.25
PER_PAGE = 10
# The production server (`python -m search_app`).
HOST = "127.0.0.1"
PORT = 5000
WORKERS = 0  # 0: one per CPU, plus one
SITE_NAME = "すまいの事務室ブログ 記事検索"
# The search log (SQLite) for `python -m search_app report`; an empty value turns it off.
LOG_DB = os.path.join("var", "search-log.sqlite3")
# Rows older than this many days are removed.
LOG_DAYS = 90
# Queries searched this many times in 30 days, never without results, join the completions (0: never).
POPULAR_MIN_COUNT = 5
# /metrics in the Prometheus text format (off unless set).
METRICS = False
