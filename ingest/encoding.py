"""Decode the bytes of a text file: BOMs, strict UTF-8, then a choice among Cyrillic code pages.

Statistical detectors guess poorly on a few hundred bytes of cp1251 Russian
(they like to say koi8-r or mac-cyrillic), so the candidates are decoded and
scored for how Russian/Kazakh-looking the result is; charset-normalizer is only
asked when no Cyrillic candidate reads plausibly (e.g. Western European text).
"""

from __future__ import annotations

import codecs
import re
from dataclasses import dataclass

BOMS = [
    (codecs.BOM_UTF32_LE, "utf-32"),
    (codecs.BOM_UTF32_BE, "utf-32"),
    (codecs.BOM_UTF8, "utf-8-sig"),
    (codecs.BOM_UTF16_LE, "utf-16"),
    (codecs.BOM_UTF16_BE, "utf-16"),
]
# kz1048 is cp1251 with the Kazakh letters in place of the Serbian/Macedonian ones.
CANDIDATES = ["cp1251", "kz1048", "koi8_r", "cp866", "mac_cyrillic"]

# Signatures of binary formats that people rename to .txt by mistake.
MAGIC = {
    b"%PDF": "PDF",
    b"PK\x03\x04": "ZIP/DOCX",
    b"\x89PNG": "PNG",
    b"\xff\xd8\xff": "JPEG",
    b"GIF8": "GIF",
    b"\xd0\xcf\x11\xe0": "MS Office (OLE)",
    b"\x7fELF": "executable",
}

_WORD = re.compile(r"[^\W\d_]+")
_CYR_WORD = re.compile(r"[а-яёА-ЯЁәғқңөұүһіӘҒҚҢӨҰҮҺІ]+")
_MID_WORD_UPPER = re.compile(r"(?<=[а-яёәғқңөұүһі])[А-ЯЁӘҒҚҢӨҰҮҺІ]")
_CONTROL = re.compile(r"[\x00-\x08\x0b\x0e-\x1f\x7f]")
_ESCAPED = re.compile("[\udc80-\udcff]")  # an invalid byte, as surrogateescape decodes it
_NON_ASCII = re.compile("[^\x00-\x7f]")
# Read as UTF-8 with replacements when valid non-ASCII characters outnumber invalid
# bytes at least this many times.
MOSTLY_UTF8 = 10


class BinaryContent(ValueError):
    pass


def _plausibility(text: str) -> float:
    """How Cyrillic-looking the non-ASCII part is: letters in all-Cyrillic words count,
    mixed-script words ("GrЭъe": Latin-1 read as Cyrillic) and case flips inside words
    (koi8-r read as cp1251 and back) count against."""
    words = [w for w in _WORD.findall(text) if not w.isascii()]
    if not words:
        return 0.0
    nonascii = sum(1 for c in text if ord(c) > 127) or 1
    good = sum(len(w) for w in words if _CYR_WORD.fullmatch(w))
    flips = len(_MID_WORD_UPPER.findall(text))
    letters = sum(len(w) for w in words) or 1
    return good / nonascii - 2.0 * flips / letters


def _utf16_without_bom(data: bytes) -> str | None:
    """UTF-16 text saved without a BOM: NUL bytes show up, but the text decodes to
    printable characters in one byte order."""
    if len(data) < 4 or len(data) % 2:
        return None
    best: tuple[float, str] | None = None
    for enc in ("utf-16-le", "utf-16-be"):
        try:
            text = data.decode(enc)
        except UnicodeDecodeError:
            continue
        printable = sum(ch.isprintable() or ch in "\n\r\t" for ch in text) / len(text)
        letters = sum(ch.isalpha() for ch in text) / len(text)
        score = printable + letters
        if printable >= 0.97 and (best is None or score > best[0]):
            best = (score, text)
    return best[1] if best else None


@dataclass(frozen=True)
class Decoded:
    text: str
    encoding: str
    replaced: int = 0  # invalid UTF-8 bytes read as U+FFFD


def decode(data: bytes) -> tuple[str, str]:
    """Text and the encoding it was read with. Raises BinaryContent for non-text bytes."""
    d = decode_text(data)
    return d.text, d.encoding


def decode_text(data: bytes) -> Decoded:
    """`decode`, and how many invalid UTF-8 bytes were replaced: a UTF-8 file with a
    damaged byte or two stays UTF-8 (read as a code page, every letter would be wrong)."""
    for bom, enc in BOMS:
        if data.startswith(bom):
            try:
                return Decoded(data.decode(enc), enc)
            except UnicodeDecodeError as e:
                if enc == "utf-8-sig":
                    mostly = _mostly_utf8(data[len(bom):])
                    if mostly is not None:
                        return Decoded(mostly[0], enc, mostly[1])
                raise BinaryContent(f"invalid {enc} after a byte-order mark ({e.reason})") from e
    for magic, kind in MAGIC.items():
        if data.startswith(magic):
            raise BinaryContent(f"binary content ({kind}) in a text file")
    if b"\x00" in data:
        text = _utf16_without_bom(data)
        if text is not None and not _CONTROL.search(text):
            return Decoded(text, "utf-16")
        raise BinaryContent("binary content (NUL bytes) in a text file")
    replaced = 0
    try:
        text, enc = data.decode("utf-8"), "utf-8"
    except UnicodeDecodeError:
        mostly = _mostly_utf8(data)
        if mostly is not None:
            (text, replaced), enc = mostly, "utf-8"
        else:
            text, enc = _guess(data)
    if len(_CONTROL.findall(text)) > max(2, len(text) // 100):
        raise BinaryContent("binary content (control characters) in a text file")
    return Decoded(text, enc, replaced)


def _mostly_utf8(data: bytes) -> tuple[str, int] | None:
    """(text with U+FFFD for invalid bytes, their count) when the bytes are UTF-8 with a
    little damage: the valid multi-byte characters outnumber the invalid bytes many
    times over. Text in a single-byte code page gives almost no valid sequences (a
    Cyrillic cp1251 letter is a UTF-8 lead byte that the next letter cannot continue)."""
    loose = data.decode("utf-8", "surrogateescape")
    invalid = len(_ESCAPED.findall(loose))
    valid = len(_NON_ASCII.findall(loose)) - invalid
    if invalid == 0 or valid < MOSTLY_UTF8 * invalid:
        return None
    return data.decode("utf-8", "replace"), invalid


def _guess(data: bytes) -> tuple[str, str]:
    best: tuple[float, str, str] | None = None
    for enc in CANDIDATES:
        try:
            text = data.decode(enc)
        except UnicodeDecodeError:
            continue
        score = _plausibility(text)
        if best is None or score > best[0] + 1e-9:
            best = (score, text, enc)
    if best and best[0] >= 0.8:
        return best[1], best[2]
    from charset_normalizer import from_bytes

    match = from_bytes(data).best()
    if match is not None:
        return str(match), match.encoding
    if best:
        return best[1], best[2]
    raise BinaryContent("undecodable bytes: not UTF-8, UTF-16 or a Cyrillic code page")
