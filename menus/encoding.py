"""GSM 03.38 / UCS-2 segment counting and composing texts that fit a channel."""

from __future__ import annotations

import unicodedata
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Literal

from menus.text import nfc, strip_accents

Encoding = Literal["GSM-7", "UCS-2"]

GSM7 = "GSM-7"
UCS2 = "UCS-2"

# GSM 03.38 default alphabet, in code order (0x1B, the escape to the extension table, excluded).
GSM7_BASIC: frozenset[str] = frozenset(
    "@£$¥èéùìòÇ\nØø\rÅå"
    "Δ_ΦΓΛΩΠΨΣΘΞÆæßÉ"
    " !\"#¤%&'()*+,-./"
    "0123456789:;<=>?"
    "¡ABCDEFGHIJKLMNO"
    "PQRSTUVWXYZÄÖÑÜ§"
    "¿abcdefghijklmno"
    "pqrstuvwxyzäöñüà"
)
# Extension table: each costs two septets (escape + code).
GSM7_EXTENSION: frozenset[str] = frozenset("\f^{}\\[~]|€")

GSM7_SINGLE, GSM7_PART = 160, 153
UCS2_SINGLE, UCS2_PART = 70, 67
USSD_GSM7_MAX, USSD_UCS2_MAX = 182, 80

# Aggregator-safe lookalikes for characters a channel rejects; anything unlisted is dropped.
DEFAULT_REPLACEMENTS: Mapping[str, str] = {
    "[": "(",
    "]": ")",
    "{": "(",
    "}": ")",
    "<": "(",
    ">": ")",
    "\\": "/",
    "&": "+",
    "%": " pct",
    "@": "(a)",
    "#": "",
}

# Typographic punctuation that would force UCS-2 for no reason.
_TYPOGRAPHY = str.maketrans(
    {
        "\u2018": "'",
        "\u2019": "'",
        "\u201a": "'",
        "\u201c": '"',
        "\u201d": '"',
        "\u201e": '"',
        "\u2013": "-",
        "\u2014": "-",
        "\u2212": "-",
        "\u00a0": " ",
        "\u2026": "...",
        "\t": " ",
        "`": "'",
    }
)

_TRIM_BEFORE_ELLIPSIS = " \n\r,.;:-"


@dataclass(frozen=True)
class Composed:
    """A text ready to send, with the encoding and segment count it will use."""

    text: str
    encoding: Encoding
    segments: int
    truncated: bool = False


def is_gsm7(text: str) -> bool:
    """True if every character is in the GSM 03.38 default alphabet or its extension."""
    return all(ch in GSM7_BASIC or ch in GSM7_EXTENSION for ch in text)


def encoding_of(text: str) -> Encoding:
    """The encoding a handset or SMSC would pick for this text."""
    return GSM7 if is_gsm7(text) else UCS2


def _unit_costs(text: str, encoding: Encoding) -> list[int]:
    if encoding == GSM7:
        return [2 if ch in GSM7_EXTENSION else 1 for ch in text]
    return [2 if ord(ch) > 0xFFFF else 1 for ch in text]


def _pack(costs: list[int], per_part: int) -> int:
    # Escape pairs and surrogate pairs are never split across parts.
    parts, used = 1, 0
    for cost in costs:
        if used + cost > per_part:
            parts += 1
            used = 0
        used += cost
    return parts


def count_segments(text: str) -> tuple[Encoding, int, int]:
    """(encoding, segments, units): units are septets for GSM-7, UTF-16 code units for UCS-2.

    An empty text is 0 segments.
    """
    encoding = encoding_of(text)
    costs = _unit_costs(text, encoding)
    units = sum(costs)
    single, per_part = (GSM7_SINGLE, GSM7_PART) if encoding == GSM7 else (UCS2_SINGLE, UCS2_PART)
    if units == 0:
        return encoding, 0, 0
    if units <= single:
        return encoding, 1, units
    return encoding, _pack(costs, per_part), units


def fits_ussd(text: str) -> bool:
    """True if the text fits one USSD screen (160 bytes: 182 GSM-7 septets or 80 UCS-2 units)."""
    encoding = encoding_of(text)
    units = sum(_unit_costs(text, encoding))
    return units <= (USSD_GSM7_MAX if encoding == GSM7 else USSD_UCS2_MAX)


def _to_gsm7(text: str) -> str:
    out = []
    for ch in text:
        if ch in GSM7_BASIC or ch in GSM7_EXTENSION:
            out.append(ch)
        elif unicodedata.category(ch).startswith(("C", "Z")):
            out.append(" " if ch.isspace() else "")
        else:
            out.append("?")
    return "".join(out)


def _replace_rejected(text: str, rejected: str, replacements: Mapping[str, str]) -> str:
    if not rejected:
        return text
    out = []
    for ch in text:
        if ch in rejected:
            # A replacement must not reintroduce a rejected character.
            out.append("".join(c for c in replacements.get(ch, "") if c not in rejected))
        else:
            out.append(ch)
    return "".join(out)


def _ellipsis(prefix: str, rejected: str) -> str:
    mark = "..." if encoding_of(prefix) == GSM7 else "\u2026"
    return "" if any(c in rejected for c in mark) else mark


def _fits(text: str, max_segments: int) -> bool:
    return count_segments(text)[1] <= max_segments


def _truncate(text: str, max_segments: int, rejected: str) -> str:
    def candidate(n: int) -> str:
        head = text[:n].rstrip(_TRIM_BEFORE_ELLIPSIS)
        return head + _ellipsis(head, rejected)

    # Segments only grow with the prefix length, so a binary search finds the longest cut.
    lo, hi = 0, len(text)
    while lo < hi:
        mid = (lo + hi + 1) // 2
        if _fits(candidate(mid), max_segments):
            lo = mid
        else:
            hi = mid - 1
    cut = lo
    space = max(text.rfind(" ", 0, cut + 1), text.rfind("\n", 0, cut + 1))
    if space > cut // 2:
        cut = space
    result = candidate(cut)
    while cut > 0 and not _fits(result, max_segments):
        cut -= 1
        result = candidate(cut)
    return result


def compose(
    text: str,
    *,
    accents_allowed: bool,
    rejected_chars: str = "",
    max_segments: int = 2,
    replacements: Mapping[str, str] | None = None,
) -> Composed:
    """Make text safe for a channel and cut it at a word boundary (with an ellipsis) to fit.

    Without accents the text is transliterated to unaccented Vietnamese and kept in GSM-7.
    """
    if max_segments < 1:
        raise ValueError("max_segments must be at least 1")
    out = nfc(text).translate(_TYPOGRAPHY)
    if not accents_allowed:
        out = _to_gsm7(strip_accents(out).translate(_TYPOGRAPHY))
    out = _replace_rejected(out, rejected_chars, {**DEFAULT_REPLACEMENTS, **(replacements or {})})
    truncated = False
    if not _fits(out, max_segments):
        out = _truncate(out, max_segments, rejected_chars)
        truncated = True
    encoding, segments, _ = count_segments(out)
    return Composed(out, encoding, segments, truncated)
