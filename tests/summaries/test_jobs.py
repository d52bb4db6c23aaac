"""The scheduled jobs: who gets what, once per period, handed to the console channel."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta

import pytest
import time_machine
from croniter import croniter
from sqlalchemy import func, select

from models.enums import MemberStatus, OutboundKind, OutboundStatus
from models.messages import JobRun, OutboundMessage
from runtime.channels.console import ConsoleChannel
from tests.factories import CHAIR_PHONE, MEMBER_PHONE, SHARED_PHONE, make_board_club
from tests.summaries import builders as b
from tests.summaries.conftest import (
    SUP_EN_PHONE,
    SUP_IDLE_PHONE,
    SUP_PHONE,
    SUP_PROVINCE_PHONE,
    Area,
)
from workers import summaries as jobs
from workers.schedule import ENTRIES

OTHER_SECRETARY = "+84913000001"  # make_board_club's secretary for clubs other than K12
OTHER_CHAIR = "+84913000002"


def outbound(session, kind: OutboundKind | None = None) -> list[OutboundMessage]:
    session.expire_all()
    q = select(OutboundMessage).order_by(OutboundMessage.id)
    if kind is not None:
        q = q.where(OutboundMessage.kind == kind.value)
    return list(session.scalars(q))


def by_phone(rows: list[OutboundMessage]) -> dict[str, list[str]]:
    out: dict[str, list[str]] = {}
    for r in rows:
        out.setdefault(r.to, []).append(r.text)
    return out


@time_machine.travel("2026-11-30 07:30:00+07:00", tick=False)
def test_weekly_summary_once_per_week_through_the_channel(session, area: Area, rt, run_jobs):
    console = ConsoleChannel()
    rt.set_channel(console)

    assert jobs.weekly_supervisor_summaries() == 3

    rows = outbound(session, OutboundKind.SUMMARY)
    texts = by_phone(rows)
    assert set(texts) == {SUP_PHONE, SUP_EN_PHONE, SUP_PROVINCE_PHONE}  # not the inactive one
    assert SUP_IDLE_PHONE not in texts
    assert texts[SUP_PHONE] == [
        "Diem Tua 30/10-29/11: 4 CLB, 3 co BC, 1 im lang; co mat 80%; thu no 600.000d; "
        "qua han 2 khoan 1.500.000d; bao dong do 4; du 8 mang 1/4; "
        "nho giup qua 48 gio: K12 TV32. Can xem: K07 K03 K12 K20"
    ]
    assert texts[SUP_EN_PHONE][0].startswith("Diem Tua 30/10-29/11: 1 club, 1 reported")
    assert "help asked over 48 h ago: member 32 of K12" in texts[SUP_EN_PHONE][0]
    assert texts[SUP_PROVINCE_PHONE] == texts[SUP_PHONE]  # vi_dau, too long with accents
    assert {r.language for r in rows} == {"vi", "en", "vi_dau"}
    assert all(r.dedupe_key.startswith("sum.weekly:2026-W49:sup") for r in rows)
    run = session.get(JobRun, "sum.weekly:2026-W49")
    assert run is not None and run.finished_at is not None

    # Run again the same day, and replayed later in the week: nothing more.
    assert jobs.weekly_supervisor_summaries() == 0
    assert jobs.weekly_supervisor_summaries("2026-12-02") == 0
    assert len(outbound(session)) == 3

    run_jobs()
    assert sorted(m["to"] for m in console.outbox) == sorted(texts)
    assert all(r.status == OutboundStatus.ACCEPTED for r in outbound(session))
    sent = {m["to"]: m for m in console.outbox}
    assert sent[SUP_PROVINCE_PHONE]["encoding"] == "GSM-7"
    assert sent[SUP_PHONE]["segments"] == 2  # the open help request named takes a second part

    # The next week is a new period.
    assert jobs.weekly_supervisor_summaries("2026-12-07") == 3


def test_monthly_report_to_each_chair(session, area: Area, rt, run_jobs):
    console = ConsoleChannel()
    rt.set_channel(console)

    assert jobs.monthly_club_reports("2026-12-01") == 4
    rows = outbound(session, OutboundKind.SUMMARY)
    k12 = next(r for r in rows if r.club_id == area.k12.id)
    assert k12.to == CHAIR_PHONE
    assert k12.text == (
        "BC K12 thang 11/2026: hop 21/11 co mat 30/40; thu no 600.000d (2 lan); "
        "khong no qua han; do HA 11; bao dong do 1 (1 TV); du 8 mang; tham nha 2; nho giup cho 1."
    )
    k07 = next(r for r in rows if r.club_id == area.k07.id)
    assert k07.to == OTHER_CHAIR
    assert k07.text.startswith("BC K07 thang 11/2026: chua bao cao gi, lan cuoi 21/09; qua han 1")
    assert jobs.monthly_club_reports("2026-12-15") == 0

    run_jobs()
    assert len(console.outbox) == 4


def test_monthly_report_falls_back_to_the_secretary(session, rt):
    club = make_board_club(session, "K12", members=5)
    club.created_at = datetime(2026, 1, 1, tzinfo=UTC)
    chair = b.member(session, club, 2)
    chair.status = MemberStatus.LEFT
    session.flush()

    assert jobs.monthly_club_reports("2026-12-01") == 1
    [row] = outbound(session)
    assert row.to == "+84912000001"  # the secretary, no vice-chair in this club


def _reminder_club(session):
    club = make_board_club(session, "K12", members=25)
    # Member 12 is a month behind; the instalment of 30/11 (a 31st, clamped) is still open.
    late = b.loan(session, club, 12, 600_000, date(2026, 8, 31), term=6)
    b.repay(session, late, 100_000, date(2026, 9, 30))
    # Member 21 (a phone shared with 20) is on time.
    on_time = b.loan(session, club, 21, 1_200_000, date(2026, 7, 30), term=12)
    for due in (date(2026, 8, 30), date(2026, 9, 30), date(2026, 10, 30)):
        b.repay(session, on_time, 100_000, due)
    # Member 20 has paid everything in advance; member 5 has no phone.
    ahead = b.loan(session, club, 20, 300_000, date(2026, 10, 30), term=3)
    b.repay(session, ahead, 300_000, date(2026, 11, 2))
    b.loan(session, club, 5, 600_000, date(2026, 8, 31), term=6)
    # A voided loan never reminds; another day of the month is not due on the 30th.
    voided = b.loan(session, club, 12, 900_000, date(2026, 8, 30), term=3)
    voided.voided_at = datetime(2026, 9, 1, tzinfo=UTC)
    b.loan(session, club, 12, 900_000, date(2026, 8, 29), term=3)
    session.flush()
    return club


def test_instalment_reminders_three_days_ahead(session, rt, run_jobs):
    console = ConsoleChannel()
    rt.set_channel(console)
    _reminder_club(session)

    assert jobs.instalment_reminders("2026-11-27") == 2
    texts = by_phone(outbound(session, OutboundKind.REMINDER))
    assert texts == {
        MEMBER_PHONE: [
            "Diem Tua: Member 12 Thi Lan (TV 12, CLB K12) den han tra no ngay 30/11: "
            "100.000d. Con qua han 100.000d."
        ],
        SHARED_PHONE: [
            "Diem Tua: Member 21 Thi Lan (TV 21, CLB K12) den han tra no ngay 30/11: 100.000d."
        ],
    }
    assert jobs.instalment_reminders("2026-11-27") == 0
    assert jobs.instalment_reminders("2026-11-26") == 1  # 29/11: the loan disbursed on 29/08
    run_jobs()
    assert len(console.outbox) == 3


def test_meeting_reminders_one_sms_per_phone(session, rt, run_jobs):
    console = ConsoleChannel()
    rt.set_channel(console)
    club = make_board_club(session, "K12", members=25)
    for n in (12, 13, 20, 21):
        b.member(session, club, n).wants_meeting_reminder = True
    b.member(session, club, 12).language = "en"
    other = make_board_club(session, "K05", members=5)
    other.meeting_day = 22
    b.member(session, other, 1).wants_meeting_reminder = True
    session.flush()

    with time_machine.travel("2026-11-20 08:10:00+07:00", tick=False):
        assert jobs.meeting_reminders() == 2
        assert jobs.meeting_reminders() == 0
    texts = by_phone(outbound(session, OutboundKind.REMINDER))
    assert texts == {
        MEMBER_PHONE: [
            "Diem Tua: club K12 meets tomorrow 21/11 at Nha van hoa thon. You are welcome to come."
        ],
        SHARED_PHONE: [
            "Diem Tua: CLB K12 hop ngay mai 21/11 tai Nha van hoa thon. Moi ong/ba den du."
        ],
    }
    assert jobs.meeting_reminders("2026-11-21") == 1  # K05 meets on the 22nd
    run_jobs()
    assert len(console.outbox) == 3


def test_silent_club_nudged_three_days_after_its_meeting(session, area: Area, rt, run_jobs):
    console = ConsoleChannel()
    rt.set_channel(console)
    early = make_board_club(session, "K55", members=5)
    early.created_at = datetime(2026, 1, 1, tzinfo=UTC)
    b.meeting(session, early, date(2026, 11, 19), [1, 2, 3])  # met two days early
    session.flush()

    assert jobs.silent_club_nudges("2026-11-23") == 0  # two days after: not yet
    assert jobs.silent_club_nudges("2026-11-24") == 1
    [row] = outbound(session, OutboundKind.REMINDER)
    assert (row.to, row.club_id) == (OTHER_SECRETARY, area.k07.id)
    assert row.text.startswith("Diem Tua: CLB K07 chua gui bao cao buoi hop 21/11.")
    assert jobs.silent_club_nudges("2026-11-24") == 0

    run_jobs()
    assert [m["to"] for m in console.outbox] == [OTHER_SECRETARY]


def test_a_failed_run_leaves_the_period_open(session, area: Area, rt, monkeypatch):
    def boom(*_a, **_k):
        raise RuntimeError("render failed")

    monkeypatch.setattr(jobs, "render_area", boom)
    with pytest.raises(RuntimeError):
        jobs.weekly_supervisor_summaries("2026-11-30")
    assert session.get(JobRun, "sum.weekly:2026-W49") is None
    assert session.scalar(select(func.count()).select_from(OutboundMessage)) == 0
    monkeypatch.undo()
    assert jobs.weekly_supervisor_summaries("2026-11-30") == 3


def test_schedule_entries_in_vietnam_daytime() -> None:
    mine = {e.func.rpartition(".")[2]: e for e in ENTRIES if e.func.startswith("workers.summ")}
    assert set(mine) == {
        "weekly_supervisor_summaries",
        "monthly_club_reports",
        "instalment_reminders",
        "meeting_reminders",
        "silent_club_nudges",
    }
    base = datetime(2026, 11, 28, 23, 0)  # naive local time, as RQ cron reads it (TZ set)
    for name, entry in mine.items():
        assert entry.cron is not None and hasattr(jobs, name)
        it = croniter(entry.cron, base)
        for _ in range(40):
            fire = it.get_next(datetime)
            assert 7 <= fire.hour < 21, (name, fire)
            if name.startswith("weekly"):
                assert fire.weekday() == 0
            if name.startswith("monthly"):
                assert fire.day == 1
    assert croniter(mine["instalment_reminders"].cron, base).get_next(datetime) - base < (
        timedelta(days=1)
    )
