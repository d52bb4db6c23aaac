"""XONG <ref>: a volunteer closes, by SMS, the red alert or help request whose alert SMS carried the
reference; the member who asked is told, the console sees it closed (models.console.close_alert,
the console's own rule), and every way it can go wrong has its reply."""

from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.orm import Session

from models.admin import add_supervisor
from models.clubs import Club
from models.console import AlertHandling
from models.enums import RequestStatus
from models.records import HelpRequest
from tests.conversations.support import member
from tests.conversations.transcript import Conversation
from tests.factories import make_board_club

HELP_ALERT = (
    "NHO GIUP K12: TV12 Member 12 Thi Lan (0912000012) can nguoi cham soc vi om: chan dau,"
    " can nguoi den nha. Xin den tham som. Xong? XONG {A}"
)
NHO_DONE = (
    "Da bao tinh nguyen vien cham soc va chu nhiem CLB. Se co nguoi lien he voi ban som. #{A}"
)
RED = (
    "CANH BAO HA K12: TV{n} Member {n} Thi Lan {bp} ngay 21/11. Can den tham, dua di kham ngay."
    " Bao: TV1. Xong? XONG {{{ref}}}"
)


def test_a_homecare_volunteer_closes_a_help_request_and_the_member_is_told(
    conv: Conversation, session: Session, club: Club
) -> None:
    conv.play(
        f"""
        MEMBER > nho chan dau, can nguoi den nha
        < {NHO_DONE}
        CHAIR < {HELP_ALERT}
        HOMECARE < {HELP_ALERT}
        HOMECARE > XONG {{A}} da den, dua di kham
        < OK: da xong nho giup cua TV12 #{{A}}. Da nhan tin bao TV12.
        MEMBER < CLB K12: yeu cau giup do #{{A}} cua TV12 da duoc giai quyet. Cam on ban da bao.
        = alert_handlings 1
        # the chair, a minute later: who closed it and when
        CHAIR > xong {{A}}
        < Loi: XONG - ma {{A}} da xong roi: Siu Thuan (TV4), 21/11 09:02
        = alert_handlings 1
        """
    )
    request = session.scalars(select(HelpRequest)).one()
    assert request.status == RequestStatus.DONE
    handling = session.scalars(select(AlertHandling)).one()
    assert (handling.kind, handling.help_request_id) == ("help", request.id)
    assert (handling.handled_by, handling.note) == ("Siu Thuan (TV4)", "da den, dua di kham")
    assert handling.outcome == "came" and handling.outbound_id is not None


def test_a_health_volunteer_closes_a_red_alert(
    conv: Conversation, session: Session, club: Club
) -> None:
    conv.play(
        f"""
        SEC > HA 14 185/100
        < OK #{{A}}: HA TV14 185/100 cao do 3 (CANH BAO). Sai? HUY {{A}}
        HEALTH < {RED.format(n=14, bp="185/100", ref="A")}
        CHAIR < {RED.format(n=14, bp="185/100", ref="A")}
        # an ordinary member may not; the ones the alert went to may
        MEMBER > XONG {{A}}
        < Loi: XONG - ban khong co quyen gui lenh nay
        = alert_handlings 0
        HEALTH > Xong #{{A}}: da dua di tram y te
        < OK: da xong canh bao HA cua TV14 #{{A}}.
        = alert_handlings 1
        """
    )
    handling = session.scalars(select(AlertHandling)).one()
    assert (handling.kind, handling.member_id) == ("red", member(session, club, 14).id)
    assert (handling.handled_by, handling.note) == ("Tran Thi Hoa (TV3)", "da dua di tram y te")


def test_one_reference_for_two_members_asks_which(conv: Conversation) -> None:
    conv.play(
        f"""
        SEC > HA 16 200/120, 17 182/90
        < OK #{{D}}: HA 2 nguoi (2 CANH BAO). Sai? HUY {{D}}
        HEALTH < {RED.format(n=16, bp="200/120", ref="D")}
        CHAIR < {RED.format(n=16, bp="200/120", ref="D")}
        HEALTH < {RED.format(n=17, bp="182/90", ref="D")}
        CHAIR < {RED.format(n=17, bp="182/90", ref="D")}
        CHAIR > XONG {{D}}
        < Loi: XONG - ma {{D}} co canh bao cua TV 16, 17. Soan XONG {{D}} <so the>
        CHAIR > XONG {{D}} TV 17 da goi xe
        < OK: da xong canh bao HA cua TV17 #{{D}}.
        # one member left under the reference: no number needed
        CHAIR > xong {{D}}
        < OK: da xong canh bao HA cua TV16 #{{D}}.
        CHAIR > Xong #{{D}}
        < Loi: XONG - ma {{D}} da xong roi: Ro Cham H'Yeo (TV2), 21/11 09:04
        = alert_handlings 2
        """
    )


