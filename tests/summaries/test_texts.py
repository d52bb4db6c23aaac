"""The summary and reminder texts: exact wording, one SMS when it fits, two at most."""

from __future__ import annotations

import tomllib
from dataclasses import replace
from datetime import date
from pathlib import Path
from string import Formatter

import pytest

from menus.encoding import count_segments, is_gsm7
from menus.i18n import CATALOG_DIR
from menus.summaries import (
    format_period,
    render_area,
    render_bc,
    render_instalment_reminder,
    render_meeting_reminder,
    render_nudge,
)
from menus.text import strip_accents
from models.stats import AreaMonth, ClubMonth, area_month_summary, club_month_summary
from tests.summaries.conftest import TODAY, Area

LANGS = ("vi", "vi_dau", "en")
START = date(2026, 11, 1)


def club(code: str = "K12", **kw: object) -> ClubMonth:
    base = ClubMonth(
        club_id=1,
        code=code,
        name=f"CLB {code}",
        language="vi",
        period_start=START,
        period_end=TODAY,
        reported=True,
        last_report_on=TODAY,
        meetings=1,
        meeting_on=date(2026, 11, 21),
        present=35,
        active_members=58,
        repaid_vnd=4_500_000,
        repayments=9,
        overdue_loans=0,
        overdue_vnd=0,
        readings=30,
        red_alerts=0,
        red_members=0,
        areas=(1, 2, 3, 7),
        home_visits=12,
        open_help=0,
    )
    return replace(base, **kw)


def silent(code: str, **kw: object) -> ClubMonth:
    return club(
        code,
        reported=False,
        last_report_on=date(2026, 9, 21),
        meetings=0,
        meeting_on=None,
        present=0,
        repaid_vnd=0,
        repayments=0,
        readings=0,
        areas=(),
        home_visits=0,
        **kw,
    )


def _flat(table: dict, prefix: str = "") -> dict[str, str]:
    out: dict[str, str] = {}
    for k, v in table.items():
        out |= _flat(v, f"{prefix}{k}.") if isinstance(v, dict) else {f"{prefix}{k}": v}
    return out


def _fields(text: str) -> set[str]:
    return {name for _, name, _, _ in Formatter().parse(text) if name}


def test_catalogs_have_the_same_keys_and_placeholders() -> None:
    texts = {
        lang: _flat(tomllib.loads((CATALOG_DIR / lang / "summaries.toml").read_text()))
        for lang in ("vi_dau", "en")
    }
    assert texts["vi_dau"].keys() == texts["en"].keys()
    for key, source in texts["vi_dau"].items():
        assert key.startswith("sum.")
        assert _fields(source) == _fields(texts["en"][key]), key
        assert is_gsm7(strip_accents(source)) and is_gsm7(texts["en"][key]), key


def test_bc_text_vi_and_en() -> None:
    s = club(overdue_loans=2, overdue_vnd=1_200_000, red_alerts=2, red_members=2)
    assert render_bc(s, "vi") == (
        "BC K12 01/11-28/11: hop 21/11 co mat 35/58; thu no 4.500.000d (9 lan); "
        "qua han 2 khoan 1.200.000d; do HA 30; bao dong do 2 (2 TV); mang 1,2,3,7 (4/8); "
        "tham nha 12."
    )
    assert render_bc(s, "en") == (
        "REPORT K12 01/11-28/11: met 21/11, 35/58 present; repaid 4.500.000d (9x); "
        "overdue 2 loans 1.200.000d; 30 BP readings; red alerts 2 (2 members); "
        "areas 1,2,3,7 (4/8); home visits 12."
    )


def test_bc_quiet_month_is_one_sms() -> None:
    s = club(repaid_vnd=0, repayments=0, readings=0, areas=tuple(range(1, 9)), home_visits=0)
    text = render_bc(s, "vi")
    assert text == (
        "BC K12 01/11-28/11: hop 21/11 co mat 35/58; chua thu no; khong no qua han; du 8 mang."
    )
    assert count_segments(text)[1] == 1


def test_bc_silent_club() -> None:
    s = silent("K07", overdue_loans=1, overdue_vnd=1_000_000, open_help=1)
    assert render_bc(s, "vi") == (
        "BC K07 01/11-28/11: chua bao cao gi, lan cuoi 21/09; qua han 1 khoan 1.000.000d; "
        "nho giup cho 1."
    )
    assert render_bc(replace(s, last_report_on=None, overdue_loans=0, open_help=0), "en") == (
        "REPORT K07 01/11-28/11: nothing reported."
    )


def test_bc_whole_month_and_year_change() -> None:
    s = club(
        period_start=date(2026, 10, 1), period_end=date(2026, 10, 31), meeting_on=date(2026, 10, 21)
    )
    assert render_bc(s, "vi").startswith("BC K12 thang 10/2026: hop 21/10 ")
    assert render_bc(s, "vi_dau").startswith("BC K12 tháng 10/2026: họp 21/10 ")
    assert format_period("vi", date(2025, 12, 30), date(2026, 1, 29)) == "30/12/2025-29/01"


@pytest.mark.parametrize("lang", LANGS)
def test_bc_at_most_two_sms_even_when_crowded(lang: str) -> None:
    s = club(
        code="KONTUM01",
        overdue_loans=12,
        overdue_vnd=123_456_789_0,
        red_alerts=11,
        red_members=10,
        open_help=7,
        repaid_vnd=98_765_432_1,
        repayments=99,
    )
    text = render_bc(s, lang)
    assert count_segments(text)[1] <= 2
    assert "KONTUM01" in text and "1.234.567.890d" in text  # overdue is never dropped


