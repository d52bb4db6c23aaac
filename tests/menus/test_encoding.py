"""GSM 03.38 / UCS-2 counting and composing texts that fit a channel."""

from __future__ import annotations

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from menus.encoding import (
    GSM7_BASIC,
    GSM7_EXTENSION,
    compose,
    count_segments,
    encoding_of,
    fits_ussd,
    is_gsm7,
)

AGGREGATOR_REJECTS = "#&%@[]{}\\<"

# (text, encoding, segments, units) worked out by hand from the GSM 03.38 tables.
CASES = [
    ("Xin chao", "GSM-7", 1, 8),
    ("Xin chào", "GSM-7", 1, 8),  # à is in the default alphabet
    ("Bà Lò", "GSM-7", 1, 5),  # so are à and ò
    ("é è ù ì ò à", "GSM-7", 1, 11),
    ("Chào bác", "UCS-2", 1, 8),  # á is not
    ("ÉÀ", "UCS-2", 1, 2),  # É is, À is not
    ("Trả nợ 200k", "UCS-2", 1, 11),
    ("Tra no 200k", "GSM-7", 1, 11),
    ("Về nhà", "UCS-2", 1, 6),
    ("Đã nhận 200.000đ", "UCS-2", 1, 16),
    ("Hẹn họp CLB ngày 21", "UCS-2", 1, 19),
    ("Lãi 1%/tháng", "UCS-2", 1, 12),
    ("Lai 1%/thang", "GSM-7", 1, 12),
    ("Gia [10] 5€", "GSM-7", 1, 14),  # [ ] € cost two septets each
    ("2^3 {a}", "GSM-7", 1, 10),
    ("a|b~c\\d", "GSM-7", 1, 10),
    ("@£$¥ #", "GSM-7", 1, 6),
    ("Dong 1\nDong 2", "GSM-7", 1, 13),
    ("Xin chào 😀", "UCS-2", 1, 11),  # the emoji is a surrogate pair
    ("", "GSM-7", 0, 0),
    ("a" * 160, "GSM-7", 1, 160),
    ("a" * 161, "GSM-7", 2, 161),
    ("a" * 306, "GSM-7", 2, 306),
    ("a" * 307, "GSM-7", 3, 307),
    ("a" * 459, "GSM-7", 3, 459),
    ("a" * 460, "GSM-7", 4, 460),
    ("€" * 80, "GSM-7", 1, 160),
    ("€" * 81, "GSM-7", 2, 162),
    ("a" * 159 + "€", "GSM-7", 2, 161),
    ("a" * 152 + "€" + "a" * 152, "GSM-7", 3, 306),  # an escape pair is never split
    ("ă" * 70, "UCS-2", 1, 70),
    ("ă" * 71, "UCS-2", 2, 71),
    ("ă" * 134, "UCS-2", 2, 134),
    ("ă" * 135, "UCS-2", 3, 135),
    ("ă" * 201, "UCS-2", 3, 201),
    ("ă" * 202, "UCS-2", 4, 202),
    ("😀" * 35, "UCS-2", 1, 70),
    ("😀" * 36, "UCS-2", 2, 72),
    ("ă" * 66 + "😀" + "ă" * 66, "UCS-2", 3, 134),  # a surrogate pair is never split
    ("Xin chao" + "ư", "UCS-2", 1, 9),
]


@pytest.mark.parametrize(("text", "encoding", "segments", "units"), CASES)
def test_segment_counts(text: str, encoding: str, segments: int, units: int) -> None:
    assert count_segments(text) == (encoding, segments, units)
    assert encoding_of(text) == encoding
    assert is_gsm7(text) == (encoding == "GSM-7")


def test_alphabet_sizes() -> None:
    assert len(GSM7_BASIC) == 127  # 128 codes less the escape
    assert len(GSM7_EXTENSION) == 10


@pytest.mark.parametrize(
    ("text", "fits"),
    [
        ("a" * 182, True),
        ("a" * 183, False),
        ("ă" * 80, True),
        ("ă" * 81, False),
        ("€" * 91, True),
        ("€" * 92, False),
    ],
)
def test_fits_ussd(text: str, fits: bool) -> None:
    assert fits_ussd(text) is fits


