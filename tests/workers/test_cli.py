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


def test_export_report_workbook(session, rt, tmp_path):
    from datetime import date

    from openpyxl import load_workbook

    from models.demo import seed_demo

    seed_demo(session, date(2026, 11, 28))
    session.commit()
    out = tmp_path / "bc.xlsx"
    res = CliRunner().invoke(
        cli, ["export-report", "--month", "2026-10", "--province", "52", "--out", str(out)]
    )
    assert res.exit_code == 0, res.output
    ws = load_workbook(out).worksheets[0]
    assert ws.title == "Báo cáo tháng 10-2026"
    col = {c.value: c.column - 1 for c in ws[5]}  # rows 1-3 title, row 5 the header
    by_code = {r[1]: r for r in ws.iter_rows(min_row=6, max_row=7, values_only=True)}
    assert set(by_code) == {"GL01", "GL02"}
    gl01, gl02 = by_code["GL01"], by_code["GL02"]
    assert gl01[col["Có báo cáo"]] == "Có" and gl02[col["Có báo cáo"]] == "Không"  # GL02 silent
    assert gl01[col["Số buổi sinh hoạt"]] == 1 and gl01[col["Có mặt"]] > 30  # met once in October


def test_set_pin(session, rt):
    from models.views import verify_pin
    from tests.factories import make_board_club

    make_board_club(session)
    session.commit()
    run = CliRunner().invoke
    assert run(cli, ["set-pin", "K12", "12", "12a4"]).exit_code != 0
    assert run(cli, ["set-pin", "K12", "12", "2468"]).output.strip() == "PIN set"
    member = session.scalar(select(Member).where(Member.number == 12))
    session.refresh(member)
    assert verify_pin("2468", member.pin_hash) and not verify_pin("2469", member.pin_hash)
    assert run(cli, ["set-pin", "K12", "12"]).output.strip() == "PIN removed"
