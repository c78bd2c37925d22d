"""The editors' dictionaries: the user dictionary (index time) and synonym groups (query time)."""

from __future__ import annotations

import csv
import os
import re
import unicodedata
from dataclasses import dataclass
from pathlib import Path

from indexer.ngrams import normalize

DICTIONARY_DIR = Path(__file__).resolve().parent / "dictionary"
_SYNONYM_SEPARATORS = re.compile(r"\s*[=,、＝]\s*")


def user_dictionary_path() -> Path:
    """The user dictionary file: SEARCH_USER_DICT, or the bundled one."""
    return Path(os.environ.get("SEARCH_USER_DICT") or DICTIONARY_DIR / "userdic.csv")


def synonyms_path() -> Path:
    """The synonym table: SEARCH_SYNONYMS, or the bundled one."""
    return Path(os.environ.get("SEARCH_SYNONYMS") or DICTIONARY_DIR / "synonyms.txt")


def _content_lines(path: Path) -> list[str]:
    try:
        text = path.read_text(encoding="utf-8-sig")
    except FileNotFoundError:
        return []
    return [line.strip() for line in text.splitlines() if line.strip() and not line.lstrip().startswith("#")]


@dataclass(frozen=True)
class UserWord:
    """One user dictionary entry, as Janome's simplified format has it."""

    surface: str
    pos: str
    reading: str


def read_user_dictionary(path: Path | None = None) -> tuple[UserWord, ...]:
    """Entries of the user dictionary (NFKC, like the text Janome sees); a bad line is an error."""
    path = path or user_dictionary_path()
    words = []
    for number, line in enumerate(_content_lines(path), 1):
        fields = next(csv.reader([line]))
        if len(fields) != 3 or not all(f.strip() for f in fields):
            msg = f"{path}: entry {number} must be 'surface,part of speech,reading': {line!r}"
            raise ValueError(msg)
        surface, pos, reading = (unicodedata.normalize("NFKC", f.strip()) for f in fields)
        words.append(UserWord(surface, pos, reading))
    return tuple(words)


def changed_surfaces(old: tuple[UserWord, ...], new: tuple[UserWord, ...]) -> set[str]:
    """Surfaces whose entry was added, removed or changed: the text that tokenizes differently now."""
    return {w.surface for w in set(old) ^ set(new)}


def normalize_word(word: str) -> str:
    """The form synonyms are compared in: the query side's one normal form (ngrams.normalize), no spaces."""
    return re.sub(r"\s+", "", normalize(word))


@dataclass(frozen=True)
class Synonyms:
    """Synonym groups, looked up by any member."""

    groups: dict[str, tuple[str, ...]]

    def expand(self, word: str) -> tuple[str, ...]:
        """The other words of the word's group (empty when it has none)."""
        key = normalize_word(word)
        return tuple(w for w in self.groups.get(key, ()) if normalize_word(w) != key)


def read_synonyms(path: Path | None = None) -> Synonyms:
    """Parse the synonym table: one group per line, words separated by '=' or ','."""
    groups: dict[str, tuple[str, ...]] = {}
    for line in _content_lines(path or synonyms_path()):
        words = tuple(w for w in _SYNONYM_SEPARATORS.split(line) if w)
        if len(words) < 2:
            continue
        for w in words:
            # A word in two groups gets the union of both.
            merged = dict.fromkeys((*groups.get(normalize_word(w), ()), *words))
            groups[normalize_word(w)] = tuple(merged)
    return Synonyms(groups)


class SynonymTable:
    """The synonym file, re-read when it changes (checked at most every `interval` seconds)."""

    def __init__(self, path: Path | None = None, interval: float = 5.0) -> None:
        self.path = path
        self.interval = interval
        self._stamp: tuple[float, int] | None = None
        self._checked = float("-inf")
        self._synonyms = Synonyms({})

    def current(self, now: float) -> Synonyms:
        """The synonyms in force now."""
        if now - self._checked >= self.interval:
            self._checked = now
            path = self.path or synonyms_path()
            try:
                st = path.stat()
                stamp = (st.st_mtime, st.st_size)
            except FileNotFoundError:
                stamp = None
            if stamp != self._stamp:
                self._stamp = stamp
                self._synonyms = read_synonyms(path) if stamp else Synonyms({})
        return self._synonyms
