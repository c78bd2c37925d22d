# Everything runs in .venv with .venv/bin/python; `make run` and `make test` set it up.
PYTHON ?= python3
VENV := .venv
PY := $(VENV)/bin/python
HOST ?= 127.0.0.1
PORT ?= 5000
CORPUS ?= corpus
INDEX ?= var/index
PYTEST_ARGS ?=
# Passed to python -m bench.eval_relevance, e.g. EVAL_ARGS='--sets jsquad --ldcc-sample 0'.
EVAL_ARGS ?=
LDCC ?= ../shared/data/ldcc
BENCH_ARGS ?=
LOADTEST_ARGS ?=
# Passed to python -m search_app report, e.g. REPORT_ARGS='--days 7 --format csv'.
REPORT_ARGS ?=

.PHONY: help install install-eval index rebuild serve run dev report test screenshots eval bench loadtest lint format clean

help:
	@echo "make run      set up, index corpus/ into var/index, serve http://$(HOST):$(PORT)/"
	@echo "make test     set up and run the whole test suite"
	@echo "make screenshots  docs/search-*.png and docs/article-*.png in Debian's Chromium (apt-get install chromium)"
	@echo "make index    bring the index up to date with corpus/ (CORPUS=, INDEX= override)"
	@echo "make rebuild  build a fresh index beside the live one and swap it in"
	@echo "make serve    serve an existing index with gunicorn (HOST=, PORT=)"
	@echo "make dev      Flask's development server with reload"
	@echo "make report   what readers searched for, from the search log (REPORT_ARGS=)"
	@echo "make eval     relevance of the project beside two peers on ../shared/data (EVAL_ARGS=)"
	@echo "make loadtest wrk for 60 s against the production server while full rebuilds run (not in make test)"
	@echo "make lint     ruff check and format check"
	@echo "make bench    speed and scale benchmarks over ../shared/data/ldcc (LDCC=, BENCH_ARGS=)"
	@echo "make clean    remove .venv, var/ and caches"

$(VENV)/.installed: setup.cfg pyproject.toml constraints.txt
	$(PYTHON) -c 'import sys; sys.exit("Python 3.11+ is required") if sys.version_info < (3, 11) else None'
	$(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet --upgrade pip
	$(PY) -m pip install --quiet -c constraints.txt -e '.[test]'
	@touch $@

install: $(VENV)/.installed

# The relevance harness's extra (ranx, bm25s) on top of the test install.
$(VENV)/.installed-eval: $(VENV)/.installed
	$(PY) -m pip install --quiet -c constraints.txt -e '.[test,eval]'
	@touch $@

install-eval: $(VENV)/.installed-eval

index: install
	$(PY) -m indexer --corpus $(CORPUS) --index $(INDEX)

rebuild: install
	$(PY) -m indexer --corpus $(CORPUS) --index $(INDEX) --rebuild

serve: install
	$(PY) -m search_app --index $(INDEX) --host $(HOST) --port $(PORT)

run: index serve

dev: install
	SEARCH_INDEX_DIR=$(INDEX) $(VENV)/bin/flask --app search_app run --debug --host $(HOST) --port $(PORT)

# axe-core for the browser suite's accessibility checks, at the version package-lock.json pins.
# Without npm (or the registry) those checks skip with the reason; the rest of the suite runs.
AXE := tests/browser/node_modules/axe-core/axe.min.js

$(AXE): tests/browser/package.json tests/browser/package-lock.json
	@if command -v npm >/dev/null; then \
		{ cd tests/browser && npm ci --no-audit --no-fund --loglevel=error && touch node_modules/axe-core/axe.min.js; } \
			|| echo "npm ci failed: the axe-core accessibility tests will be skipped" >&2; \
	else echo "npm not found: the axe-core accessibility tests will be skipped (apt-get install npm)" >&2; fi

report: install
	$(PY) -m search_app report $(REPORT_ARGS)

test: install $(AXE)
	$(PY) -X dev -X warn_default_encoding -m pytest $(PYTEST_ARGS)

# The README's pictures: the bundled corpus served by the production server, photographed in Chromium.
screenshots: install
	$(PY) -m tests.browser.screenshots

eval: install-eval
	$(PY) -m bench.eval_relevance $(EVAL_ARGS)

# Benchmarks only: matplotlib for the plot, wrk (Debian) for the HTTP load. make test needs neither.
$(VENV)/.bench-installed: $(VENV)/.installed
	$(PY) -m pip install --quiet -c constraints.txt -e '.[test,bench]'
	@command -v wrk >/dev/null || { SUDO=$$([ "$$(id -u)" = 0 ] || echo sudo); \
		$$SUDO apt-get update -qq && $$SUDO apt-get install -y -qq wrk; }
	@touch $@

bench: $(VENV)/.bench-installed
	$(PY) -m bench.perf --ldcc $(LDCC) $(BENCH_ARGS)
# Bounded: builds var/loadtest (ldcc pages from ../shared/data, else synthetic), 60 s of wrk, then stops.
loadtest: install
	@command -v wrk >/dev/null || { apt-get update -qq && apt-get install -y -qq wrk; } \
		|| { echo "loadtest: install wrk (apt-get install wrk)"; exit 1; }
	$(PY) -m bench.load.run $(LOADTEST_ARGS)

lint: install
	$(VENV)/bin/ruff check .
	$(VENV)/bin/ruff format --check .

format: install
	$(VENV)/bin/ruff check --fix .
	$(VENV)/bin/ruff format .

clean:
	rm -rf $(VENV) var build *.egg-info .pytest_cache .ruff_cache .hypothesis tests/browser/node_modules
	find . -name __pycache__ -type d -prune -exec rm -rf {} +
