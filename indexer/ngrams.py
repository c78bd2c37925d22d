"""Character n-grams and reading n-grams: the fields that find parts of compounds and kana spellings."""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Iterator, Sequence
from typing import Any

from whoosh.analysis import CompositeAnalyzer, Token, Tokenizer

from indexer.analysis import NormalizedText, ReadingSpan
from indexer.filters import expand_iteration_marks

# Runs of word characters (kanji, kana, letters, digits): punctuation and spaces
# break them. Hiragana stays in, so that endings and particles inside a question
# (いつ, ある, のは) still count as evidence, as in character-bigram engines.
_KANJI = "\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff\U00020000-\U0003134f々〆"
RUN = re.compile(r"[^\W_]+")
_IS_KANJI = re.compile(f"[{_KANJI}]")
KANA_WORD = re.compile(r"[\u3041-\u3096\u309d\u309e\u30a1-\u30fa\u30fc-\u30fe]+")
_KATAKANA_WORD = re.compile(r"[\u30a1-\u30fa\u30fc-\u30fe]+")
_HIRAGANA_WORD = re.compile(r"[\u3041-\u3096\u309d\u309e\u30fc]+")
_HIRAGANA_TO_KATAKANA = {cp: cp + 0x60 for cp in range(0x3041, 0x3097)}
# The characters whose lower case alone differs from theirs inside str.lower() of a string.
_LOWER_APART = re.compile("([\u0130\u03a3])")


def ngram_text(value: str) -> tuple[NormalizedText, str]:
    """The text as the n-gram fields see it (NFKC, lower case, iteration marks written out), with its offset map."""
    norm = NormalizedText(value)
    return norm, _folded(norm.text)


def normalize(value: str) -> str:
    """The query side's one normal form of text: the n-gram fields' (NFKC, lower case, iteration marks written out).

    Queries, completions, もしかして and the search log compare text in it, so that what a
    reader types meets the index's n-grams and words (色々 → 色色) however it was typed.
    """
    return _folded(NormalizedText(value).text)


def _folded(text: str) -> str:
    """NFKC text in lower case with iteration marks written out, keeping its length (offsets stay exact)."""
    # Each character as it lower-cases alone. Only İ (two characters in lower case) and Σ (ς or σ
    # by its neighbours) differ from lower-casing the whole string, so the string is lower-cased around them.
    if _LOWER_APART.search(text) is None:
        return expand_iteration_marks(text.lower())
    pieces = _LOWER_APART.split(text)
    lowered = "".join(p.lower() if i % 2 == 0 or len(p.lower()) == 1 else p for i, p in enumerate(pieces))
    return expand_iteration_marks(lowered)


def char_grams(run: str) -> list[tuple[int, str]]:
    """Bigrams of a run at their start index, plus single kanji (税, 印) at theirs."""
    grams = []
    for i, ch in enumerate(run):
        if _IS_KANJI.match(ch):
            grams.append((i, ch))
        if i + 1 < len(run):
            grams.append((i, run[i : i + 2]))
    return grams


class CharNgramTokenizer(Tokenizer):
    """Bigrams (and single kanji) within runs of content characters; offsets into the original text."""

    def __call__(  # Whoosh's tokenizer protocol
        self,
        value: str,
        positions: bool = False,
        chars: bool = False,
        keeporiginal: bool = False,
        removestops: bool = True,
        start_pos: int = 0,
        start_char: int = 0,
        mode: str = "",
        **kwargs: Any,
    ) -> Iterator[Token]:
        t = Token(positions, chars, removestops=removestops, mode=mode, **kwargs)
        norm, text = ngram_text(value)
        pos = start_pos
        for m in RUN.finditer(text):
            run_start = m.start()
            for i, gram in char_grams(m.group()):
                t.text, t.boost, t.stopped = gram, 1.0, False
                if positions:
                    t.pos = pos + i
                if chars:
                    s, e = norm.span(run_start + i, run_start + i + len(gram))
                    t.startchar, t.endchar = start_char + s, start_char + e
                yield t
            # A gap, so that a phrase never spans two runs.
            pos += len(m.group()) + 1


def char_ngram_analyzer() -> CompositeAnalyzer:
    """The analyzer of the n-gram fields (no Janome)."""
    return CompositeAnalyzer(CharNgramTokenizer())


def query_char_runs(text: str) -> list[list[str]]:
    """The n-grams a query word is matched by, one list per run (a phrase each)."""
    return char_runs(normalize(text))


def char_runs(normalized: str) -> list[list[str]]:
    """query_char_runs of a text already normalized (normalize)."""
    runs = []
    for m in RUN.finditer(normalized):
        run = m.group()
        if len(run) >= 2:
            runs.append([run[i : i + 2] for i in range(len(run) - 1)])
        elif _IS_KANJI.match(run):
            runs.append([run])
    return runs


def query_text_grams(text: str) -> list[str]:
    """The n-grams of a query as text_ng holds them (bigrams and single kanji), each once."""
    return text_grams(normalize(text))


def text_grams(normalized: str) -> list[str]:
    """query_text_grams of a text already normalized (normalize)."""
    return list(dict.fromkeys(g for m in RUN.finditer(normalized) for _, g in char_grams(m.group())))


def is_single_run(text: str) -> bool:
    """True if the whole text is one run of content characters (no particles or spaces in it)."""
    return bool(RUN.fullmatch(normalize(text)))


def to_katakana(text: str) -> str:
    """Hiragana to katakana (NFKC first, so half-width kana work too)."""
    return unicodedata.normalize("NFKC", text).translate(_HIRAGANA_TO_KATAKANA)


