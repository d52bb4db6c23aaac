"""Phone numbers as written on registers and sent by aggregators."""

from __future__ import annotations

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from menus.phones import OLD_PREFIXES, is_vn_mobile, mask_number, normalize_phone, sender_kind

FAST = settings(max_examples=300, deadline=None)
QUICK = settings(max_examples=150, deadline=None)


@pytest.mark.parametrize(
    ("raw", "e164"),
    [
        ("0912 345 678", "+84912345678"),
        ("0912345678", "+84912345678"),
        ("84912345678", "+84912345678"),
        ("+84912345678", "+84912345678"),
        ("+84 912-345-678", "+84912345678"),
        ("0912.345.678", "+84912345678"),
        ("(+84) 912 345 678", "+84912345678"),
        ("0084912345678", "+84912345678"),
        ("912345678", "+84912345678"),
        ("  0987 654 321 ", "+84987654321"),
        ("0326 123 456", "+84326123456"),
        ("0868 123 456", "+84868123456"),
        # pre-2018 11-digit numbers
        ("0168 234 5678", "+84382345678"),
        ("01682345678", "+84382345678"),
        ("+84 168 234 5678", "+84382345678"),
        ("841682345678", "+84382345678"),
        ("0123 456 7890", "+84834567890"),
        ("0120 456 7890", "+84704567890"),
        ("0186 456 7890", "+84564567890"),
        ("0199 456 7890", "+84594567890"),
        # not Vietnamese, still a valid number
        ("+1 650 253 0000", "+16502530000"),
    ],
)
def test_normalize_phone(raw: str, e164: str) -> None:
    assert normalize_phone(raw) == e164


@pytest.mark.parametrize("old", sorted(OLD_PREFIXES))
def test_every_old_prefix_converts_to_a_valid_mobile(old: str) -> None:
    e164 = normalize_phone(f"0{old}2345678")
    assert e164 == f"+84{OLD_PREFIXES[old]}2345678"
    assert is_vn_mobile(e164)


def test_prefix_table_matches_domain_notes() -> None:
    viettel = {f"16{d}": f"3{d}" for d in range(2, 10)}
    others = {"123": "83", "124": "84", "125": "85", "127": "81", "129": "82", "120": "70"}
    others |= {"121": "79", "122": "77", "126": "76", "128": "78", "186": "56", "188": "58"}
    others |= {"199": "59"}
    assert viettel | others == OLD_PREFIXES


@pytest.mark.parametrize(
    "raw",
    ["", "abc", "12345", "0912 345", "091234567890", "+84 12 345", "0912345678x", "++84912345678"],
)
def test_not_a_phone(raw: str) -> None:
    assert normalize_phone(raw) is None


@pytest.mark.parametrize(
    ("e164", "mobile"),
    [
        ("+84912345678", True),
        ("+84382345678", True),
        ("+842438123456", False),  # Hanoi landline
        ("+16502530000", False),
        ("garbage", False),
        ("", False),
    ],
)
def test_is_vn_mobile(e164: str, mobile: bool) -> None:
    assert is_vn_mobile(e164) is mobile


@pytest.mark.parametrize(
    ("raw", "kind"),
    [
        ("+84912345678", "mobile"),
        ("84912345678", "mobile"),
        ("0912345678", "mobile"),
        ("8077", "shortcode"),
        ("9029", "shortcode"),
        ("123456", "shortcode"),
        ("Viettel", "alphanumeric"),
        ("VIETTEL-KM", "alphanumeric"),
        ("MobiFone", "alphanumeric"),
        ("BIDV", "alphanumeric"),
        ("", "invalid"),
        ("1234567", "invalid"),
        ("+842438123456", "invalid"),
        ("+", "invalid"),
    ],
)
def test_sender_kind(raw: str, kind: str) -> None:
    assert sender_kind(raw) == kind


@FAST
@given(st.text(alphabet="0123456789 +-.()x", max_size=20) | st.text(max_size=20))
def test_normalize_never_raises_and_is_idempotent(raw: str) -> None:
    e164 = normalize_phone(raw)
    if e164 is not None:
        assert e164.startswith("+")
        assert normalize_phone(e164) == e164
    sender_kind(raw)
    mask_number(raw)


@QUICK
@given(
    st.sampled_from(["3", "5", "7", "8", "9"]),
    st.text(alphabet="0123456789", min_size=8, max_size=8),
)
def test_written_forms_agree(first: str, rest: str) -> None:
    national = first + rest
    e164 = normalize_phone("0" + national)
    assert normalize_phone("+84" + national) == e164
    assert normalize_phone("84" + national) == e164
    assert normalize_phone(f"0{national[:3]} {national[3:6]} {national[6:]}") == e164
