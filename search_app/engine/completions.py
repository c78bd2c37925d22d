"""Search-box completions: titles and frequent index terms, kana input through readings."""

from __future__ import annotations

import bisect
import datetime as dt
import heapq
import logging
import re
import threading
import weakref
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass

from whoosh.reading import IndexReader
from whoosh.searching import Searcher

from indexer.analysis import JanomeTokenizer, janome_tokenizer
from indexer.ngrams import is_kana_word, to_katakana
from indexer.ngrams import normalize as normalize_text

MAX_SUGGESTIONS = 8
# Longer prefixes are refused (400): nobody types a 100-character word into a search box.
MAX_PREFIX_CHARS = 100
# Titles starting with the typed text come first, but leave room for terms.
MAX_TITLE_STARTS = 5
# Kanji terms whose reading is looked up (Janome, about 1 ms each, once per generation):
# the most frequent. Title words have theirs already; kana terms read as written.
MAX_READING_TERMS = 1000
# Terms kept for spelling corrections (their one-deletion variants are indexed).
MAX_SPELLING_TERMS = 20000
# How long the first completion request of a new index generation waits for the readings (seconds).
READINGS_WAIT = 10.0
# How long a request waits for a new generation's vocabulary when there is none yet (seconds).
VOCABULARY_WAIT = 0.25
# Fields whose words complete the typed text (tags whole, from the keyword field).
_TERM_FIELDS = ("body", "title", "tags")
logger = logging.getLogger(__name__)
_HIRAGANA_ONLY = re.compile(r"[\u3041-\u309f]+")
_KANJI_CHAR = re.compile(r"[\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff]")
# Noun kinds that do not stand as words of their own in a compound (の, こと, それ, 3).
_NOT_COMPOUND = frozenset({"非自立", "代名詞", "数", "接尾"})


@dataclass(frozen=True)
class Suggestion:
    """One completion: an article title (with its path) or an index term."""

    text: str
    kind: str  # "title" or "term"
    path: str | None = None


@dataclass(frozen=True)
class _Title:
    text: str
    key: str
    reading: str
    path: str
    recency: int
    # The title's words as the indexer stored them: (surface, reading, major and minor part of speech).
    words: tuple[tuple[str, str, str, str], ...] = ()


def normalize(text: str) -> str:
    """The form typed text and index text are compared in: the query side's one normal form, single spaces."""
    return " ".join(normalize_text(text).split())


def _is_word(term: str) -> bool:
    """Terms worth offering: not hiragana-only (particles, inflections), not one Latin letter or digit."""
    if _HIRAGANA_ONLY.fullmatch(term):
        return False
    return len(term) >= 2 or bool(_KANJI_CHAR.match(term))


def words_reading(tokens: Iterable[tuple[str, str]]) -> str | None:
    """The katakana reading of a run of (surface, reading) words, or None if one has no reading."""
    parts = []
    for surface, reading in tokens:
        if reading and reading != "*":
            parts.append(to_katakana(reading))
        elif is_kana_word(surface):
            parts.append(to_katakana(surface))
        else:
            return None
    return "".join(parts)


def _deletions(word: str) -> Iterator[str]:
    """The word with one character removed, at each position."""
    for i in range(len(word)):
        yield word[:i] + word[i + 1 :]


def edit_distance(a: str, b: str) -> int:
    """Levenshtein distance (insertions, deletions, substitutions)."""
    if len(a) < len(b):
        a, b = b, a
    previous = list(range(len(b) + 1))
    for i, ca in enumerate(a, 1):
        current = [i]
        for j, cb in enumerate(b, 1):
            current.append(min(previous[j] + 1, current[j - 1] + 1, previous[j - 1] + (ca != cb)))
        previous = current
    return previous[-1]


