"""The administration CLI, on the test database."""

from __future__ import annotations

from click.testing import CliRunner
from sqlalchemy import select

from models.clubs import Club, Member, Supervisor
from workers.cli import cli


def test_create_club_members_and_supervisor(session, rt, tmp_path):
    run = CliRunner().invoke
    assert run(cli, ["load-places"]).exit_code == 0
    res = run(
        cli,
        [
            "create-club",
            "--code",
            "k20",
            "--name",
            "CLB Test",
            "--province",
            "52",
            "--commune",
            "23764",
            "--interest",
            "0.5",
            "--pin",
        ],
    )
    assert res.exit_code == 0, res.output
    res = run(
        cli,
        [
            "add-member",
            "K20",
            "1",
            "Nguyen Van A",
            "--phone",
            "0168 234 5678",
            "--role",
            "secretary",
        ],
    )
    assert res.exit_code == 0, res.output
    bad = run(cli, ["add-member", "K20", "2", "B", "--phone", "12345"])
    assert bad.exit_code != 0 and "not a Vietnamese mobile number" in bad.output
    csv = tmp_path / "m.csv"
    csv.write_text("so,ho ten,sdt\n2,Ksor H'Bla,0905111222\n3,Nay Blung,\n", encoding="utf-8")
    res = run(cli, ["import-members", "K20", str(csv)])
    assert res.exit_code == 0 and "added 2" in res.output
    res = run(
        cli,
        [
            "add-supervisor",
            "--name",
            "Le Van Hung",
            "--phone",
            "0905000900",
            "--commune",
            "23764",
            "--club",
            "K20",
        ],
    )
    assert res.exit_code == 0, res.output
    session.expire_all()
    club = session.scalar(select(Club).where(Club.code == "K20"))
    assert club.pin_required and club.loan_interest_pct_month == 0.5
    assert session.scalar(select(Member).where(Member.number == 1)).phone == "+84382345678"
    sup = session.scalar(select(Supervisor).where(Supervisor.phone == "+84905000900"))
    assert {a.kind for a in sup.areas} == {"commune", "club"}


def test_queues_and_requeue(rt):
    res = CliRunner().invoke(cli, ["queues"])
    assert res.exit_code == 0 and "inbound" in res.output
    assert "requeued 0" in CliRunner().invoke(cli, ["requeue-failed"]).output
