"""Blood-pressure grades and alert levels as docs/DOMAIN.md gives them (adults, Vietnam)."""

from __future__ import annotations

from models.enums import AlertLevel, BPGrade

_ORDER = [
    BPGrade.OPTIMAL,
    BPGrade.NORMAL,
    BPGrade.HIGH_NORMAL,
    BPGrade.GRADE_1,
    BPGrade.GRADE_2,
    BPGrade.GRADE_3,
]


def _band(systolic: int, diastolic: int) -> BPGrade:
    def s_band(s: int) -> int:
        return (
            0
            if s < 120
            else 1
            if s < 130
            else 2
            if s < 140
            else 3
            if s < 160
            else 4
            if s < 180
            else 5
        )

    def d_band(d: int) -> int:
        return (
            0 if d < 80 else 1 if d < 85 else 2 if d < 90 else 3 if d < 100 else 4 if d < 110 else 5
        )

    return _ORDER[max(s_band(systolic), d_band(diastolic))]


def grade_bp(systolic: int, diastolic: int) -> BPGrade:
    """The higher of the systolic and diastolic grades; low below 90/60."""
    if systolic < 90 or diastolic < 60:
        high = _band(systolic, diastolic)
        # A low reading with one high component is still graded by the high one.
        return high if high in (BPGrade.GRADE_1, BPGrade.GRADE_2, BPGrade.GRADE_3) else BPGrade.LOW
    return _band(systolic, diastolic)


def bp_alert(systolic: int, diastolic: int) -> AlertLevel:
    """Red: >=180 or >=110, or systolic <90. Amber: >=160 or >=100."""
    if systolic >= 180 or diastolic >= 110 or systolic < 90:
        return AlertLevel.RED
    if systolic >= 160 or diastolic >= 100:
        return AlertLevel.AMBER
    return AlertLevel.NONE


def grade_rank(grade: BPGrade) -> int:
    """Order for "up or down" comparisons; low counts as its own concern, ranked apart."""
    return -1 if grade == BPGrade.LOW else _ORDER.index(grade)