class Vocabulary:
    """Titles, terms with their document frequencies, and readings of one index generation."""

    def __init__(self, titles: list[_Title], frequencies: dict[str, int], readings: dict[str, set[str]]) -> None:
        self.titles = sorted(titles, key=lambda t: (-t.recency, t.text))
        self.frequencies = frequencies
        self._terms = sorted(t for t in frequencies if _is_word(t))
        self._readings = sorted((r, s) for s, rs in readings.items() for r in rs)
        self._by_reading: dict[str, list[str]] = {}
        for reading, surface in self._readings:
            self._by_reading.setdefault(reading, []).append(surface)
        common = heapq.nlargest(MAX_SPELLING_TERMS, self._terms, key=lambda t: self.frequencies[t])
        self._deletions: dict[str, list[str]] = {}
        for term in common:
            for key in {term, *_deletions(term)}:
                self._deletions.setdefault(key, []).append(term)

    @classmethod
    def build(cls, searcher: Searcher) -> Vocabulary:
        """The whole vocabulary of the index behind `searcher`, readings included."""
        return collect(searcher).with_readings()

    def complete(self, typed: str, limit: int = MAX_SUGGESTIONS) -> list[Suggestion]:
        """Titles starting with the text, then terms by document frequency, then titles containing it."""
        prefix = normalize(typed)
        if not prefix:
            return []
        kana = to_katakana(prefix) if is_kana_word(prefix) else ""
        starts: list[_Title] = []
        contains: list[_Title] = []
        for title in self.titles:
            if title.key.startswith(prefix) or (kana and title.reading.startswith(kana)):
                starts.append(title)
            elif prefix in title.key or (kana and kana in title.reading):
                contains.append(title)
        found: dict[str, Suggestion] = {}
        for title in starts[:MAX_TITLE_STARTS]:
            found.setdefault(title.text, Suggestion(title.text, "title", title.path))
        for term in self._complete_terms(prefix, kana, limit):
            found.setdefault(term, Suggestion(term, "term"))
        for title in [*starts[MAX_TITLE_STARTS:], *contains]:
            if len(found) >= limit:
                break
            found.setdefault(title.text, Suggestion(title.text, "title", title.path))
        return list(found.values())[:limit]

    def _complete_terms(self, prefix: str, kana: str, limit: int) -> list[str]:
        candidates = set(_prefixed(self._terms, prefix))
        if kana:
            lo = bisect.bisect_left(self._readings, (kana,))
            for reading, surface in self._readings[lo:]:
                if not reading.startswith(kana):
                    break
                candidates.add(surface)
        return heapq.nsmallest(limit, candidates, key=lambda t: (-self.frequencies.get(t, 0), len(t), t))

    def frequency(self, term: str) -> int:
        """How many documents hold the term (0 if the index has no such term)."""
        return self.frequencies.get(term, 0)

    def spellings_of_reading(self, kana: str) -> list[str]:
        """Words read exactly as the kana text, most frequent first (けいひせいさん → 経費精算)."""
        surfaces = self._by_reading.get(to_katakana(kana), [])
        return sorted(surfaces, key=lambda s: (-self.frequency(s), s))

    def near(self, word: str) -> list[str]:
        """Known words one edit away from the word, most frequent first (経費清算 → 経費精算)."""
        found = set()
        for key in {word, *_deletions(word)}:
            found.update(self._deletions.get(key, ()))
        found.discard(word)
        close = [t for t in found if edit_distance(t, word) <= 1]
        # A substituted character (清算 → 精算) before a dropped or added one.
        return sorted(close, key=lambda t: (len(t) != len(word), -self.frequency(t), t))


def _prefixed(terms: list[str], prefix: str) -> Iterator[str]:
    lo = bisect.bisect_left(terms, prefix)
    for term in terms[lo:]:
        if not term.startswith(prefix):
            return
        yield term


def _add_reading(readings: dict[str, set[str]], surface: str, reading: str | None) -> None:
    if reading:
        readings.setdefault(surface, set()).add(reading)


def janome_reading(text: str) -> str | None:
    """The katakana reading of a word or short phrase, from Janome's dictionary (None if a part has none)."""
    return words_reading((t.surface, t.reading) for t in janome_tokenizer().tokenize(text))


def _title_words(title: _Title) -> list[tuple[str, str, str]]:
    """(surface, reading, part of speech) of a title's words, in the index's normalized form.

    The indexer stores them (title_words); an index written before it did gets them from Janome here.
    """
    parts = title.words or tuple(
        (t.text, t.reading, t.pos_major, t.pos_minor) for t in JanomeTokenizer()(title.text, chars=True)
    )
    return [
        (normalize(surface), reading, "名詞" if major == "名詞" and minor not in _NOT_COMPOUND else major)
        for surface, reading, major, minor in parts
    ]


