"""Token filters of the Japanese analyzer, each with one job."""

from __future__ import annotations

import re
from collections.abc import Iterator

from whoosh.analysis import Filter, Token

# Words that inflect: indexed and searched by their dictionary form.
_INFLECTING = frozenset({"動詞", "形容詞", "助動詞"})
# What a plain query word drops (phrases keep everything, so "申告書を社員" still
# matches word by word): particles, auxiliaries, pronouns, dependent nouns and
# verbs, and light verbs that say nothing about a topic.
_FUNCTION_POS = frozenset({"助詞", "助動詞", "接続詞", "フィラー", "感動詞", "連体詞"})
_FUNCTION_POS_MINOR = frozenset({("名詞", "代名詞"), ("名詞", "非自立"), ("動詞", "非自立"), ("形容詞", "非自立")})
_LIGHT_WORDS = frozenset(
    {"する", "ある", "いる", "なる", "できる", "いう", "おる", "くる", "いく", "れる", "られる", "ない", "せる"}
    # Question words: a question asks with them, the answer does not contain them.
    | {"何", "何と", "誰", "どこ", "いつ", "どう", "なぜ", "どれ", "どちら", "いくつ", "いくら", "どんな", "どの"}
)

_KATAKANA_WORD = re.compile(r"[ァ-ヺー]{3,}")
_ITERATION = {"々": None, "ゝ": 0, "ゞ": 1, "ヽ": 0, "ヾ": 1}
_ITERATION_MARK = re.compile("[々ゝゞヽヾ]")


class BaseFormFilter(Filter):
    """Inflected words become their dictionary form (提出し → する, 書い → 書く)."""

    def __call__(self, tokens: Iterator[Token]) -> Iterator[Token]:
        for t in tokens:
            base = getattr(t, "base", "*")
            if base and base != "*" and getattr(t, "pos_major", "") in _INFLECTING:
                t.text = base
            yield t


def expand_iteration_marks(text: str) -> str:
    """Write out iteration marks: 色々 → 色色, さゝき → ささき, いすゞ → いすず (same length)."""
    if not _ITERATION_MARK.search(text):
        return text
    # Only the marks are looked at; a mark after a mark repeats what the first became.
    out = list(text)
    for m in _ITERATION_MARK.finditer(text):
        i = m.start()
        if i == 0:
            continue
        voiced = _ITERATION[text[i]]
        prev = out[i - 1]
        if voiced is None:
            out[i] = prev
        else:
            # The voiced kana follows its plain one in Unicode (す → ず).
            candidate = chr(ord(prev) + 1) if voiced else prev
            out[i] = candidate if voiced and _is_voiced_pair(prev, candidate) else prev
    return "".join(out)


def _is_voiced_pair(plain: str, voiced: str) -> bool:
    import unicodedata

    return unicodedata.normalize("NFC", plain + "\u3099") == voiced


def strip_long_vowel(text: str) -> str:
    """Drop a word-final ー of katakana words of three or more characters (サーバー = サーバ)."""
    if text.endswith("ー") and _KATAKANA_WORD.fullmatch(text):
        stripped = text.rstrip("ー")
        return stripped if len(stripped) >= 2 else text
    return text


class KanaVariantFilter(Filter):
    """One form for kana spelling variants: iteration marks and a final long-vowel mark."""

    def __call__(self, tokens: Iterator[Token]) -> Iterator[Token]:
        for t in tokens:
            t.text = strip_long_vowel(expand_iteration_marks(t.text))
            yield t


def is_function_word(pos_major: str, pos_minor: str, base: str) -> bool:
    """True for words that carry no topic of their own."""
    return pos_major in _FUNCTION_POS or (pos_major, pos_minor) in _FUNCTION_POS_MINOR or base in _LIGHT_WORDS


class FunctionWordFilter(Filter):
    """Drops function words from plain query words (never from the index)."""

    def __call__(self, tokens: Iterator[Token]) -> Iterator[Token]:
        for t in tokens:
            if (
                t.mode == "query"
                and t.removestops
                and is_function_word(getattr(t, "pos_major", ""), getattr(t, "pos_minor", ""), t.text)
            ):
                continue
            yield t
