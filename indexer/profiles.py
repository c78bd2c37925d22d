"""Site profiles: CSS selectors an editor names for a template the heuristics get wrong (a TOML file).

[[site]]
path = "news/"                       # pages whose corpus key starts with this (a folder)
# url = "https://news.example.jp/"   # or pages whose canonical URL starts with this
title = "h1.headline"
body = "div.story-body"
date = "p.dateline"                  # a datetime/content/title attribute, else the text
category = ".genre"
tags = ".keywords a"
drop = [".ad-box", ".ranking"]       # removed from the body before anything else
"""

from __future__ import annotations

import hashlib
import json
import os
import tomllib
from dataclasses import asdict, dataclass

import soupsieve

_SELECTOR_KEYS = ("title", "body", "date", "category", "tags")
_KEYS = frozenset({"path", "url", "drop", *_SELECTOR_KEYS})


class ProfileError(ValueError):
    """The profiles file cannot be used: its message names the file, the line and the problem."""


@dataclass(frozen=True)
class SiteProfile:
    """Selectors for the pages of one folder or URL prefix; an empty selector means "use the heuristics"."""

    path: str = ""
    url: str = ""
    title: str = ""
    body: str = ""
    date: str = ""
    category: str = ""
    tags: str = ""
    drop: tuple[str, ...] = ()
    line: int = 0

    @property
    def label(self) -> str:
        """How a report names the profile."""
        where = f"path = {self.path!r}" if self.path else f"url = {self.url!r}"
        return f"profile at line {self.line} ({where})"


@dataclass(frozen=True)
class Profiles:
    """Every profile of a file, and the file's name for messages."""

    source: str = ""
    sites: tuple[SiteProfile, ...] = ()

    def for_path(self, key: str) -> SiteProfile | None:
        """The profile whose `path` is the longest prefix of a document key."""
        hits = [s for s in self.sites if s.path and key.startswith(s.path)]
        return max(hits, key=lambda s: len(s.path), default=None)

    def for_url(self, url: str) -> SiteProfile | None:
        """The profile whose `url` is the longest prefix of a page URL."""
        hits = [s for s in self.sites if s.url and url and url.startswith(s.url)]
        return max(hits, key=lambda s: len(s.url), default=None)

    def fingerprint(self, key: str) -> str:
        """A digest of the profiles that can apply to this page ("" when none can): part of its digest."""
        relevant = [s for s in self.sites if s.url or (s.path and key.startswith(s.path))]
        if not relevant:
            return ""
        payload = json.dumps([{k: v for k, v in asdict(s).items() if k != "line"} for s in relevant], sort_keys=True)
        return hashlib.sha256(payload.encode("utf-8")).hexdigest()[:16]


NO_PROFILES = Profiles()


def load_profiles(path: str | os.PathLike[str]) -> Profiles:
    """Read and check a profiles file; raise ProfileError with the file, the line and the reason."""
    name = os.fspath(path)
    try:
        with open(name, "rb") as fh:
            raw = fh.read()
        data = tomllib.loads(raw.decode("utf-8"))
    except OSError as exc:
        msg = f"{name}: cannot read the site profiles: {exc.strerror or exc}"
        raise ProfileError(msg) from exc
    except UnicodeDecodeError as exc:
        msg = f"{name}: not UTF-8 text (byte {exc.start})"
        raise ProfileError(msg) from exc
    except tomllib.TOMLDecodeError as exc:
        msg = f"{name}: not valid TOML: {exc}"
        raise ProfileError(msg) from exc
    lines = raw.decode("utf-8").splitlines()
    starts = [n + 1 for n, line in enumerate(lines) if line.strip().startswith("[[site]]")]
    unknown = set(data) - {"site"}
    if unknown:
        msg = f"{name}: unknown top-level key(s) {sorted(unknown)}: profiles are [[site]] tables"
        raise ProfileError(msg)
    sites = data.get("site", [])
    if not isinstance(sites, list):
        msg = f"{name}: `site` must be an array of tables, written [[site]]"
        raise ProfileError(msg)
    return Profiles(name, tuple(_site(name, n, table, starts, lines) for n, table in enumerate(sites)))


def _site(name: str, n: int, table: dict[str, object], starts: list[int], lines: list[str]) -> SiteProfile:
    line = starts[n] if n < len(starts) else 0
    where = f"{name}:{line}" if line else name

    def fail(problem: str, key: str = "") -> ProfileError:
        at = _line_of(lines, key, line) if key else line
        return ProfileError(f"{name}:{at}: [[site]] #{n + 1}: {problem}" if at else f"{where}: {problem}")

    unknown = set(table) - _KEYS
    if unknown:
        key = sorted(unknown)[0]
        raise fail(f"unknown key {key!r} (known: {', '.join(sorted(_KEYS))})", key)
    for key in ("path", "url", *_SELECTOR_KEYS):
        if not isinstance(table.get(key, ""), str):
            raise fail(f"{key} must be a string", key)
    drop = table.get("drop", [])
    if isinstance(drop, str):
        drop = [drop]
    if not isinstance(drop, list) or not all(isinstance(d, str) for d in drop):
        raise fail("drop must be a list of CSS selectors", "drop")
    if not table.get("path") and not table.get("url"):
        raise fail('needs `path` (a corpus folder such as "news/") or `url` (a URL prefix)')
    for key in _SELECTOR_KEYS:
        _check_selector(str(table.get(key, "")), key, fail)
    for selector in drop:
        _check_selector(selector, "drop", fail)
    values = {k: str(table[k]) for k in ("path", "url", *_SELECTOR_KEYS) if k in table}
    return SiteProfile(**values, drop=tuple(drop), line=line)


def _check_selector(selector: str, key: str, fail) -> None:  # noqa: ANN001 - the closure above
    if not selector:
        return
    try:
        soupsieve.compile(selector)
    except (soupsieve.SelectorSyntaxError, ValueError) as exc:
        first = str(exc).split("\n")[0]
        raise fail(f"invalid CSS selector for {key} {selector!r}: {first}", key) from exc


def _line_of(lines: list[str], key: str, after: int) -> int:
    for n in range(max(0, after - 1), len(lines)):
        if lines[n].split("=")[0].strip() == key:
            return n + 1
    return after