def _compounds(words: list[tuple[str, str, str]]) -> Iterator[tuple[str, str | None]]:
    """Each noun, and each run of two or more nouns as one compound (経費 + 精算 → 経費精算)."""
    run: list[tuple[str, str]] = []
    for surface, reading, pos in [*words, ("", "", "")]:
        if pos == "名詞":
            run.append((surface, reading))
            yield surface, words_reading([(surface, reading)])
            continue
        if len(run) > 1:
            yield "".join(s for s, _ in run), words_reading(run)
        run = []


@dataclass(frozen=True)
class Collected:
    """What the index holds for the vocabulary, read in one pass (no Janome: cheap)."""

    titles: tuple[_Title, ...]
    frequencies: dict[str, int]
    tags: tuple[str, ...]

    def without_readings(self) -> Vocabulary:
        """A vocabulary that completes kanji and Latin input (and kana words) at once."""
        readings = {t: {to_katakana(t)} for t in self.frequencies if is_kana_word(t) and _is_word(t)}
        return Vocabulary(list(self.titles), dict(self.frequencies), readings)

    def with_readings(self) -> Vocabulary:
        """The full vocabulary: titles, their compounds and frequent terms with Janome readings."""
        frequencies = dict(self.frequencies)
        readings: dict[str, set[str]] = {}
        for tag in self.tags:
            _add_reading(readings, tag, janome_reading(tag))
        titles = []
        title_counts: dict[str, int] = {}
        for title in self.titles:
            words = _title_words(title)
            reading = "".join(to_katakana(r) if r and r != "*" else s for s, r, _pos in words)
            titles.append(_Title(title.text, title.key, reading, title.path, title.recency))
            for surface, word_reading in _compounds(words):
                title_counts[surface] = title_counts.get(surface, 0) + 1
                _add_reading(readings, surface, word_reading)
        for surface, count in title_counts.items():
            frequencies[surface] = max(frequencies.get(surface, 0), count)
        for term in frequencies:
            if term not in readings and is_kana_word(term) and _is_word(term):
                _add_reading(readings, term, to_katakana(term))
        unread = (t for t in frequencies if t not in readings and _KANJI_CHAR.search(t))
        for term in heapq.nlargest(MAX_READING_TERMS, unread, key=frequencies.__getitem__):
            _add_reading(readings, term, janome_reading(term))
        return Vocabulary(titles, frequencies, readings)


@dataclass(frozen=True)
class _SegmentPart:
    """One segment's share of the vocabulary: its terms' document frequencies by field, its titles by docnum."""

    counts: dict[str, dict[str, int]]
    titles: tuple[tuple[int, _Title], ...]


def _read_segment(reader: IndexReader) -> _SegmentPart:
    """A segment's terms and titles (its live documents: later deletions are checked when parts are joined)."""
    counts: dict[str, dict[str, int]] = {}
    for fieldname in (*_TERM_FIELDS, "tag"):
        if fieldname in reader.schema:
            field_counts = counts[fieldname] = {}
            for term, info in reader.iter_field(fieldname):
                text = term.decode("utf-8") if isinstance(term, bytes) else term
                field_counts[text] = field_counts.get(text, 0) + info.doc_frequency()
    titles = []
    for docnum, fields in reader.iter_docs():
        title = fields.get("title", "")
        if title:
            date = fields.get("date")
            recency = date.toordinal() if isinstance(date, dt.date) else 0
            words = tuple(tuple(w) for w in fields.get("title_words", ()))
            titles.append((docnum, _Title(title, normalize(title), "", fields["path"], recency, words)))
    return _SegmentPart(counts, tuple(titles))


def _segment_key(reader: IndexReader) -> str | None:
    segment = getattr(reader, "segment", None)
    return segment().segment_id() if callable(segment) else None


