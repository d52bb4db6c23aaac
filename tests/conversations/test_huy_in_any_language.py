"""HUY says member changes stay whatever the language the report was written back in: the warning
is decided from the audit rows the TV command left, never from the (translated) summary."""

from __future__ import annotations

import shutil
from collections.abc import Iterator
from pathlib import Path

import pytest
from sqlalchemy.orm import Session

from menus import i18n
from models.clubs import Club
from tests.conversations.support import member
from tests.conversations.transcript import Conversation

# A made-up third language: every fragment of a report's summary reads differently from vi and en.
XX = """
[reply]
ok_one = "XX-OK #{ref}: {frag}. XX-UNDO {ref}"
[reply.frag]
tv_new = "XX-NEW-CARD {member} {name}"
tv_phone = "XX-CARD {member} XX-PHONE {phone}"
tham = "XX-VISIT {member}"
[reply.done]
huy = "XX-CANCELLED #{ref} ({summary})."
huy_tv_note = " XX-MEMBER-CHANGES-STAY"
"""


@pytest.fixture
def third_language(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[str]:
    """The shipped catalogs and "xx" next to them."""
    shutil.copytree(i18n.CATALOG_DIR, tmp_path, dirs_exist_ok=True)
    (tmp_path / "xx").mkdir()
    (tmp_path / "xx" / "replies.toml").write_text(XX, encoding="utf-8")
    monkeypatch.setattr(i18n, "CATALOG_DIR", tmp_path)
    i18n.reload()
    yield "xx"
    monkeypatch.undo()
    i18n.reload()


def test_member_changes_stay_in_a_third_language(
    conv: Conversation, session: Session, club: Club, third_language: str
) -> None:
    member(session, club, 1).language = third_language  # the secretary
    session.flush()
    conv.play(
        """
        SEC > TV 61 0912345678 Lo Thi Mai 1952 nu
        < XX-OK #{A}: XX-NEW-CARD 61 Lo Thi Mai. XX-UNDO {A}
        SEC > HUY {A}
        < XX-CANCELLED #{A} (XX-NEW-CARD 61 Lo Thi Mai). XX-MEMBER-CHANGES-STAY
        SEC > TV 12 0987654321
        < XX-OK #{B}: XX-CARD 12 XX-PHONE 0987654321. XX-UNDO {B}
        SEC > HUY {B}
        < XX-CANCELLED #{B} (XX-CARD 12 XX-PHONE 0987654321). XX-MEMBER-CHANGES-STAY
        # a report without member changes has no such note, whatever its words
        SEC > THAM 12
        < XX-OK #{C}: XX-VISIT 12. XX-UNDO {C}
        SEC > HUY {C}
        < XX-CANCELLED #{C} (XX-VISIT 12).
        """
    )