def test_compose_strips_accents_by_default_policy() -> None:
    composed = compose("Chào bác, hẹn họp ngày 21 tại nhà văn hóa", accents_allowed=False)

    assert composed.text == "Chao bac, hen hop ngay 21 tai nha van hoa"
    assert (composed.encoding, composed.segments, composed.truncated) == ("GSM-7", 1, False)


def test_compose_keeps_accents_when_allowed_and_composes_nfd() -> None:
    composed = compose("Tra\u0300 no\u031b\u0323 200k", accents_allowed=True)

    assert composed.text == "Trà nợ 200k"
    assert composed.encoding == "UCS-2"


def test_typographic_punctuation_does_not_force_ucs2() -> None:
    composed = compose("It’s “ok” – 21…", accents_allowed=True)

    assert composed.text == 'It\'s "ok" - 21...'
    assert composed.encoding == "GSM-7"


def test_rejected_characters_are_replaced_or_dropped() -> None:
    composed = compose(
        "Lãi 1% & phí #2 @CLB [a] {b} <c> d\\e",
        accents_allowed=False,
        rejected_chars=AGGREGATOR_REJECTS,
    )

    assert composed.text == "Lai 1 phan tram + phi 2 (a)CLB (a) (b) (c) d/e"
    assert not any(ch in composed.text for ch in AGGREGATOR_REJECTS)


def test_replacements_can_be_given_per_language() -> None:
    composed = compose(
        "Lãi 1%", accents_allowed=False, rejected_chars="%", replacements={"%": " phan tram"}
    )

    assert composed.text == "Lai 1 phan tram"


def test_truncates_gsm_at_a_word_boundary_with_dots() -> None:
    words = "Thong bao hop CLB ngay 21 tai nha van hoa thon, mang theo so vay. " * 10

    composed = compose(words, accents_allowed=False, max_segments=2)

    assert composed.truncated and composed.segments == 2
    assert composed.text.endswith("...")
    head = composed.text[:-3]
    assert words.startswith(head) and words[len(head)] in " ,."
    assert count_segments(composed.text)[2] > 290  # close to the 306 septets available


def test_truncates_ucs2_with_an_ellipsis_character() -> None:
    words = "Hẹn họp câu lạc bộ ngày 21 tại nhà văn hóa thôn. " * 6

    composed = compose(words, accents_allowed=True, max_segments=1)

    assert composed.truncated and (composed.encoding, composed.segments) == ("UCS-2", 1)
    assert composed.text.endswith("…")
    assert words.startswith(composed.text[:-1])


def test_one_long_word_is_cut_hard() -> None:
    composed = compose("x" * 500, accents_allowed=False, max_segments=1)

    assert composed.text == "x" * 157 + "..."
    assert composed.segments == 1


def test_max_segments_must_be_positive() -> None:
    with pytest.raises(ValueError):
        compose("hi", accents_allowed=False, max_segments=0)


@settings(max_examples=300, deadline=None)
@given(
    text=st.text(max_size=1200),
    accents_allowed=st.booleans(),
    rejected=st.sets(st.sampled_from(AGGREGATOR_REJECTS)).map("".join),
    max_segments=st.integers(min_value=1, max_value=4),
)
def test_compose_always_fits_and_never_raises(
    text: str, accents_allowed: bool, rejected: str, max_segments: int
) -> None:
    composed = compose(
        text, accents_allowed=accents_allowed, rejected_chars=rejected, max_segments=max_segments
    )

    encoding, segments, _ = count_segments(composed.text)
    assert segments <= max_segments
    assert (composed.encoding, composed.segments) == (encoding, segments)
    assert not any(ch in composed.text for ch in rejected)
    if not accents_allowed:
        assert composed.encoding == "GSM-7"


@settings(max_examples=200, deadline=None)
@given(st.text(max_size=700))
def test_segments_agree_with_capacity(text: str) -> None:
    encoding, segments, units = count_segments(text)
    single, per_part = (160, 153) if encoding == "GSM-7" else (70, 67)
    if units == 0:
        assert segments == 0
    elif units <= single:
        assert segments == 1
    else:
        # Pairs are never split, so at most one unit per part is wasted.
        assert -(-units // per_part) <= segments <= -(-units // (per_part - 1))