def collect(searcher: Searcher, parts: dict[str, _SegmentPart] | None = None) -> Collected:
    """Terms with their document frequencies, tag values and titles of the searcher's index.

    Read segment by segment (Whoosh's multi-segment reader looks each term up in
    every segment: seconds per worker once editors' reindexes had added small
    segments). `parts` keeps each segment's share from one generation to the next,
    so after a reindex only its new segment is read: reading every stored title
    took 2.4 s at 50,000 articles.
    """
    totals: dict[str, dict[str, int]] = {}
    titles: list[_Title] = []
    used: dict[str, _SegmentPart] = {}
    for sub, _offset in searcher.leaf_searchers():
        reader = sub.reader()
        key = _segment_key(reader)
        part = parts.get(key) if parts is not None and key else None
        if part is None:
            part = _read_segment(reader)
        if key:
            used[key] = part
        for fieldname, counts in part.counts.items():
            total = totals.setdefault(fieldname, {})
            for text, count in counts.items():
                total[text] = total.get(text, 0) + count
        titles.extend(title for docnum, title in part.titles if not reader.is_deleted(docnum))
    if parts is not None:
        # Only the live generation's segments are kept.
        parts.clear()
        parts.update(used)
    frequencies: dict[str, int] = {}
    for fieldname in _TERM_FIELDS:
        for text, count in totals.get(fieldname, {}).items():
            frequencies[text] = max(frequencies.get(text, 0), count)
    tags = []
    for term, count in totals.get("tag", {}).items():
        text = normalize(term)
        frequencies[text] = max(frequencies.get(text, 0), count)
        tags.append(text)
    return Collected(tuple(titles), frequencies, tuple(tags))


class VocabularyCache:
    """The vocabulary of the searcher's index generation, built in a background thread.

    Reading the index for it (every term's frequency and every stored title: about
    a second at 20,000 articles) and then looking up readings with Janome (about a
    millisecond a title or word) both run in a thread with a searcher of its own,
    so no request is held up. Meanwhile requests use the previous generation's
    vocabulary, or wait a bounded time for the first one (`current`); completions
    work without readings until they are in (`wait_for_readings`).
    """

    def __init__(self, wait: float = READINGS_WAIT) -> None:
        self.wait = wait
        self._lock = threading.Lock()
        self._reader: weakref.ReferenceType | None = None
        self._vocabulary: Vocabulary | None = None
        self._ready = threading.Event()
        self._done = threading.Event()
        self._claimed = False
        # Each segment's share of the vocabulary, kept across generations (collect).
        self._parts: dict[str, _SegmentPart] = {}
        self._parts_lock = threading.Lock()

    def start(self, searcher: Searcher, opener: Callable[[], Searcher]) -> None:
        """Build the vocabulary of this searcher's generation if that has not begun (a new reader: a new one).

        `opener` gives the thread its own searcher: Whoosh searchers are not shared mid-search.
        """
        reader = searcher.reader()
        with self._lock:
            if self._reader is not None and self._reader() is reader:
                return
            self._reader = ref = weakref.ref(reader)
            self._ready = ready = threading.Event()
            self._done = done = threading.Event()
            self._claimed = False
        threading.Thread(target=self._build, args=(opener, ref, ready, done), daemon=True).start()

    def current(self, wait: float = 0.0) -> Vocabulary | None:
        """The latest vocabulary built, waiting up to `wait` seconds for the latest generation's (None: none yet)."""
        with self._lock:
            ready = self._ready
        if wait > 0:
            ready.wait(wait)
        with self._lock:
            return self._vocabulary

    def wait_for_readings(self) -> bool:
        """True once the readings of the latest generation are in; the first caller waits up to `wait` seconds.

        Only one request per generation waits: the others answer at once,
        without readings, until the thread is done.
        """
        with self._lock:
            done, first = self._done, not self._claimed
            self._claimed = True
        return done.wait(self.wait) if first else done.is_set()

    def _build(
        self, opener: Callable[[], Searcher], ref: weakref.ReferenceType, ready: threading.Event, done: threading.Event
    ) -> None:
        try:
            with opener() as searcher, self._parts_lock:
                collected = collect(searcher, self._parts)
            self._publish(collected.without_readings(), ref)
            ready.set()
            self._publish(collected.with_readings(), ref)
        except Exception:
            # Requests keep the vocabulary they have; the next generation tries again.
            logger.exception("could not build the vocabulary")
        finally:
            ready.set()
            done.set()

    def _publish(self, vocabulary: Vocabulary, ref: weakref.ReferenceType) -> None:
        with self._lock:
            if self._reader is ref:  # still the live generation
                self._vocabulary = vocabulary
