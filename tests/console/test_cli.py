"""./manage add-admin: password twice or from ADMIN_PASSWORD, one-line errors."""

from __future__ import annotations

from typing import Any

from click.testing import CliRunner
from sqlalchemy import select

from models import db
from models.console import ConsoleAdmin, verify_password
from workers.cli import cli


def _run(args: list[str], **kw: Any) -> Any:
    return CliRunner().invoke(cli, ["add-admin", *args], catch_exceptions=False, **kw)


def test_add_admin_with_a_province(world: Any, rt: Any, monkeypatch: Any) -> None:
    monkeypatch.setenv("ADMIN_PASSWORD", "a long enough password")
    result = _run(["--name", "Tran Van Quan", "--phone", "0918 000 111", "--province", "52"])
    assert result.exit_code == 0, result.output
    assert "province 52" in result.output
    with db.session_scope() as s:
        admin = s.scalar(select(ConsoleAdmin).where(ConsoleAdmin.phone == "+84918000111"))
        assert admin.province_code == "52"
        assert verify_password("a long enough password", admin.password_hash)
        assert "a long enough password" not in admin.password_hash
    again = _run(["--name", "X", "--phone", "0918000111"])
    assert again.exit_code != 0 and "already an administrator" in again.output


def test_the_password_is_asked_twice(world: Any, rt: Any, monkeypatch: Any) -> None:
    monkeypatch.delenv("ADMIN_PASSWORD", raising=False)
    result = _run(
        ["--name", "Le Thi Bich", "--phone", "0918000222"], input="twelve chars!!\ntwelve chars!!\n"
    )
    assert result.exit_code == 0, result.output
    short = _run(["--name", "Le Thi Bich", "--phone", "0918000223"], input="short\nshort\n")
    assert short.exit_code == 2 and "too short" in short.output
    bad = _run(["--name", "X", "--phone", "024 3825 1234"], input="")
    assert bad.exit_code == 2 and "landlines" in bad.output
