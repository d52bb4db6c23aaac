"""Member self-service by SMS (NO, SK, QUY, LICH, NHO) and the board's BC.

The answers are rendered by menus/views.py and menus/summaries.py (the USSD and summaries
helpers' code): these transcripts pin what an SMS user gets from them today.
"""

from __future__ import annotations

from datetime import date

import pytest
from sqlalchemy import select
from sqlalchemy.orm import Session

from models.clubs import Club
from models.records import HelpRequest
from tests.conversations.support import give_loan, member
from tests.conversations.transcript import Conversation

DONE_NHO = (
    "Da bao tinh nguyen vien cham soc va chu nhiem CLB. Se co nguoi lien he voi ban som. #{R}"
)


@pytest.fixture
def history(conv: Conversation, session: Session, club: Club) -> Conversation:
    """A month of club life: two meetings, repayments, readings, fund money."""
    give_loan(session, club, 12, 2_000_000, date(2026, 9, 21))
    conv.play(
        """
        SEC > DD 21/10 1-30
        < OK #{*}: DD 21/10 30 co mat. Sai? HUY {*}
        SEC > DD 1-12
        < OK #{*}: DD 21/11 12 co mat. Sai? HUY {*}
        SEC > TRA 20/10 12 200k
        < OK #{*}: TRA TV12 200.000d, con no 1.800.000d. Sai? HUY {*}
        SEC > TRA 12 450k
        < OK #{*}: TRA TV12 450.000d, con no 1.350.000d. Sai? HUY {*}
        SEC > HA 20/10 12 160/100
        < OK #{*}: HA TV12 160/100 cao do 2 (CANH BAO). Sai? HUY {*}
        SEC > HA 12 150/95 M80
        < OK #{*}: HA TV12 150/95 cao do 1. Sai? HUY {*}
        SEC > GOP 12 200k
        < OK #{*}: GOP TV12 200.000d. Sai? HUY {*}
        SEC > GOP 0 2tr
        < OK #{*}: GOP ngoai 2.000.000d. Sai? HUY {*}
        """
    )
    return conv


def test_a_member_asks_about_themself(history: Conversation) -> None:
    history.play(
        r"""
        MEMBER > no
        < Con no: 1.350.000d\nKy toi 21/01: 150.000d\nDa tra: 21/11 450.000d, 20/10 200.000d
        MEMBER > SK
        < Huyet ap:\n21/11 150/95 cao do 1\n20/10 160/100 cao do 2\nDang giam
        MEMBER > QUY
        < Quy CLB: 850.000d\nBan da gop: 200.000d
        MEMBER > LICH
        < Sinh hoat toi: 21/11\nTai: Nha van hoa thon\nNam nay ban du 2/2 buoi.
        MEMBER > QUY 12
        < Quy CLB: 850.000d\nBan da gop: 200.000d
        MEMBER > DEBT
        < Con no: 1.350.000d{*}
        MEMBER > SK 13
        < Loi: SK 13 - chi xem duoc cua minh
        MEMBER > NO 99
        < Loi: NO 99 - khong co TV 99
        MEMBER > NO 0
        < Loi: NO 0 - so thanh vien khong dung. VD: NO 12
        = reports 8
        """
    )


def test_the_board_asks_about_any_member_and_the_club(history: Conversation) -> None:
    history.play(
        r"""
        SEC > NO 12
        < Con no: 1.350.000d{*}
        SEC > NO 13
        < Ban khong co khoan vay nao.
        SEC > SK 13
        < Chua co lan do huyet ap nao.
        SEC > QUY 13
        < Quy CLB: 850.000d\nBan da gop: 0d
        SEC > BC
        < BC K12 01/11-21/11: hop 21/11 co mat 12/40; thu no 450.000d (1 lan); khong no qua han; do HA 1; mang 1,2 (2/8).
        CHAIR > CLB K12 BC
        < BC K12 01/11-21/11: {*}
        SEC > BC K12
        < BC K12 01/11-21/11: {*}
        HEALTH > BC
        < Loi: BC - ban khong co quyen gui lenh nay
        MEMBER > BC
        < Loi: BC - ban khong co quyen gui lenh nay
        """  # noqa: E501
    )


def test_a_shared_phone_says_whose(history: Conversation) -> None:
    history.play(
        r"""
        SHARED > QUY
        < So nay dung chung: 20 Lan, 21 Lan. Soan QUY <so the>, VD: QUY 20
        SHARED > NO
        < So nay dung chung: 20 Lan, 21 Lan. Soan NO <so the>, VD: NO 20
        SHARED > NO 20
        < Ban khong co khoan vay nao.
        SHARED > SK 21
        < Chua co lan do huyet ap nao.
        SHARED > NO 12
        < Loi: NO 12 - chi xem duoc cua minh
        SHARED > LICH
        < Sinh hoat toi: 21/11\nTai: Nha van hoa thon\nNam nay ban du 1/2 buoi.
        """
    )


def test_help_requests_reach_homecare_volunteers_and_chair_at_once(
    conv: Conversation, session: Session, club: Club
) -> None:
    conv.play(
        f"""
        MEMBER > nho chan dau, can nguoi den nha
        < {DONE_NHO}
        CHAIR < NHO GIUP K12: TV12 Member 12 Thi Lan (0912000012) can nguoi cham soc vi om: chan dau, can nguoi den nha. Xin den tham som. Xong? XONG {{R}}
        HOMECARE < NHO GIUP K12: TV12 Member 12 Thi Lan (0912000012) can nguoi cham soc vi om: chan dau, can nguoi den nha. Xin den tham som. Xong? XONG {{R}}
        MEMBER > NHO giup viec nha
        < {DONE_NHO.replace("{R}", "{S}")}
        CHAIR < NHO GIUP K12: TV12 Member 12 Thi Lan (0912000012) can giup viec nha: giup viec nha. Xin den tham som. Xong? XONG {{S}}
        HOMECARE < NHO GIUP K12: TV12 Member 12 Thi Lan (0912000012) can giup viec nha: giup viec nha. Xin den tham som. Xong? XONG {{S}}
        MEMBER > nho
        < {DONE_NHO.replace("{R}", "{T}")}
        CHAIR < NHO GIUP K12: TV12 Member 12 Thi Lan (0912000012) can giup do. Xin den tham som. Xong? XONG {{T}}
        HOMECARE < NHO GIUP K12: TV12 Member 12 Thi Lan (0912000012) can giup do. Xin den tham som. Xong? XONG {{T}}
        # the volunteer asking for herself is not told twice
        HOMECARE > nho ba ngoai om
        < {DONE_NHO.replace("{R}", "{U}")}
        CHAIR < NHO GIUP K12: TV4 Siu Thuan (0912000004) can nguoi cham soc vi om: ba ngoai om. Xin den tham som. Xong? XONG {{U}}
        # a help request can be cancelled like any report
        MEMBER > HUY {{T}}
        < OK: da huy #{{T}} (NHO TV12).
        = help_requests 4
        """  # noqa: E501
    )
    kinds = session.scalars(select(HelpRequest.kind).order_by(HelpRequest.id)).all()
    assert kinds == ["ill", "housework", "other", "ill"]
    voided = session.scalars(select(HelpRequest).where(HelpRequest.voided_at.is_not(None))).one()
    assert voided.member_id == member(session, club, 12).id and voided.note is None
