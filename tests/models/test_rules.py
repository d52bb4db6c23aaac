"""BP grades, references, phones shared by several members."""

from __future__ import annotations

import pytest
from sqlalchemy.exc import IntegrityError

from models.admin import add_member, members_by_phone
from models.enums import AlertLevel, BPGrade
from models.health import bp_alert, grade_bp
from models.records import Report
from models.refs import ALPHABET, issue_ref
from tests.factories import SHARED_PHONE, make_board_club, make_club


@pytest.mark.parametrize(
    ("sys_", "dia", "grade"),
    [
        (115, 75, BPGrade.OPTIMAL),
        (119, 79, BPGrade.OPTIMAL),
        (120, 70, BPGrade.NORMAL),
        (125, 84, BPGrade.NORMAL),
        (130, 80, BPGrade.HIGH_NORMAL),
        (125, 85, BPGrade.HIGH_NORMAL),
        (139, 89, BPGrade.HIGH_NORMAL),
        (140, 80, BPGrade.GRADE_1),
        (150, 95, BPGrade.GRADE_1),
        (120, 99, BPGrade.GRADE_1),
        (160, 90, BPGrade.GRADE_2),
        (179, 109, BPGrade.GRADE_2),
        (135, 100, BPGrade.GRADE_2),
        (180, 100, BPGrade.GRADE_3),
        (150, 110, BPGrade.GRADE_3),
        (210, 120, BPGrade.GRADE_3),
        (85, 55, BPGrade.LOW),
        (95, 58, BPGrade.LOW),
        (88, 70, BPGrade.LOW),
    ],
)
def test_bp_grade_follows_domain_table(sys_, dia, grade):
    assert grade_bp(sys_, dia) == grade


@pytest.mark.parametrize(
    ("sys_", "dia", "level"),
    [
        (180, 90, AlertLevel.RED),
        (150, 110, AlertLevel.RED),
        (85, 55, AlertLevel.RED),
        (160, 90, AlertLevel.AMBER),
        (150, 100, AlertLevel.AMBER),
        (159, 99, AlertLevel.NONE),
        (90, 60, AlertLevel.NONE),
    ],
)
def test_bp_alert_levels(sys_, dia, level):
    assert bp_alert(sys_, dia) == level


def test_refs_are_unique_within_a_club(session):
    club = make_club(session)
    refs = set()
    for i in range(200):
        ref = issue_ref(session, club.id)
        assert len(ref) == 4 and set(ref) <= set(ALPHABET)
        assert not set(ref) & set("0O1I")
        session.add(Report(club_id=club.id, ref=ref, source_key=f"t:{i}"))
        session.flush()
        refs.add(ref)
    assert len(refs) == 200


def test_database_refuses_a_duplicate_ref_in_one_club(session):
    club = make_club(session)
    other = make_club(session, "K13")
    session.add(Report(club_id=club.id, ref="K7QA", source_key="a"))
    session.add(Report(club_id=other.id, ref="K7QA", source_key="b"))  # another club: fine
    session.flush()
    with pytest.raises(IntegrityError), session.begin_nested():
        session.add(Report(club_id=club.id, ref="K7QA", source_key="c"))
        session.flush()


def test_one_phone_can_hold_several_members(session):
    club = make_board_club(session)
    holders = members_by_phone(session, SHARED_PHONE)
    assert [m.number for m in holders] == [20, 21]
    other = make_club(session, "K13")
    add_member(session, other, number=5, full_name="Ksor H'Bla", phone=SHARED_PHONE)
    assert len(members_by_phone(session, SHARED_PHONE)) == 3
    assert {m.club_id for m in members_by_phone(session, SHARED_PHONE)} == {club.id, other.id}


def test_member_numbers_unique_within_club(session):
    club = make_club(session)
    add_member(session, club, number=7, full_name="A")
    with pytest.raises(IntegrityError), session.begin_nested():
        add_member(session, club, number=7, full_name="B")
