"""Hypothesis settings and strategies for the property-based tests: hostile queries and mangled pages."""

from __future__ import annotations

import datetime as dt
import os

from hypothesis import HealthCheck, settings
from hypothesis import strategies as st

from search_app.engine.syntax import MAX_QUERY_CHARS
from tests.pages import SAMPLE_PAGES

# Deterministic and bounded: the same examples on every run and machine, no
# example database, generous per-example deadlines. Answers take milliseconds
# here; the deadline catches an input that takes many seconds, with room for a
# busy shared machine (2 s failed there). Costly query shapes are checked
# structurally in engine/test_query_cost.py.
# FUZZ_EXAMPLES=5000 make test PYTEST_ARGS=tests/engine/test_fuzz_query.py explores further, with fresh random inputs.
_EXPLORE = int(os.environ.get("FUZZ_EXAMPLES", "0"))
FUZZ = settings(
    max_examples=_EXPLORE or 150,
    derandomize=not _EXPLORE,
    database=None,
    deadline=dt.timedelta(seconds=5),
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large],
)
# Extraction walks the tree with ~25 CSS selectors: a page of thousands of
# nested elements takes about a second, so page properties get more time.
FUZZ_PAGES = settings(FUZZ, deadline=dt.timedelta(seconds=10))
# For properties whose examples each run a whole index build.
FUZZ_SLOW = settings(FUZZ, max_examples=max(12, _EXPLORE // 20), deadline=dt.timedelta(seconds=20))

# ---------------------------------------------------------------- queries

OPERATORS = (
    "OR",
    "AND",
    "NOT",
    "-",
    "--",
    "- ",
    '"',
    '""',
    "“",
    "”",
    "„",
    "(",
    ")",
    "()",
    ")(",
    ":",
    "::",
    "*",
    "?",
    "~",
    "^",
    "\\",
    "|",
    "&",
    "!",
    "+",
    "title:",
    "body:",
    "tag:",
    "tags:",
    "category:",
    "TITLE:",
    "nosuchfield:",
    "path:",
    "digest:",
    "date:",
    "url:",
    "ＯＲ",
    "ＡＮＤ",
    "－",
    "（",
    "）",
    "：",
    "\u3000",
    "title:(",
    'tag:"',
    "-(",
    "(-",
    "OR OR",
    "AND(",
)
# Characters that break naive code: controls, invisible and direction marks,
# combining marks, emoji sequences, NFKC expansions, noncharacters.
TRICKY_CHARS = (
    "\x00",
    "\x01",
    "\x08",
    "\t",
    "\n",
    "\r",
    "\x0b",
    "\x0c",
    "\x1b",
    "\x7f",
    "\x85",
    "\xa0",
    "\u200b",
    "\u200c",
    "\u200d",
    "\u200e",
    "\u200f",
    "\u202a",
    "\u202e",
    "\u2066",
    "\u2069",
    "\u2028",
    "\u2029",
    "\ufeff",
    "\ufffd",
    "\ufffe",
    "\uffff",
    "\u0301",
    "\u3099",
    "\U0001f600",
    "\U0001f468\u200d\U0001f469\u200d\U0001f467",
    "\U0001f1ef\U0001f1f5",
    "\ufdfa",  # NFKC: 18 characters
    "\u3300",  # ㌀ → アパート
    "㍻",
    "ｶﾞ",
    "\U0010ffff",
    "\\ud800",
    "\\x00",
    "%00",
    "%2e%2e",
    "&amp;",
    "&lt;",
    "<",
    ">",
    "'",
    "<script>",
    "</mark>",
    "<mark>",
    "{{",
    "}}",
    "{%",
    "${",
)
KNOWN_WORDS = (
    "経費精算",
    "経費",
    "見積書",
    "印鑑",
    "年末調整",
    "源泉徴収票",
    "レシート",
    "ﾚｼｰﾄ",
    "ＥＸＣＥＬ",
    "excel",
    "を",
    "の",
)

_any_char = st.characters(codec="utf-8") | st.characters(categories=["Cc", "Cf", "Zs", "Zl", "Zp", "Mn", "So"])
_fragment = st.one_of(
    st.sampled_from(OPERATORS),
    st.sampled_from(TRICKY_CHARS),
    st.sampled_from(KNOWN_WORDS),
    st.text(_any_char, min_size=1, max_size=8),
)
_joined = st.lists(_fragment, max_size=24).flatmap(
    lambda parts: st.sampled_from([" ", "", "\u3000", " OR ", ")("]).map(lambda sep: sep.join(parts))
)


def _long(text: str, size: int) -> str:
    text = text or "あ"
    return (text * (size // len(text) + 1))[:size]


# Up to 10,000 characters, built by repetition so Hypothesis need not draw each one.
_long_text = st.builds(
    _long,
    st.one_of(_fragment, _joined),
    st.sampled_from([MAX_QUERY_CHARS - 1, MAX_QUERY_CHARS, MAX_QUERY_CHARS + 1, 4000, 10_000]),
)
_nesting = st.builds(
    lambda depth, word, close: "(" * depth + word + ")" * close,
    st.integers(0, 40),
    st.sampled_from(KNOWN_WORDS),
    st.integers(0, 40),
)
# An operator over and over: "NOT NOT NOT … 経費", "-(-(-(…", "title:title:…".
_repeated = st.builds(
    lambda op, sep, n, word: (op + sep) * n + word,
    st.sampled_from(OPERATORS),
    st.sampled_from(["", " "]),
    st.integers(1, 400),
    st.sampled_from(KNOWN_WORDS),
)

QUERIES = st.one_of(_joined, st.text(_any_char, max_size=40), _long_text, _nesting, _repeated)
# Python strings the parser may be handed directly (lone surrogates included).
RAW_QUERIES = st.one_of(QUERIES, st.text(st.characters(categories=["Cs", "Co", "Cn"]), max_size=10))
# Query-string values as the client sends them: any number, any text.
PARAM_VALUES = st.one_of(
    st.none(),
    st.integers(-(10**12), 10**12).map(str),
    st.sampled_from(
        ["", " ", "1", "1000", "1001", "100", "101", "0", "-1", "1.0", "1e3", "٣", "１", "0x10", "9" * 5000]
    ),
    st.text(_any_char, max_size=12),
)
# Raw bytes for a percent-encoded query string value: invalid UTF-8 and encoded surrogates included.
RAW_PARAM_BYTES = st.one_of(
    st.binary(max_size=64),
    st.sampled_from([b"\xed\xa0\x80", b"\xff\xfe", b"\xc0\xaf", b"\xe2\x80", b"%", b"%%", b"%zz", b"\x00"]),
)

# ---------------------------------------------------------------- pages

SAMPLE_BYTES = tuple(page.encoded() for page in SAMPLE_PAGES.values())
CHARSETS = ("utf-8", "shift_jis", "euc-jp", "iso-2022-jp", "utf-16", "latin-1", "cp1252", "koi8-r", "x-nonsense", "")


def _truncate(data: bytes, at: float) -> bytes:
    return data[: int(len(data) * at)]


def _wrong_charset(data: bytes, charset: str) -> bytes:
    for declared in (b"utf-8", b"Shift_JIS", b"EUC-JP"):
        data = data.replace(b"charset=" + declared, b"charset=" + charset.encode())
        data = data.replace(b'charset="' + declared, b'charset="' + charset.encode())
    return data


def _drop_closing_tags(data: bytes, every: int) -> bytes:
    head, *rest = data.split(b"</")
    out = [head]
    for i, part in enumerate(rest):
        # Every `every`-th closing tag is gone; the text after it stays.
        out.append(part.split(b">", 1)[-1] if i % every == 0 else b"</" + part)
    return b"".join(out)


def _nest(data: bytes, tag: bytes, depth: int) -> bytes:
    opening = b"<" + tag + b">"
    return data.replace(b"<p>", opening * depth + b"<p>", 1)


def _huge_attribute(data: bytes, size: int, quote: bytes) -> bytes:
    attr = b" data-x=" + quote + b"A" * size + (quote if size % 2 else b"")
    return data.replace(b"<article", b"<article" + attr, 1)


def _splice(data: bytes, at: float, junk: bytes) -> bytes:
    i = int(len(data) * at)
    return data[:i] + junk + data[i:]


_junk = st.one_of(
    st.binary(max_size=64),
    st.sampled_from(
        [
            b"<",
            b"</",
            b"<!--",
            b"-->",
            b"<![CDATA[",
            b"<?xml version='1.0' encoding='utf-16'?>",
            b'<meta charset="shift_jis">',
            b"<script>",
            b"<style>",
            b"<textarea>",
            b"<plaintext>",
            b"<template>",
            b"<svg><foreignObject>",
            b"<table><tr><td>",
            b"</article></main></body></html>",
            b"<article><article><article>",
            b"<h1></h1>",
            b"&#0;&#xD800;&#x110000;&#99999999999;",
            b"\x00\x00",
            b"\xef\xbb\xbf",
            b"\xff\xfe",
        ]
    ),
)

MANGLED_PAGES = st.one_of(
    st.binary(max_size=2048),
    st.builds(_truncate, st.sampled_from(SAMPLE_BYTES), st.floats(0, 1)),
    st.builds(_wrong_charset, st.sampled_from(SAMPLE_BYTES), st.sampled_from(CHARSETS)),
    st.builds(_drop_closing_tags, st.sampled_from(SAMPLE_BYTES), st.integers(1, 4)),
    st.builds(
        _nest,
        st.sampled_from(SAMPLE_BYTES),
        st.sampled_from([b"div", b"span", b"b", b"table", b"li"]),
        st.integers(1, 3000),
    ),
    st.builds(
        _huge_attribute,
        st.sampled_from(SAMPLE_BYTES),
        st.sampled_from([1, 100_000, 1_000_001]),
        st.sampled_from([b'"', b"'", b""]),
    ),
    st.builds(_splice, st.sampled_from(SAMPLE_BYTES), st.floats(0, 1), _junk),
    st.lists(_junk, max_size=30).map(b"".join),
)
