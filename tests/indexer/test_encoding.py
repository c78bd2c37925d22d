"""Decoding page bytes: BOM, declared charset, detection, and what is refused."""

from __future__ import annotations

import codecs

import pytest

from indexer.encoding import DecodeError, declared_encoding, decode_html, normalize_encoding_name

TEXT = "<html><head>{decl}</head><body><h1>請求書の締め日と支払サイト</h1><p>①㈱すまいる　ｶﾀｶﾅ</p></body></html>"


@pytest.mark.parametrize(
    ("decl", "codec", "expected"),
    [
        ('<meta charset="Shift_JIS">', "cp932", "cp932"),
        ('<meta http-equiv="Content-Type" content="text/html; charset=shift_jis">', "cp932", "cp932"),
        ('<meta charset="EUC-JP">', "euc_jp", "euc_jis_2004"),
        ("<meta http-equiv='content-type' content='text/html;charset=euc-jp'>", "euc_jp", "euc_jis_2004"),
        ('<meta charset="utf-8">', "utf-8", "utf-8"),
    ],
)
def test_declared_charset_is_used(decl: str, codec: str, expected: str) -> None:
    text = TEXT.format(decl=decl)
    if codec == "euc_jp":
        text = text.replace("①㈱", "")  # not in EUC-JP
    decoded = decode_html(text.encode(codec))
    assert decoded.text == text
    assert decoded.encoding == expected
    assert decoded.source == "declared"


def test_bom_wins_over_declaration() -> None:
    text = TEXT.format(decl='<meta charset="Shift_JIS">')
    decoded = decode_html(codecs.BOM_UTF8 + text.encode("utf-8"))
    assert decoded.text == text
    assert decoded.source == "bom"


def test_undeclared_utf8() -> None:
    text = TEXT.format(decl="")
    decoded = decode_html(text.encode("utf-8"))
    assert (decoded.text, decoded.encoding) == (text, "utf-8")


def test_undeclared_shift_jis_is_detected() -> None:
    text = TEXT.format(decl="") + "<p>経費精算の領収書は毎月２５日までに提出してください。宛名は会社名です。</p>" * 3
    decoded = decode_html(text.encode("cp932"))
    assert decoded.text == text
    assert decoded.source == "detected"


def test_wrong_declaration_falls_back_with_a_warning() -> None:
    text = TEXT.format(decl='<meta charset="utf-8">') + "<p>年末調整の申告書を社員に配布します。</p>" * 3
    decoded = decode_html(text.encode("cp932"))
    assert decoded.text == text
    assert decoded.warning and "utf-8" in decoded.warning


@pytest.mark.parametrize("data", [b"\x00\x01\x02binary\x00" * 50, bytes(range(256)) * 20])
def test_binary_is_refused(data: bytes) -> None:
    with pytest.raises(DecodeError):
        decode_html(data)


def test_declared_encoding_reads_only_the_head() -> None:
    assert declared_encoding(b'<meta charset="EUC-JP">') == "EUC-JP"
    assert declared_encoding(b"x" * 5000 + b'<meta charset="EUC-JP">') is None


@pytest.mark.parametrize(("name", "codec"), [("Shift_JIS", "cp932"), ("x-sjis", "cp932"), ("UTF-8", "utf-8")])
def test_encoding_names(name: str, codec: str) -> None:
    assert normalize_encoding_name(name) == codec


def test_unknown_encoding_name() -> None:
    assert normalize_encoding_name("klingon-8") is None
