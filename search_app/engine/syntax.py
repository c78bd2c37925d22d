"""The reader's query language: words (AND), "phrases", OR, -word, field:word, parentheses."""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass

MAX_QUERY_CHARS = 1000
MAX_DEPTH = 16
# Prefixes a reader may type, and the fields they search.
FIELD_PREFIXES = {
    "title": ("title",),
    "body": ("body",),
    "tag": ("tags",),
    "tags": ("tags",),
    "category": ("category",),
}

_QUOTES = '"“”„'
# Curly quotes are also prose punctuation (“隙だらけ”の女): only where they stand
# apart from the text around them do they make a phrase (phones type ” for ").
_CURLY_QUOTES = "“”„"
_SPACE = re.compile(r"\s+")


class QuerySyntaxError(ValueError):
    """A query the service cannot run; the message is shown to the reader."""


@dataclass(frozen=True)
class Words:
    """Text to match: a plain word (its parts ANDed) or a phrase (its parts in order)."""

    text: str
    fields: tuple[str, ...] | None = None
    phrase: bool = False


@dataclass(frozen=True)
class Not:
    """Documents without the inner node."""

    node: Node


@dataclass(frozen=True)
class And:
    """Documents with every inner node."""

    nodes: tuple[Node, ...]


@dataclass(frozen=True)
class Or:
    """Documents with any inner node."""

    nodes: tuple[Node, ...]


Node = Words | Not | And | Or


@dataclass(frozen=True)
class _Tok:
    kind: str  # WORD PHRASE LPAREN RPAREN OR AND NOT FIELD
    text: str = ""


def _closing_quote(query: str, start: int) -> int:
    """The index of the quote that closes the one at `start` (len(query) if none does)."""
    return next((j for j in range(start + 1, len(query)) if query[j] in _QUOTES), len(query))


def _quotes_prose(query: str, start: int) -> bool:
    """True if the curly quote at `start` and its partner are attached to the text around them."""
    if query[start] not in _CURLY_QUOTES:
        return False
    end = _closing_quote(query, start)
    before = query[start - 1] if start else " "
    after = query[end + 1] if end + 1 < len(query) else " "
    # A space, a bracket or a field prefix (title:“…”) sets a quote apart.
    return not (before.isspace() or before in "(:") or not (after.isspace() or after == ")")


def _opens_phrase(query: str, j: int) -> bool:
    """True if a word being read stops at index j: an ASCII quote, or a curly quote that makes a phrase."""
    return query[j] == '"' or (query[j] in _CURLY_QUOTES and not _quotes_prose(query, j))


def _lex(query: str) -> list[_Tok]:
    toks: list[_Tok] = []
    i, n = 0, len(query)
    while i < n:
        ch = query[i]
        if ch.isspace():
            i += 1
        elif ch == "(":
            toks.append(_Tok("LPAREN"))
            i += 1
        elif ch == ")":
            toks.append(_Tok("RPAREN"))
            i += 1
        elif ch in _QUOTES and not _quotes_prose(query, i):
            # A lone quote runs to the end: the reader forgot to close it.
            end = _closing_quote(query, i)
            toks.append(_Tok("PHRASE", query[i + 1 : end]))
            i = end + 1
        elif (
            ch == "-"
            and i + 1 < n
            and not query[i + 1].isspace()
            and (i == 0 or query[i - 1].isspace() or query[i - 1] == "(")
        ):
            toks.append(_Tok("NOT"))
            i += 1
        else:
            j = i
            while j < n and not query[j].isspace() and query[j] not in "()" and not _opens_phrase(query, j):
                j += 1
            word = query[i:j]
            i = j
            prefix, sep, rest = word.partition(":")
            if word in ("OR", "AND", "NOT"):
                toks.append(_Tok(word))
            elif sep and prefix.lower() in FIELD_PREFIXES:
                toks.append(_Tok("FIELD", prefix.lower()))
                if rest:
                    toks.append(_Tok("WORD", rest))
            else:
                toks.append(_Tok("WORD", word))
    return toks


