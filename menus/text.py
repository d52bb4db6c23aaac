"""Text folding shared by the parsers and the composer."""

from __future__ import annotations

import re
import unicodedata

from unidecode import unidecode

_SPACES = re.compile(r"\s+")


def nfc(text: str) -> str:
    """Compose decomposed (NFD) input, as some phones send it."""
    return unicodedata.normalize("NFC", text)


def strip_accents(text: str) -> str:
    """Vietnamese without diacritics, case kept ("Trả nợ" -> "Tra no", "Đ" -> "D").

    Characters outside Latin are transliterated by unidecode; newlines are kept.
    """
    if text.isascii():  # most texts, and every derived "vi" catalog text: nothing to do
        return text
    out = []
    for ch in nfc(text):
        if ord(ch) < 128:
            out.append(ch)
        else:
            out.append(unidecode(ch))
    return "".join(out)


def fold(text: str) -> str:
    """Accent- and case-insensitive form for matching keywords: "Trả  NỢ" -> "tra no"."""
    return _SPACES.sub(" ", strip_accents(text).lower()).strip()


def given_name(full_name: str) -> str:
    """The given name, which Vietnamese and Jrai put last ("Rơ Châm H'Yéo" -> "H'Yéo")."""
    parts = full_name.split()
    return parts[-1] if parts else full_name
