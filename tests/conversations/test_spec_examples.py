"""Every example of shared/SMS-COMMANDS.md, as a secretary, a member and the board would send it."""

from __future__ import annotations

from datetime import date
from decimal import Decimal
from typing import Any

import pytest
from sqlalchemy import select
from sqlalchemy.orm import Session

from models import refs
from models.clubs import Club, Member
from models.ledger import Loan, Repayment
from models.records import (
    Activity,
    AuditEntry,
    FundContribution,
    HealthReading,
    HelpRequest,
    HomeVisit,
    Meeting,
    Report,
)
from tests.conversations.support import give_loan, member
from tests.conversations.transcript import Conversation

RED_12 = (
    "CANH BAO HA K12: TV12 Member 12 Thi Lan 185/100 ngay 21/11. "
    "Can den tham, dua di kham ngay. Bao: TV1. Xong? XONG K7QA"
)
HELP_12 = (
    "NHO GIUP K12: TV12 Member 12 Thi Lan (0912000012) can nguoi cham soc vi om:"
    " chan dau, can nguoi den nha. Xin den tham som. Xong? XONG M2PX"
)


def next_ref(monkeypatch: pytest.MonkeyPatch, ref: str) -> None:
    """The next reference issued is `ref` (the spec's own "K7QA", "M2PX"), then random again."""
    original = refs.random_ref
    given = iter([ref])
    monkeypatch.setattr(refs, "random_ref", lambda: next(given, None) or original())


@pytest.fixture
def loans(session: Session, club: Club) -> dict[str, Loan]:
    """Member 12 owes 2,000,000 on an old loan and 5,000,000 on a newer one; 15 and 31 owe too."""
    return {
        "12a": give_loan(session, club, 12, 2_000_000, date(2026, 8, 21)),
        "12b": give_loan(session, club, 12, 5_000_000, date(2026, 10, 21)),
        "15": give_loan(session, club, 15, 3_000_000),
        "31": give_loan(session, club, 31, 1_000_000),
    }