def is_kana_word(text: str) -> bool:
    """True if the text is written in kana only (a reading a reader typed)."""
    return bool(KANA_WORD.fullmatch(unicodedata.normalize("NFKC", text)))


def is_hiragana_word(text: str) -> bool:
    """True if the text is written in hiragana only (with ー), as a reading typed for kanji is."""
    return bool(_HIRAGANA_WORD.fullmatch(unicodedata.normalize("NFKC", text)))


def is_katakana_word(text: str) -> bool:
    """True if the text is written in katakana only (with ー), as loanwords are."""
    return bool(_KATAKANA_WORD.fullmatch(unicodedata.normalize("NFKC", text)))


def reading_grams(spans: Sequence[ReadingSpan]) -> list[tuple[str, int, int, int]]:
    """Bigrams of the words' readings strung together: (gram, position, startchar, endchar).

    A word without a katakana reading (digits, Latin letters) breaks the string.
    """
    grams: list[tuple[str, int, int, int]] = []
    chars: list[tuple[str, int, int]] = []
    pos = 0

    def flush() -> None:
        nonlocal pos
        for i in range(len(chars) - 1):
            grams.append((chars[i][0] + chars[i + 1][0], pos + i, chars[i][1], chars[i + 1][2]))
        pos += len(chars) + 1
        chars.clear()

    for reading, start, end, *_pos in spans:
        kana = to_katakana(reading) if reading and reading != "*" else ""
        if not kana or not KANA_WORD.fullmatch(kana):
            flush()
            continue
        chars.extend((ch, start, end) for ch in kana)
    flush()
    return grams


class ReadingTokenizer(Tokenizer):
    """Reading bigrams of text (Janome's readings); indexing passes them pre-computed."""

    def __call__(
        self, value: str, positions: bool = False, chars: bool = False, mode: str = "", **kwargs: Any
    ) -> Iterator[Token]:
        from indexer.analysis import JanomeTokenizer

        words = JanomeTokenizer()(value, chars=True)
        spans = [(getattr(t, "reading", "*"), t.startchar, t.endchar, "", "") for t in words]
        t = Token(positions, chars, mode=mode, **kwargs)
        for gram, pos, start, end in reading_grams(spans):
            t.text, t.boost, t.stopped = gram, 1.0, False
            if positions:
                t.pos = pos
            if chars:
                t.startchar, t.endchar = start, end
            yield t


def reading_analyzer() -> CompositeAnalyzer:
    """The analyzer of the reading fields."""
    return CompositeAnalyzer(ReadingTokenizer())


def query_reading_grams(text: str) -> list[str]:
    """Bigrams of a kana query word, in katakana."""
    kana = to_katakana(text)
    return [kana[i : i + 2] for i in range(len(kana) - 1)]


# A word typed half in kanji, half as its reading: the kana at one end (年末ちょうせい, けんこう診断).
_KANA_END = re.compile(r"([^\u3041-\u309f]+)([\u3041-\u3096]{3,})")
_KANA_START = re.compile(r"([\u3041-\u3096]{3,})([^\u3041-\u309f]+)")
# What hiragana after a kanji word usually is: its ending (確認しました, 書き方), not a reading.
# Longer texts are sentences or pasted titles, not a word typed by its reading.
MAX_MIXED_CHARS = 16
_ENDING_POS = frozenset({"動詞", "助動詞", "形容詞"})
_NOT_A_READ_NOUN = frozenset({"非自立", "代名詞", "数"})


def mixed_reading(text: str, spans: Sequence[ReadingSpan] | None = None) -> str | None:
    """The katakana reading of a word typed half in kanji, half in kana (年末ちょうせい → ネンマツチョウセイ).

    None unless the text is one run with three or more hiragana at one end that Janome
    cuts into whole words, a noun among them and no verb or ending (経費精算について,
    確認しました and 見積書の書き方 are no readings). `spans`: Janome's words of the text
    when a pass over it was made already (a query's is: analysed.py).
    """
    normalized = unicodedata.normalize("NFKC", text)
    if len(normalized) > MAX_MIXED_CHARS or not RUN.fullmatch(normalized) or not _IS_KANJI.search(normalized):
        return None
    if m := _KANA_END.fullmatch(normalized):
        head, kana = m.group(1), m.group(2)
        start, end = len(head), len(normalized)
    elif m := _KANA_START.fullmatch(normalized):
        kana, head = m.group(1), m.group(2)
        start, end = 0, len(kana)
    else:
        return None
    if spans is None or normalized != text:
        # The words' spans must point into the normalized text: those of a pass over another text do not.
        from indexer.analysis import JanomeTokenizer

        words = JanomeTokenizer()(normalized, chars=True)
        spans = [(getattr(t, "reading", "*"), t.startchar, t.endchar, t.pos_major, t.pos_minor) for t in words]
    readings: list[str] = []
    noun = False
    for word_reading, word_start, word_end, major, minor in spans:
        inside = start <= word_start and word_end <= end
        if not inside and word_start < end and start < word_end:
            return None  # a word that runs into the kana (出し of 出しました): an ending, not a reading
        if inside:
            if major in _ENDING_POS:
                return None
            noun = noun or (major == "名詞" and minor not in _NOT_A_READ_NOUN)
        else:
            readings.append(word_reading)
    spelled = [to_katakana(r) for r in readings]
    # A word with no reading (ＭＯＳ, 2024) cannot be read out.
    if not noun or not spelled or not all(KANA_WORD.fullmatch(r) for r in spelled):
        return None
    reading = to_katakana(kana)
    return "".join(spelled) + reading if end == len(normalized) else reading + "".join(spelled)