def test_area_text_on_the_four_clubs(session, area: Area) -> None:
    a = area_month_summary(session, area.sup.id, TODAY)
    text = render_area(a, "vi")
    assert text == (
        "Diem Tua 01/11-28/11: 4 CLB, 3 co BC, 1 im lang; co mat 80%; thu no 600.000d; "
        "qua han 2 khoan 1.500.000d; bao dong do 4; du 8 mang 1/4. Can xem: K07 K03 K12 K20"
    )
    assert count_segments(text) == ("GSM-7", 1, len(text))
    assert render_area(a, "en") == (
        "Diem Tua 01/11-28/11: 4 clubs, 3 reported, 1 silent; attendance 80%; repaid 600.000d; "
        "overdue 2 loans 1.500.000d; red alerts 4; all 8 areas 1/4. Check: K07 K03 K12 K20"
    )
    # With accents it would not fit two UCS-2 parts: it goes whole, without them, in one SMS.
    assert render_area(a, "vi_dau") == text
    small = area_month_summary(session, area.sup_en.id, TODAY)
    accented = render_area(small, "vi_dau")
    assert accented == (
        "Điểm Tựa 01/11-28/11: 1 CLB, 1 có BC, 0 im lặng; có mặt 75%; thu nợ 600.000d; "
        "báo động đỏ 1; đủ 8 mảng 1/1. Cần xem: K12"
    )
    assert count_segments(accented)[:2] == ("UCS-2", 2)


def test_bc_on_the_area_club(session, area: Area) -> None:
    text = render_bc(club_month_summary(session, area.k12.id, TODAY), "vi")
    assert text == (
        "BC K12 01/11-28/11: hop 21/11 co mat 30/40; thu no 600.000d (2 lan); "
        "khong no qua han; do HA 11; bao dong do 1 (1 TV); du 8 mang; tham nha 2; nho giup cho 1."
    )


def _area(clubs: list[ClubMonth]) -> AreaMonth:
    return AreaMonth.build(7, START, TODAY, clubs)


@pytest.mark.parametrize("lang", LANGS)
def test_big_area_names_the_weakest_first_within_two_sms(lang: str) -> None:
    clubs = [silent(f"Q{n:03d}") for n in range(40)]
    clubs += [club(f"R{n:03d}", red_alerts=1, red_members=1) for n in range(40)]
    clubs += [club(f"G{n:03d}") for n in range(100)]
    text = render_area(_area(clubs), lang)

    assert count_segments(text)[1] == 2
    assert text.count("; ") == 4  # every figure kept: clubs, attendance, repaid, red, all-8
    listed = text.rsplit(":", 1)[1].split()
    assert listed[0] == "Q000" and listed[-1].startswith("+")
    assert int(listed[-1][1:]) + len(listed) - 1 == 80  # every club needing a look, counted
    assert not any(code.startswith("G") for code in listed)


def test_small_area_is_one_sms_without_a_list_when_all_is_well() -> None:
    text = render_area(_area([club("K01"), club("K02")]), "vi")
    assert text == (
        "Diem Tua 01/11-28/11: 2 CLB, 2 co BC, 0 im lang; co mat 60%; thu no 9.000.000d; "
        "du 8 mang 0/2."
    )


def test_empty_area_text() -> None:
    assert render_area(_area([]), "vi") == "Diem Tua: chua co CLB nao trong vung phu trach."


@pytest.mark.parametrize("lang", LANGS)
def test_reminders_fit_one_sms_in_plain_languages(lang: str) -> None:
    texts = [
        render_instalment_reminder(
            lang,
            name="Rơ Châm H'Yéo",
            number=12,
            club_code="K12",
            due_on=date(2026, 11, 30),
            amount=450_000,
            overdue=900_000,
            today=date(2026, 11, 27),
        ),
        render_meeting_reminder(
            lang,
            club_code="K12",
            meeting_on=date(2026, 11, 21),
            place="Nha van hoa thon",
            today=date(2026, 11, 20),
        ),
        render_nudge(
            lang, club_code="K12", meeting_on=date(2026, 11, 21), today=date(2026, 11, 24)
        ),
    ]
    for text in texts:
        if lang == "vi":
            assert count_segments(text)[:2] == ("GSM-7", 1), text
        else:
            assert count_segments(text)[1] <= 3, text


def test_reminder_wording() -> None:
    assert (
        render_instalment_reminder(
            "vi",
            name="Rơ Châm H'Yéo",
            number=12,
            club_code="K12",
            due_on=date(2026, 11, 30),
            amount=450_000,
            overdue=0,
            today=date(2026, 11, 27),
        )
        == "Diem Tua: Ro Cham H'Yeo (TV 12, CLB K12) den han tra no ngay 30/11: 450.000d."
    )
    assert (
        render_meeting_reminder(
            "en", club_code="K12", meeting_on=date(2026, 11, 21), place=None, today=TODAY
        )
        == "Diem Tua: club K12 meets tomorrow 21/11. You are welcome to come."
    )
    assert render_nudge("vi", club_code="K12", meeting_on=date(2026, 11, 21), today=TODAY) == (
        "Diem Tua: CLB K12 chua gui bao cao buoi hop 21/11. Gui diem danh, VD: DD 21/11 1-12 14. "
        "Soan HD de xem huong dan."
    )


def test_catalog_files_exist() -> None:
    for lang in ("vi_dau", "en"):
        assert Path(CATALOG_DIR / lang / "summaries.toml").is_file()