def test_examples_that_must_work(
    conv: Conversation,
    session: Session,
    club: Club,
    loans: dict[str, Loan],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    conv.play(
        """
        SEC > DD 21/11 1-12 14 15 20-31
        < OK #{A}: DD 21/11 26 co mat. Sai? HUY {A}
        = attendance 26
        SEC > dd vang 3 7 9
        < OK #{B}: DD 21/11 37 co mat. Sai? HUY {B}
        = attendance 37
        = meetings 1
        """
    )
    next_ref(monkeypatch, "K7QA")
    conv.play(
        """
        SEC > Trả 12 450k
        < OK #K7QA: TRA TV12 450.000d, con no 1.550.000d. Sai? HUY K7QA
        SEC > HUY K7QA
        < OK: da huy #K7QA (TRA TV12 450.000d, con no 1.550.000d).
        SEC > tra12 2tr
        < OK #{C}: TRA TV12 2.000.000d, con no 0d. Sai? HUY {C}
        SEC > TRA 12 200, 15 1tr5, 31 300.000d
        < OK #{D}: TRA 3 khoan 2.000.000d. Sai? HUY {D}
        SEC > HA 12 150/95 M80 CN52, 13 125/80
        < OK #{E}: HA 2 nguoi. Sai? HUY {E}
        MEMBER > ha 150/95
        < OK #{F}: HA TV12 150/95 cao do 1. Sai? HUY {F}
        SEC > VAY 21/11 12 5tr 12T
        < OK #{G}: VAY TV12 5.000.000d 12 thang. Sai? HUY {G}
        SEC > THAM 12 don nha, do HA 140/90
        < OK #{H}: THAM TV12. Sai? HUY {H}
        SEC > MANG 7 30 van nghe mung 20/11
        < OK #{J}: MANG 7 30 nguoi. Sai? HUY {J}
        SEC > GOP 0 2.000.000 UBND xa ho tro
        < OK #{K}: GOP ngoai 2.000.000d. Sai? HUY {K}
        SEC > TV 61 0168 234 5678 Rơ Châm H'Yéo 1952 nu
        < OK #{L}: TV61 Ro Cham H'Yeo. Sai? HUY {L}
        SEC > CLB K12 BC
        < BC K12 {*}
        MEMBER > no
        < Con no{*}
        SEC > SK 12
        < Huyet ap:{*}
        MEMBER > nho chan dau, can nguoi den nha
        < Da bao tinh nguyen vien cham soc va chu nhiem CLB. Se co nguoi lien he voi ban som. #{M}
        CHAIR < NHO GIUP K12: TV12 Member 12 Thi Lan (0912000012) can nguoi cham soc vi om: {*}
        HOMECARE < NHO GIUP K12: TV12 Member 12 Thi Lan (0912000012) can nguoi cham soc vi om: {*}
        MEMBER > NN EN
        < OK: messages will now be in English.
        MEMBER > ha 140/85
        < OK #{N}: BP #12 140/85 high grade 1. Wrong? UNDO {N}
        """
    )
    session.expire_all()
    m12, m15, m31 = (member(session, club, n) for n in (12, 15, 31))

    meeting = session.scalars(select(Meeting)).one()
    assert meeting.held_on == date(2026, 11, 21)
    present = {a.member_id for a in meeting.attendance}
    assert len(present) == 37 and member(session, club, 3).id not in present

    live = session.scalars(select(Repayment).where(Repayment.voided_at.is_(None))).all()
    paid = sorted((r.member_id, r.loan_id, r.amount_vnd) for r in live)
    assert paid == sorted(
        [
            (m12.id, loans["12a"].id, 2_000_000),  # the oldest open loan first
            (m12.id, loans["12b"].id, 200_000),  # then, the first one closed, the next
            (m15.id, loans["15"].id, 1_500_000),
            (m31.id, loans["31"].id, 300_000),
        ]
    )
    voided = session.scalars(select(Repayment).where(Repayment.voided_at.is_not(None))).one()
    assert voided.amount_vnd == 450_000

    readings = session.scalars(select(HealthReading).order_by(HealthReading.id)).all()
    first = readings[0]
    assert (first.member_id, first.systolic, first.diastolic, first.pulse) == (m12.id, 150, 95, 80)
    assert first.weight_kg == Decimal("52") and first.grade == "grade_1"
    assert [(r.member_id, r.systolic) for r in readings[1:]] == [
        (member(session, club, 13).id, 125),
        (m12.id, 150),  # the member's own phone
        (m12.id, 140),
    ]

    new_loan = session.scalars(select(Loan).where(Loan.report_id.is_not(None))).one()
    assert (new_loan.member_id, new_loan.principal_vnd, new_loan.term_months) == (
        m12.id,
        5_000_000,
        12,
    )
    visit = session.scalars(select(HomeVisit)).one()
    assert (
        visit.note == "don nha, do HA 140/90"
        and visit.volunteer_member_id == member(session, club, 1).id
    )
    activity = session.scalars(select(Activity)).one()
    assert (activity.area, activity.people, activity.note) == (7, 30, "van nghe mung 20/11")
    gift = session.scalars(select(FundContribution)).one()
    assert (gift.member_id, gift.amount_vnd, gift.note) == (None, 2_000_000, "UBND xa ho tro")
    newcomer = session.scalars(select(Member).where(Member.number == 61)).one()
    assert (newcomer.full_name, newcomer.phone, newcomer.birth_year, newcomer.sex) == (
        "Rơ Châm H'Yéo",
        "+84382345678",  # 0168 -> 038, last 7 digits kept
        1952,
        "F",
    )
    help_request = session.scalars(select(HelpRequest)).one()
    assert help_request.member_id == m12.id and help_request.note == "chan dau, can nguoi den nha"
    actions = sorted(a.action for a in session.scalars(select(AuditEntry)))
    assert actions == ["add", "cancel", "replace"]
    assert session.scalars(select(Report).where(Report.ref == "K7QA")).one().cancelled_at


def test_reply_examples(
    conv: Conversation,
    session: Session,
    club: Club,
    loans: dict[str, Loan],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """The replies section: errors with an example, the nearest keyword, several commands."""
    conv.play(
        """
        SEC > TRA 12
        < Loi: TRA 12 - thieu so tien. VD: TRA 12 450k
        SEC > HA 12 300/95
        < Loi: HA 12 300/95 - huyet ap ngoai khoang 60-260. Do lai va gui lai
        SEC > TRAA 12 200k
        < Khong hieu "TRAA". Co phai TRA? Soan HD de xem huong dan
        = repayments 0
        = health_readings 0
        = reports 0
        """
    )
    next_ref(monkeypatch, "M2PX")
    conv.play(
        r"""
        SEC > dd vang 3 7\nTRA 12 450k, 15 300k\nHA 12 185/100\nHA 45 150/90
        < OK 3/4 #M2PX: DD 21/11 38 co mat; TRA 2 khoan 750.000d; HA TV12 185/100 cao do 3 (CANH BAO). Loi: HA 45 - khong co TV 45
        HEALTH < CANH BAO HA K12: TV12 Member 12 Thi Lan 185/100 ngay 21/11. Can den tham, dua di kham ngay. Bao: TV1. Xong? XONG M2PX
        CHAIR < CANH BAO HA K12: TV12 Member 12 Thi Lan 185/100 ngay 21/11. Can den tham, dua di kham ngay. Bao: TV1. Xong? XONG M2PX
        = attendance 38
        = repayments 2
        = health_readings 1
        = reports 1
        """  # noqa: E501
    )
    reading = session.scalars(select(HealthReading)).one()
    assert (reading.alert, reading.grade) == ("red", "grade_3")


def test_spec_alert_texts_are_the_ones_sent(
    conv: Conversation, loans: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The module's alert constants match what the transcript above expects."""
    next_ref(monkeypatch, "K7QA")
    outs = conv.send("SEC", "HA 12 185/100")
    assert {o.text for o in outs if o.to != conv.phone("SEC")} == {RED_12}
    next_ref(monkeypatch, "M2PX")
    outs = conv.send("MEMBER", "nho chan dau, can nguoi den nha")
    assert {o.text for o in outs if o.to != conv.phone("MEMBER")} == {HELP_12}
