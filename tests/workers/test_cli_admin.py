"""An operator's mistakes at `./manage` get one clear line and a non-zero exit, never a traceback
or a silent wrong result; scheduled jobs can be run by hand, once per period."""

from __future__ import annotations

import os
import subprocess
from datetime import date

import pytest
import time_machine
from click.testing import CliRunner
from openpyxl import load_workbook
from sqlalchemy import func, select

from models.clubs import Club, Member, Supervisor
from models.enums import Role
from models.messages import JobRun, OutboundMessage
from runtime.settings import ROOT
from workers.cli import cli

LANDLINE = "0269 3822 123"  # a Gia Lai fixed line: valid, but takes no SMS


def run(*args: str):
    return CliRunner().invoke(cli, list(args))


def refused(res, *words: str) -> str:
    """The command failed with one line naming the problem, and no traceback."""
    out = res.output
    assert res.exit_code != 0, out
    assert "Traceback" not in out and res.exception is None or isinstance(res.exception, SystemExit)
    lines = [line for line in out.splitlines() if line.strip()]
    error_lines = [line for line in lines if line.startswith("Error")]
    assert len(error_lines) == 1, out
    for word in words:
        assert word in out, out
    return out


@pytest.fixture
def places(session, rt):
    assert run("load-places").exit_code == 0
    return session


def club_args(code: str = "K20", *extra: str) -> list[str]:
    return ["create-club", "--code", code, "--name", "CLB Test", *extra]


def test_province_before_places_are_loaded_says_load_places(session, rt):
    refused(run(*club_args("K20", "--province", "52")), "load-places")


def test_create_club_by_province_name_and_commune_name(places):
    res = run(*club_args("K20", "--province", "gia lai", "--commune", "23764"))
    assert res.exit_code == 0, res.output
    res = run(*club_args("K21", "--province", "Tỉnh Gia Lai"))
    assert res.exit_code == 0, res.output
    codes = set(places.scalars(select(Club.province_code).where(Club.code.in_(["K20", "K21"]))))
    assert codes == {"52"}


def test_existing_club_code_is_one_line(places):
    assert run(*club_args("K20", "--province", "52")).exit_code == 0
    out = refused(run(*club_args("k20", "--province", "52")), "K20 exists already", "--code")
    assert "IntegrityError" not in out


def test_unknown_province_and_commune(places):
    out = refused(run(*club_args("K20", "--province", "99")), "no province '99'", "provinces")
    assert "load-places" not in out  # the places are loaded: that hint would mislead
    refused(run(*club_args("K20", "--province", "Atlantis")), "no province 'Atlantis'")
    refused(run(*club_args("K20", "--province", "52", "--commune", "99999")), "no commune")
    assert places.scalar(select(func.count(Club.id))) == 0


def test_commune_in_another_province_is_refused(places):
    # 00004 is a ward of Ha Noi (province 01), not of Gia Lai.
    refused(run(*club_args("K20", "--province", "52", "--commune", "00004")), "is not in Gia Lai")
    assert places.scalar(select(func.count(Club.id))) == 0


def test_existing_card_number_is_one_line(places):
    assert run(*club_args("K20", "--province", "52")).exit_code == 0
    assert run("add-member", "K20", "1", "Nguyen Van A").exit_code == 0
    refused(run("add-member", "K20", "1", "Tran Thi B"), "card number 1", "Nguyen Van A")
    assert places.scalar(select(func.count(Member.id))) == 1


def test_roles_share_the_importer_vocabulary(places):
    assert run(*club_args("K20", "--province", "52")).exit_code == 0
    res = run("add-member", "K20", "1", "A", "--role", "thu ky")
    assert res.exit_code == 0, res.output
    res = run("add-member", "K20", "2", "B", "--role", "Thủ quỹ, TNV sức khỏe")
    assert res.exit_code == 0, res.output
    res = run("add-member", "K20", "3", "C", "--role", "secretary")
    assert res.exit_code == 0, res.output
    refused(run("add-member", "K20", "4", "D", "--role", "president"), "president")
    roles = {
        m.number: {r.role for r in m.roles}
        for m in places.scalars(select(Member).order_by(Member.number))
    }
    assert roles == {
        1: {Role.SECRETARY},
        2: {Role.TREASURER, Role.HEALTH_VOLUNTEER},
        3: {Role.SECRETARY},
    }
    res = run("set-roles", "K20", "3", "chu nhiem")
    assert res.exit_code == 0, res.output


def test_landlines_are_not_mobiles(places):
    assert run(*club_args("K20", "--province", "52")).exit_code == 0
    refused(run("add-member", "K20", "1", "A", "--phone", LANDLINE), "not a Vietnamese mobile")
    refused(
        run("add-supervisor", "--name", "S", "--phone", LANDLINE, "--province", "52"),
        "not a Vietnamese mobile",
    )
    assert places.scalar(select(func.count(Member.id))) == 0


def test_supervisor_needs_an_area_and_known_places(places):
    refused(run("add-supervisor", "--name", "S", "--phone", "0905000900"), "needs an area")
    refused(
        run("add-supervisor", "--name", "S", "--phone", "0905000900", "--province", "99"),
        "no province",
    )
    refused(
        run("add-supervisor", "--name", "S", "--phone", "0905000900", "--club", "ZZ9"),
        "no club ZZ9",
    )
    res = run("add-supervisor", "--name", "S", "--phone", "0905000900", "--province", "Gia Lai")
    assert res.exit_code == 0, res.output
    refused(
        run("add-supervisor", "--name", "T", "--phone", "0905 000 900", "--province", "52"),
        "already",
    )
    assert places.scalar(select(func.count(Supervisor.id))) == 1