def test_references_that_close_nothing(conv: Conversation, session: Session) -> None:
    make_board_club(session, "K13", members=12)
    conv.play(
        """
        SEC > THAM 12
        < OK #{A}: THAM TV12. Sai? HUY {A}
        HOMECARE > XONG {A}
        < Loi: XONG - ma {A} khong co canh bao hay nho giup nao
        HOMECARE > XONG ZZZZ
        < Loi: XONG - khong co ma ZZZZ
        HOMECARE > XONG K7Q
        < Loi: XONG K7Q - ma co 4 ky tu, nhu trong tin tra loi. VD: XONG K7QA da den tham
        HOMECARE > XONG
        < Loi: XONG - thieu ma bao cao. VD: XONG K7QA da den tham
        # a help request cancelled by HUY is no longer there to close
        MEMBER > nho
        < Da bao tinh nguyen vien cham soc va chu nhiem CLB. Se co nguoi lien he voi ban som. #{B}
        CHAIR < {*}XONG {B}
        HOMECARE < {*}XONG {B}
        MEMBER > HUY {B}
        < OK: da huy #{B} (NHO TV12).
        HOMECARE > XONG {B}
        < Loi: XONG - ma {B} da huy roi
        # another club's volunteer does not see this club's references
        K13HEALTH > XONG {A}
        < Loi: XONG - khong co ma {A}
        = alert_handlings 0
        """
    )


def test_in_english_with_the_english_keyword(
    conv: Conversation, session: Session, club: Club
) -> None:
    member(session, club, 4).language = "en"  # the home-care volunteer
    member(session, club, 12).language = "en"  # the member asking
    session.flush()
    conv.play(
        """
        MEMBER > REQUEST need someone to visit
        < The club's home-care volunteers and chair have been told. Someone will contact you soon. #{A}
        CHAIR < NHO GIUP K12: {*}. Xong? XONG {A}
        HOMECARE < HELP K12: #12 Member 12 Thi Lan (0912000012) needs help: need someone to visit. Please visit soon. Done? DONE {A}
        HOMECARE > DONE {A} visited
        < OK: help request of member 12 #{A} closed. Member 12 was told by SMS.
        MEMBER < Club K12: the help request #{A} of member 12 was dealt with. Thank you for telling us.
        CHAIR > XONG {A}
        < Loi: XONG - ma {A} da xong roi: Siu Thuan (TV4), 21/11 09:02
        HOMECARE > HELP DONE
        < DONE <ref> [note]: a BP alert or help request dealt with, by the ref in the alert SMS; whoever asked is told. E.g. DONE K7QA visited
        """  # noqa: E501
    )


def test_a_supervisor_closes_by_reference_with_or_without_the_club_code(
    conv: Conversation, session: Session, club: Club
) -> None:
    add_supervisor(session, name="Ksor Y Ben", phone="+84977000001", club_ids=[club.id])
    conv.play(
        f"""
        SEC > HA 14 185/100; HA 15 190/100
        < OK 2/2 #{{A}}: HA TV14 185/100 cao do 3 (CANH BAO); HA TV15 190/100 cao do 3 (CANH BAO)
        HEALTH < {RED.format(n=14, bp="185/100", ref="A")}
        CHAIR < {RED.format(n=14, bp="185/100", ref="A")}
        HEALTH < {RED.format(n=15, bp="190/100", ref="A")}
        CHAIR < {RED.format(n=15, bp="190/100", ref="A")}
        +84977000001 > XONG {{A}} 14
        < OK: da xong canh bao HA cua TV14 #{{A}}.
        +84977000001 > CLB K12 XONG {{A}}
        < OK: da xong canh bao HA cua TV15 #{{A}}.
        = alert_handlings 2
        """
    )
    by = {h.handled_by for h in session.scalars(select(AlertHandling))}
    assert by == {"Ksor Y Ben"}
