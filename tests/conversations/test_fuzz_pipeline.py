"""No SMS text crashes the inbound job: whatever a board member types, the job finishes, the
message is marked, and at most one reply goes back (a crash would leave the member unanswered
and the sweeper retrying the same message for ever)."""

from __future__ import annotations

from itertools import count
from typing import Any

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sqlalchemy import select
from sqlalchemy.orm import Session

from menus.grammar import KEYWORDS, REF_ALPHABET
from models import db
from models.clubs import Club
from models.inbox import store_inbound
from models.messages import InboundMessage, OutboundMessage
from tests.conversations.support import give_loan
from tests.factories import SECRETARY_PHONE
from workers.jobs import process_inbound

WORDS = [
    *KEYWORDS,
    *(k.lower() for k in KEYWORDS),
    "Trả", "điểm danh", "vắng", "VANG", "CLB", "K12", "K13", "PAY", "BP", "TV", "tv12", "#12",
    "12", "13", "0", "45", "9999", "1-12", "12-1", "1-600", "20/11", "22/11", "31/02", "21.11",
    "200k", "1tr5", "5tr873", "2 trieu", "ruoi", "200.000đ", "200 000", "VND", "1,5tr", "99999tr",
    "150/95", "300/95", "95/150", "185/110", "M80", "CN52", "DH7,2", "DH120", "52,5", "kg",
    "0168 234 5678", "0912345678", "Rơ Châm H'Yéo", "1952", "nu", "NAM", "12T", "0T",
    ":", ".", ",", "-", "?", "!", "đ", "😀", "\u0309", "\t",
]  # fmt: skip
SEPARATORS = [" ", " ", " ", "", "\n", ";", ", ", "\r\n"]
texts = st.one_of(
    st.lists(
        st.tuples(st.sampled_from(WORDS), st.sampled_from(SEPARATORS)), min_size=1, max_size=14
    ).map(lambda parts: "".join(w + s for w, s in parts)),
    # What a webhook can hand over: decoded UTF-8 (no lone surrogates), NULs stripped.
    st.text(st.characters(exclude_characters="\x00", exclude_categories=("Cs",)), max_size=60),
    st.builds(lambda r: f"HUY {r}", st.text(REF_ALPHABET + "01OI", min_size=3, max_size=5)),
)
_ids = count(1)


@settings(
    max_examples=80,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(text=texts)
def test_no_text_crashes_the_inbound_job(
    session: Session, rt: Any, club: Club, channel: Any, text: str
) -> None:
    if not getattr(club, "_loaned", False):
        give_loan(session, club, 12, 50_000_000)
        club._loaned = True  # type: ignore[attr-defined]
    with db.session_scope() as s:
        msg_id, _ = store_inbound(
            s,
            provider="africastalking",
            provider_id=f"fuzz-{next(_ids)}",
            sender=SECRETARY_PHONE,
            text=text,
        )
    process_inbound(msg_id)
    session.expire_all()
    assert session.get(InboundMessage, msg_id).status in ("processed", "ignored")
    replies = session.scalars(
        select(OutboundMessage.text).where(
            OutboundMessage.inbound_id == msg_id, OutboundMessage.to == SECRETARY_PHONE
        )
    ).all()
    assert len(replies) <= 1
    assert all(r.strip() for r in replies)