class _Parser:
    def __init__(self, toks: list[_Tok]) -> None:
        self.toks = toks
        self.i = 0
        self.depth = 0

    def peek(self) -> str:
        return self.toks[self.i].kind if self.i < len(self.toks) else "EOF"

    def take(self) -> _Tok:
        tok = self.toks[self.i]
        self.i += 1
        return tok

    def parse(self) -> Node | None:
        nodes: list[Node] = []
        while self.peek() != "EOF":
            if self.peek() == "RPAREN":
                self.take()  # a stray ")" means nothing
                continue
            if (node := self.parse_or()) is not None:
                nodes.append(node)
        return _combine(And, nodes)

    def parse_or(self) -> Node | None:
        nodes = [self.parse_and()]
        while self.peek() == "OR":
            self.take()
            nodes.append(self.parse_and())
        return _combine(Or, [n for n in nodes if n is not None])

    def parse_and(self) -> Node | None:
        nodes: list[Node] = []
        while self.peek() not in ("EOF", "RPAREN", "OR"):
            if self.peek() == "AND":
                self.take()
                continue
            if (node := self.parse_unary()) is not None:
                nodes.append(node)
        return _combine(And, nodes)

    def parse_unary(self) -> Node | None:
        if self.peek() == "NOT":
            self.take()
            if self.peek() in ("EOF", "RPAREN", "OR", "AND"):
                return None
            node = self.parse_unary()
            return Not(node) if node is not None else None
        return self.parse_atom(None)

    def parse_atom(self, fields: tuple[str, ...] | None) -> Node | None:
        tok = self.take()
        if tok.kind == "LPAREN":
            self.depth += 1
            if self.depth > MAX_DEPTH:
                msg = f"括弧の入れ子が深すぎます（{MAX_DEPTH}段まで）"
                raise QuerySyntaxError(msg)
            node = self.parse_or()
            if self.peek() == "RPAREN":
                self.take()
            self.depth -= 1
            return _with_fields(node, fields) if fields else node
        if tok.kind == "FIELD":
            if self.peek() in ("WORD", "PHRASE", "LPAREN"):
                return self.parse_atom(FIELD_PREFIXES[tok.text])
            return None
        if tok.kind in ("WORD", "PHRASE"):
            text = _SPACE.sub(" ", tok.text).strip()
            return Words(text, fields, tok.kind == "PHRASE") if text else None
        return None


def _combine(cls: type[And] | type[Or], nodes: list[Node]) -> Node | None:
    if not nodes:
        return None
    return nodes[0] if len(nodes) == 1 else cls(tuple(nodes))


def _with_fields(node: Node | None, fields: tuple[str, ...]) -> Node | None:
    if node is None:
        return None
    if isinstance(node, Words):
        return Words(node.text, node.fields or fields, node.phrase)
    if isinstance(node, Not):
        inner = _with_fields(node.node, fields)
        return Not(inner) if inner is not None else None
    return type(node)(tuple(n for n in (_with_fields(c, fields) for c in node.nodes) if n is not None))


# Full-width brackets are text (a title, a reading in a question), never grouping:
# private-use stand-ins carry them through NFKC unchanged.
_KEEP_FULL_WIDTH = {"（": "\ue000", "）": "\ue001"}
_RESTORE = {v: k for k, v in _KEEP_FULL_WIDTH.items()}


def normalize_query(query: str) -> str:
    """NFKC, so that full-width operators (ＯＲ, －, ：, 全角スペース) work like half-width ones."""
    for full, stand_in in _KEEP_FULL_WIDTH.items():
        query = query.replace(full, stand_in)
    normalized = unicodedata.normalize("NFKC", query)
    for stand_in, full in _RESTORE.items():
        normalized = normalized.replace(stand_in, full)
    return normalized


def parse_query(query: str) -> Node | None:
    """Parse a reader's query; None when it holds nothing to search for."""
    if len(query) > MAX_QUERY_CHARS:
        msg = f"検索語が長すぎます（{MAX_QUERY_CHARS}文字まで）"
        raise QuerySyntaxError(msg)
    # Control characters carry no meaning in a query; treat them as spaces.
    cleaned = "".join(" " if unicodedata.category(c) in ("Cc", "Cf", "Cs") else c for c in normalize_query(query))
    return _Parser(_lex(cleaned)).parse()
