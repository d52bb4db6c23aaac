"""GSM 03.38 / UCS-2 segment counting and composing texts that fit a channel."""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Literal

from menus import i18n
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

# Aggregator-safe lookalikes for characters a channel rejects; anything unlisted is dropped. A
# bracket with its partner becomes a pair of round brackets ("<so TV>" -> "(so TV)") whichever of
# the two is rejected, so these are for a bracket alone. "%", and a lone "<" / ">" that compares,
# are said in words of the text's language instead (catalog keys enc.*: "60 phan tram").
DEFAULT_REPLACEMENTS: Mapping[str, str] = {
    "[": "(",
    "]": ")",
    "{": "(",
    "}": ")",
    "<": "(",
    ">": ")",
    "\\": "/",
    "&": "+",
    "@": "(a)",
    "#": "",
}
BRACKET_PAIRS: Mapping[str, str] = {"<": ">", "[": "]", "{": "}"}
_CLOSERS = {closer: opener for opener, closer in BRACKET_PAIRS.items()}
# Characters said in words (catalog key) when rejected: "%" always, "<" / ">" when they compare
# ("<90", "a < b"); a bracket alone elsewhere gets its lookalike.
_SAID: Mapping[str, str] = {"%": "enc.percent", "<": "enc.less_than", ">": "enc.more_than"}
_BEFORE_NUMBER = re.compile(r" ?[-+]?\d")

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


def _bracket_partners(text: str) -> dict[int, int]:
    """Each bracket that has a partner ("<" ... ">", "[" ... "]", "{" ... "}"), both ways."""
    partners: dict[int, int] = {}
    open_at: dict[str, list[int]] = {opener: [] for opener in BRACKET_PAIRS}
    for i, ch in enumerate(text):
        if ch in BRACKET_PAIRS:
            open_at[ch].append(i)
        elif ch in _CLOSERS and open_at[_CLOSERS[ch]]:
            j = open_at[_CLOSERS[ch]].pop()
            partners[i], partners[j] = j, i
    return partners


def _said(ch: str, text: str, i: int, lang: str | None, accents: bool) -> str | None:
    """A rejected ch at text[i] in words ("60%" -> "60 phan tram"), None where none fits."""
    key = _SAID.get(ch)
    spaced = text[i - 1 : i].isspace() and text[i + 1 : i + 2].isspace()
    if key is None or (ch != "%" and not spaced and not _BEFORE_NUMBER.match(text, i + 1)):
        return None
    word = i18n.t(lang or i18n.DEFAULT_LANG, key)
    if not accents:
        word = strip_accents(word)
    before = "" if i == 0 or text[i - 1].isspace() else " "
    after = " " if text[i + 1 : i + 2].isalnum() else ""
    return f"{before}{word}{after}"


def _replace_rejected(
    text: str,
    rejected: str,
    replacements: Mapping[str, str] | None = None,
    lang: str | None = None,
    accents: bool = False,
) -> str:
    """Text without the rejected characters: a bracket pair with a rejected bracket as round
    brackets, "%" (and a comparing "<" / ">") in words, others by their lookalikes. The
    caller's replacements come first; a replacement never brings back a rejected character."""
    if not rejected:
        return text
    partners = _bracket_partners(text)
    out = []
    for i, ch in enumerate(text):
        j = partners.get(i)
        if j is not None and (ch in rejected or text[j] in rejected):
            piece = "(" if i < j else ")"
        elif ch not in rejected:
            out.append(ch)
            continue
        elif replacements and ch in replacements:
            piece = replacements[ch]
        else:
            said = _said(ch, text, i, lang, accents)
            piece = said if said is not None else DEFAULT_REPLACEMENTS.get(ch, "")
        out.append("".join(c for c in piece if c not in rejected))
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
    lang: str | None = None,
) -> Composed:
    """Make text safe for a channel and cut it at a word boundary (with an ellipsis) to fit.

    Without accents the text is transliterated to unaccented Vietnamese and kept in GSM-7. lang
    is the text's language, for the words that stand in for a rejected "%" ("vi" when None).
    """
    if max_segments < 1:
        raise ValueError("max_segments must be at least 1")
    out = nfc(text).translate(_TYPOGRAPHY)
    if not accents_allowed:
        out = _to_gsm7(strip_accents(out).translate(_TYPOGRAPHY))
    out = _replace_rejected(out, rejected_chars, replacements, lang, accents_allowed)
    truncated = False
    if not _fits(out, max_segments):
        out = _truncate(out, max_segments, rejected_chars)
        truncated = True
    encoding, segments, _ = count_segments(out)
    return Composed(out, encoding, segments, truncated)
