"""Phone numbers as people write them, to E.164 ("+84912345678"), and what kind a sender is."""

from __future__ import annotations

import re
from enum import StrEnum

import phonenumbers
from phonenumbers import NumberParseException, PhoneNumberType

# Pre-2018 11-digit mobile prefixes (national form without the 0) and their 10-digit successors;
# the last 7 digits are kept.
OLD_PREFIXES: dict[str, str] = {
    "162": "32", "163": "33", "164": "34", "165": "35", "166": "36", "167": "37", "168": "38",
    "169": "39",
    "123": "83", "124": "84", "125": "85", "127": "81", "129": "82",
    "120": "70", "121": "79", "122": "77", "126": "76", "128": "78",
    "186": "56", "188": "58",
    "199": "59",
}  # fmt: skip
_MOBILE_TYPES = frozenset({PhoneNumberType.MOBILE, PhoneNumberType.FIXED_LINE_OR_MOBILE})
_NON_DIGITS = re.compile(r"\D")
_ALLOWED = re.compile(r"\(?\+?[\d\s().\-/]+")
_SHORT_CODE_MAX_DIGITS = 6


class SenderKind(StrEnum):
    """What an inbound "from" is; only mobiles ever get a reply."""

    MOBILE = "mobile"
    SHORTCODE = "shortcode"
    ALPHANUMERIC = "alphanumeric"
    INVALID = "invalid"


def _national_vn(digits: str) -> str:
    """A Vietnamese national significant number, old 11-digit prefixes converted."""
    if len(digits) == 10 and digits[:3] in OLD_PREFIXES:
        return OLD_PREFIXES[digits[:3]] + digits[-7:]
    return digits


def normalize_phone(raw: str) -> str | None:
    """E.164 for a valid number as written ("0912 345 678", "84912345678", "+84 912-345-678",
    "0168 234 5678"), Vietnam assumed without a country code; None when it is not one."""
    text = raw.strip()
    if not text or _ALLOWED.fullmatch(text) is None:
        return None
    digits = _NON_DIGITS.sub("", text)
    international = text.lstrip("(").startswith("+")
    if digits.startswith("00"):
        international, digits = True, digits[2:]
    if international:
        if not digits.startswith("84"):
            return _valid("+" + digits)
        national = digits[2:]
    elif digits.startswith("84") and len(digits) in (11, 12):
        national = digits[2:]
    elif digits.startswith("0"):
        national = digits[1:]
    elif len(digits) in (9, 10):
        national = digits  # the leading 0 forgotten
    else:
        return None
    return _valid("+84" + _national_vn(national))


def _valid(e164: str) -> str | None:
    try:
        number = phonenumbers.parse(e164, None)
    except NumberParseException:
        return None
    if not phonenumbers.is_valid_number(number):
        return None
    return phonenumbers.format_number(number, phonenumbers.PhoneNumberFormat.E164)


def _is_mobile(e164: str, region: str | None) -> bool:
    try:
        number = phonenumbers.parse(e164, None)
    except NumberParseException:
        return False
    if region is not None and phonenumbers.region_code_for_number(number) != region:
        return False
    return phonenumbers.is_valid_number(number) and (
        phonenumbers.number_type(number) in _MOBILE_TYPES
    )


def is_vn_mobile(e164: str) -> bool:
    """True for a valid Vietnamese mobile number in E.164."""
    return _is_mobile(e164, "VN")


def normalize_mobile(raw: str) -> str | None:
    """E.164 for a Vietnamese mobile number as written; None for anything else, landlines
    included (a member's or supervisor's phone must take SMS)."""
    e164 = normalize_phone(raw)
    return e164 if e164 is not None and is_vn_mobile(e164) else None


def sender_kind(raw_from: str) -> SenderKind:
    """What a sender is: mobile, shortcode (all digits, at most 6), alphanumeric (has letters),
    or invalid."""
    text = raw_from.strip()
    if any(ch.isalpha() for ch in text):
        return SenderKind.ALPHANUMERIC
    digits = _NON_DIGITS.sub("", text)
    if text.isdigit() and len(digits) <= _SHORT_CODE_MAX_DIGITS:
        return SenderKind.SHORTCODE
    e164 = normalize_phone(text)
    if e164 is not None and _is_mobile(e164, None):
        return SenderKind.MOBILE
    return SenderKind.INVALID


def mask_number(number: str | None) -> str:
    """A phone number safe for logs: country prefix and last 3 digits ("+84******567")."""
    if not number:
        return "<none>"
    digits = number.strip()
    if len(digits) <= 5:
        return "*" * len(digits)
    head = 3 if digits.startswith("+") else 1
    return digits[:head] + "*" * (len(digits) - head - 3) + digits[-3:]
