"""HUY: cancelling a report by the reference in its reply, and every way that can go wrong."""

from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.orm import Session

from models.clubs import Club
from models.ledger import Loan, Repayment
from models.records import AuditEntry, HealthReading, Meeting, Report
from tests.conversations.support import give_loan
from tests.conversations.transcript import Conversation
from tests.factories import make_board_club


def test_own_report_then_twice_then_unknown(
    conv: Conversation, session: Session, club: Club
) -> None:
    give_loan(session, club, 12)
    conv.play(
        """
        SEC > TRA 12 450k
        < OK #{A}: TRA TV12 450.000d, con no 1.550.000d. Sai? HUY {A}
        SEC > HUY {A}
        < OK: da huy #{A} (TRA TV12 450.000d, con no 1.550.000d).
        # the balance is back: the next repayment sees it
        SEC > TRA 12 400k
        < OK #{B}: TRA TV12 400.000d, con no 1.600.000d. Sai? HUY {B}
        SEC > huy {A}
        < Loi: HUY - ma {A} da huy roi
        SEC > HUY ZZZZ
        < Loi: HUY - khong co ma ZZZZ
        SEC > HUY #{B}
        < OK: da huy #{B} (TRA TV12 400.000d, con no 1.600.000d).
        SEC > UNDO K7Q
        < Loi: HUY K7Q - ma co 4 ky tu, nhu trong tin tra loi. VD: HUY K7QA
        SEC > HUY
        < Loi: HUY - thieu ma bao cao. VD: HUY K7QA
        = repayments 2
        """
    )
    assert all(r.voided_at for r in session.scalars(select(Repayment)))
    cancels = session.scalars(select(AuditEntry).where(AuditEntry.action == "cancel")).all()
    assert [c.detail for c in cancels] == ["repayments=1", "repayments=1"]
    assert {r.cancelled_by_phone for r in session.scalars(select(Report))} == {conv.phone("SEC")}


def test_board_may_cancel_anyones_report_others_only_their_own(conv: Conversation) -> None:
    conv.play(
        """
        HEALTH > HA 12 150/95
        < OK #{A}: HA TV12 150/95 cao do 1. Sai? HUY {A}
        MEMBER > ha 140/90
        < OK #{B}: HA TV12 140/90 cao do 1. Sai? HUY {B}
        SEC > THAM 13
        < OK #{C}: THAM TV13. Sai? HUY {C}
        # a member and a volunteer cannot cancel what someone else sent
        MEMBER > HUY {A}
        < Loi: HUY - ma {A} khong phai ban gui
        HOMECARE > HUY {C}
        < Loi: HUY - ma {C} khong phai ban gui
        HEALTH > HUY {B}
        < Loi: HUY - ma {B} khong phai ban gui
        # their own, yes
        MEMBER > HUY {B}
        < OK: da huy #{B} (HA TV12 140/90 cao do 1).
        # the board, anyone's
        CHAIR > HUY {A}
        < OK: da huy #{A} (HA TV12 150/95 cao do 1).
        CHAIR > HUY {C}
        < OK: da huy #{C} (THAM TV13).
        = audit_log 3
        """
    )
    assert conv.count("health_readings") == 2
    assert conv.count("reports") == 3


def test_too_old_to_cancel(conv: Conversation, session: Session) -> None:
    conv.play(
        """
        SEC > MANG 7 30 van nghe
        < OK #{A}: MANG 7 30 nguoi. Sai? HUY {A}
        SEC > MANG 2 12
        < OK #{B}: MANG 2 12 nguoi. Sai? HUY {B}
        @ +29d
        SEC > HUY {B}
        < OK: da huy #{B} (MANG 2 12 nguoi).
        @ +2d
        SEC > HUY {A}
        < Loi: HUY - ma {A} qua 30 ngay, khong huy duoc
        """
    )
    assert conv.count("activities") == 2


def test_cancelling_a_multi_command_report_voids_all_of_it(
    conv: Conversation, session: Session, club: Club
) -> None:
    give_loan(session, club, 12)
    conv.play(
        r"""
        SEC > DD vang 5\nTRA 12 200k\nHA 13 185/100\nGOP 0 500k
        < OK 4/4 #{A}: DD 21/11 39 co mat; TRA TV12 200.000d, con no 1.800.000d; HA TV13 185/100 cao do 3 (CANH BAO); GOP ngoai 500.000d
        HEALTH < CANH BAO HA K12: TV13 {*}
        CHAIR < CANH BAO HA K12: TV13 {*}
        = attendance 39
        SEC > HUY {A}
        < OK: da huy #{A} (DD 21/11 39 co mat; TRA TV12 200.000d, con no 1.800.000d; HA TV13 185/100 cao do).
        = attendance 0
        SEC > TRA 12 100k
        < OK #{B}: TRA TV12 100.000d, con no 1.900.000d. Sai? HUY {B}
        """  # noqa: E501
    )
    meeting = session.scalars(select(Meeting)).one()
    assert meeting.voided_at is not None and meeting.attendance == []
    assert session.scalars(select(HealthReading)).one().voided_at is not None
    cancel = session.scalars(select(AuditEntry).where(AuditEntry.action == "cancel")).one()
    assert cancel.detail == "fund_contributions=1, health_readings=1, meetings=1, repayments=1"


def test_a_loan_with_later_repayments_cannot_be_cancelled_before_them(
    conv: Conversation, session: Session
) -> None:
    conv.play(
        """
        SEC > VAY 12 2tr 10
        < OK #{A}: VAY TV12 2.000.000d 10 thang. Sai? HUY {A}
        SEC > TRA 12 200k
        < OK #{B}: TRA TV12 200.000d, con no 1.800.000d. Sai? HUY {B}
        SEC > HUY {A}
        < Loi: HUY - khoan vay da co tra no, huy cac lan tra truoc
        SEC > HUY {B}
        < OK: da huy #{B} (TRA TV12 200.000d, con no 1.800.000d).
        SEC > HUY {A}
        < OK: da huy #{A} (VAY TV12 2.000.000d 10 thang).
        SEC > TRA 12 200k
        < Loi: TRA 12 - TV 12 khong co khoan vay nao con no
        """
    )
    assert session.scalars(select(Loan)).one().voided_at is not None


def test_member_changes_are_not_undone(conv: Conversation, session: Session) -> None:
    conv.play(
        """
        SEC > TV 61 0912345678 Lo Thi Mai 1952 nu
        < OK #{A}: TV61 Lo Thi Mai. Sai? HUY {A}
        SEC > HUY {A}
        < OK: da huy #{A} (TV61 Lo Thi Mai). Thay doi TV khong huy duoc, gui lai TV de sua.
        # a report that only mentions members ("TRA TV12") has no such note
        SEC > THAM 12
        < OK #{B}: THAM TV12. Sai? HUY {B}
        SEC > HUY {B}
        < OK: da huy #{B} (THAM TV12).
        """
    )


def test_another_clubs_reference_is_unknown(conv: Conversation, session: Session) -> None:
    make_board_club(session, "K13", members=12)
    conv.play(
        """
        SEC > THAM 12
        < OK #{A}: THAM TV12. Sai? HUY {A}
        K13SEC > HUY {A}
        < Loi: HUY - khong co ma {A}
        = home_visits 1
        """
    )
    assert conv.count("audit_log") == 0
