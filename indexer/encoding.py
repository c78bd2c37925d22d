"""Decode HTML bytes: byte-order mark, then the declared charset, then detection."""

from __future__ import annotations

import codecs
import re
from dataclasses import dataclass

from charset_normalizer import from_bytes

# Japanese pages declare these names; the Windows supersets decode what real
# writers typed (①, ㈱, NEC/IBM extensions) where the strict codecs fail.
_ALIASES = {
    "shift_jis": "cp932",
    "shift-jis": "cp932",
    "sjis": "cp932",
    "x-sjis": "cp932",
    "ms_kanji": "cp932",
    "windows-31j": "cp932",
    "csshiftjis": "cp932",
    "euc-jp": "euc_jis_2004",
    "euc_jp": "euc_jis_2004",
    "x-euc-jp": "euc_jis_2004",
    "eucjp": "euc_jis_2004",
    "iso-8859-1": "cp1252",
    "latin1": "cp1252",
    "us-ascii": "cp1252",
    "ascii": "cp1252",
}

_BOMS = (
    (codecs.BOM_UTF8, "utf-8"),
    (codecs.BOM_UTF32_LE, "utf-32-le"),
    (codecs.BOM_UTF32_BE, "utf-32-be"),
    (codecs.BOM_UTF16_LE, "utf-16-le"),
    (codecs.BOM_UTF16_BE, "utf-16-be"),
)

_META_CHARSET = re.compile(
    rb"""<meta[^>]+charset\s*=\s*["']?\s*([A-Za-z0-9._:\-]+)""",
    re.IGNORECASE,
)
_XML_ENCODING = re.compile(rb"""^<\?xml[^>]+encoding\s*=\s*["']([A-Za-z0-9._\-]+)""")

# Text that is mostly control characters or replacement marks is not a page.
_GARBAGE = re.compile(r"[\x00-\x08\x0b\x0e-\x1f\x7f\ufffd]")


class DecodeError(ValueError):
    """The bytes are not text in any encoding we can trust."""


@dataclass(frozen=True)
class Decoded:
    """Decoded page text and how its encoding was found."""

    text: str
    encoding: str
    source: str  # "bom", "declared", "detected"
    warning: str | None = None


def normalize_encoding_name(name: str) -> str | None:
    """Map a declared charset to a Python codec name, or None if unknown."""
    name = name.strip().lower()
    name = _ALIASES.get(name, name)
    try:
        return codecs.lookup(name).name
    except LookupError:
        return None


def declared_encoding(data: bytes) -> str | None:
    """The charset declared in the first bytes of the page, as written."""
    head = data[:4096]
    m = _XML_ENCODING.match(head) or _META_CHARSET.search(head)
    return m.group(1).decode("ascii") if m else None


def decode_html(data: bytes) -> Decoded:
    """Decode a page; raise DecodeError with a reason when no encoding fits."""
    if b"\x00" in data[:4096] and not data.startswith((codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)):
        msg = "binary data (NUL bytes), not an HTML page"
        raise DecodeError(msg)
    for bom, enc in _BOMS:
        if data.startswith(bom):
            return _checked(data[len(bom) :], enc, "bom")

    declared = declared_encoding(data)
    warning = None
    if declared:
        enc = normalize_encoding_name(declared)
        if enc is None:
            warning = f"unknown charset {declared!r}"
        else:
            try:
                return _checked(data, enc, "declared")
            except DecodeError as exc:
                warning = f"declared charset {declared!r} does not fit: {exc}"

    try:
        return _checked(data, "utf-8", "detected", warning)
    except DecodeError:
        pass
    best = from_bytes(data, cp_isolation=["cp932", "euc_jis_2004", "iso2022_jp", "utf_16", "cp1252"]).best()
    if best is None:
        msg = warning or "cannot determine the encoding"
        raise DecodeError(msg)
    return _checked(data, best.encoding, "detected", warning)


def _checked(data: bytes, encoding: str, source: str, warning: str | None = None) -> Decoded:
    try:
        text = data.decode(encoding)
    except UnicodeDecodeError as exc:
        msg = f"invalid {exc.encoding} byte at offset {exc.start}"
        raise DecodeError(msg) from exc
    if text and len(_GARBAGE.findall(text)) > max(8, len(text) // 200):
        msg = f"decodes as {encoding} only to control characters"
        raise DecodeError(msg)
    return Decoded(text, encoding, source, warning)