@pytest.mark.parametrize("month", ["11/2026", "2026-13", "2026-00", "nov", "2026-11-01"])
def test_export_report_month_must_be_yyyy_mm(places, tmp_path, month):
    out = tmp_path / "bc.xlsx"
    refused(run("export-report", "--month", month, "--out", str(out)), "YYYY-MM")
    assert not out.exists()


def test_export_report_province_and_folder(places, tmp_path):
    from models.demo import seed_demo

    seed_demo(places, date(2026, 11, 28))
    places.commit()
    out = tmp_path / "bc.xlsx"
    refused(run("export-report", "--month", "2026-10", "--province", "99", "--out", str(out)))
    assert not out.exists()
    missing = tmp_path / "no-such-folder" / "bc.xlsx"
    refused(run("export-report", "--month", "2026-10", "--out", str(missing)), "does not exist")
    res = run("export-report", "--month", "2026-10", "--province", "Gia Lai", "--out", str(out))
    assert res.exit_code == 0, res.output
    assert "2 clubs written" in res.output
    cells = [c for row in load_workbook(out).worksheets[0].iter_rows(values_only=True) for c in row]
    assert "GL01" in cells and "GL02" in cells


def test_unknown_club_is_one_line(places):
    refused(run("add-member", "ZZ9", "1", "A"), "no club ZZ9")
    refused(run("set-pin", "ZZ9", "1", "1234"), "no club ZZ9")


def test_usage_lines_say_manage_and_database_errors_are_one_line(tmp_path):
    env = {k: v for k, v in os.environ.items() if k not in {"DATABASE_URL", "REDIS_URL"}}
    env["VAR_DIR"] = str(tmp_path)
    env["DATABASE_URL"] = "postgresql+psycopg://postgres@127.0.0.1:1/nothing"
    help_out = subprocess.run(
        [str(ROOT / "manage"), "--help"], capture_output=True, text=True, env=env, timeout=60
    )
    assert help_out.returncode == 0 and help_out.stdout.startswith("Usage: ./manage ")
    out = subprocess.run(
        [str(ROOT / "manage"), "clubs"], capture_output=True, text=True, env=env, timeout=60
    )
    assert out.returncode == 1
    assert "Traceback" not in out.stderr
    assert out.stderr.startswith("Error: database error:") and len(out.stderr.splitlines()) == 1
    # No Redis was started for a command that does not need one.
    assert not (tmp_path / "redis.db.settings").exists()


# --- run-job ---------------------------------------------------------------------------------


@time_machine.travel("2026-11-30 07:30:00+07:00", tick=False)
def test_run_job_once_per_period_and_force(session, rt):
    from tests.factories import make_board_club
    from tests.summaries import builders as b

    club = make_board_club(session)
    b.report(session, club, date(2026, 11, 21))
    session.add(Supervisor(name="Sup", phone="+84905000900", language="vi"))
    session.flush()
    sup = session.scalar(select(Supervisor))
    from models.admin import add_supervisor  # noqa: F401 - areas through the model
    from models.clubs import SupervisorArea
    from models.enums import AreaKind

    sup.areas = [SupervisorArea(kind=AreaKind.CLUB, club_id=club.id)]
    session.commit()

    def sent() -> int:
        session.expire_all()
        return session.scalar(
            select(func.count(OutboundMessage.id)).where(OutboundMessage.to == "+84905000900")
        )

    res = run("run-job", "weekly_supervisor_summaries")
    assert res.exit_code == 0, res.output
    assert "1 messages queued" in res.output and sent() == 1
    again = run("run-job", "weekly_supervisor_summaries", "--period", "2026-W49")
    assert again.exit_code == 0 and "done already, nothing sent" in again.output
    assert sent() == 1
    forced = run("run-job", "weekly_supervisor_summaries", "--force")
    assert forced.exit_code == 0 and "1 messages queued" in forced.output and sent() == 2
    other_week = run("run-job", "weekly_supervisor_summaries", "--period", "2026-W48")
    assert other_week.exit_code == 0 and "2026-W48" in other_week.output and sent() == 3
    keys = set(session.scalars(select(JobRun.key)))
    assert "sum.weekly:2026-W49" in keys and "sum.weekly:2026-W48" in keys


def test_run_job_lists_jobs_and_refuses_bad_periods(session, rt):
    listing = run("run-job")
    assert listing.exit_code == 0
    from workers.schedule import ENTRIES

    for entry in ENTRIES:
        assert entry.func in listing.output
    unknown = run("run-job", "weekly")
    assert unknown.exit_code == 2 and "no job 'weekly'" in unknown.output
    refused(run("run-job", "monthly_club_reports", "--period", "11/2026"), "YYYY-MM")
    refused(run("run-job", "meeting_reminders", "--period", "2026-W48"), "YYYY-MM-DD")
    refused(run("run-job", "sweep", "--force"), "sweep takes no")


@time_machine.travel("2026-12-01 08:00:00+07:00", tick=False)
def test_run_job_monthly_by_report_month_and_sweep(session, rt):
    from tests.factories import make_board_club
    from tests.summaries import builders as b

    club = make_board_club(session)
    b.report(session, club, date(2026, 10, 21))
    club.created_at = club.created_at.replace(year=2026, month=9)
    session.commit()
    res = run("run-job", "monthly_club_reports", "--period", "2026-10")
    assert res.exit_code == 0, res.output
    assert "sum.monthly:2026-10" in res.output
    assert session.scalar(select(JobRun.key).where(JobRun.key == "sum.monthly:2026-10"))
    res = run("run-job", "sweep")
    assert res.exit_code == 0 and res.output.startswith("sweep: {")
