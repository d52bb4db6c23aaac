"""`./manage`: migrate, clubs and members, supervisors, imports, the demo, queues and replays."""

from __future__ import annotations

import sys
from decimal import Decimal
from pathlib import Path

import click
from sqlalchemy import select

from menus.clock import vn_today
from menus.phones import normalize_phone
from models import db
from models.clubs import Club, Member
from workers import QUEUES, runtime


def _session_ready() -> None:
    runtime.config()


def _phone(value: str) -> str:
    phone = normalize_phone(value)
    if phone is None:
        raise click.BadParameter(f"{value!r} is not a Vietnamese mobile number")
    return phone


def _club(s, code: str) -> Club:  # noqa: ANN001
    club = s.scalar(select(Club).where(Club.code == code.upper()))
    if club is None:
        raise click.ClickException(f"no club {code}")
    return club


@click.group()
def cli() -> None:
    """Diem Tua administration. Configuration comes from the environment (see README)."""


@cli.command()
@click.option("--revision", default="head")
def migrate(revision: str) -> None:
    """Bring the database schema to REVISION (default: head)."""
    from alembic import command
    from alembic.config import Config

    from gateway.config import ROOT

    command.upgrade(Config(str(ROOT / "alembic.ini")), revision)


@cli.command("load-places")
def load_places_cmd() -> None:
    """Load the 34 provinces and 3,321 communes (2025 codes)."""
    from models.admin import load_places

    _session_ready()
    with db.session_scope() as s:
        np, nc = load_places(s)
    click.echo(f"provinces added: {np}, communes added: {nc}")


@cli.command("create-club")
@click.option("--code", required=True)
@click.option("--name", required=True)
@click.option("--province", "province_code", required=True, help="2-digit province code")
@click.option("--commune", "commune_code", help="5-digit commune code")
@click.option("--village")
@click.option("--meeting-day", type=click.IntRange(1, 31), default=21)
@click.option("--meeting-place")
@click.option("--interest", type=Decimal, default=Decimal("0"), help="% per month")
@click.option("--method", type=click.Choice(["flat", "declining"]), default="flat")
@click.option("--term", type=click.IntRange(1, 120), default=12, help="default loan months")
@click.option("--backdate-days", type=click.IntRange(0, 366), default=62)
@click.option("--pin/--no-pin", default=False, help="PIN before loan and health screens")
@click.option("--fund", type=int, default=0, help="opening fund balance in VND")
def create_club_cmd(**kw) -> None:  # noqa: ANN003
    """Create a club (load-places first)."""
    from models.admin import create_club
    from models.places import Province

    _session_ready()
    with db.session_scope() as s:
        if s.get(Province, kw["province_code"]) is None:
            raise click.ClickException("unknown province code: run ./manage load-places")
        club = create_club(
            s,
            code=kw["code"],
            name=kw["name"],
            province_code=kw["province_code"],
            commune_code=kw["commune_code"],
            village=kw["village"],
            meeting_day=kw["meeting_day"],
            meeting_place=kw["meeting_place"],
            interest_pct_month=kw["interest"],
            interest_method=kw["method"],
            default_term_months=kw["term"],
            backdate_days=kw["backdate_days"],
            pin_required=kw["pin"],
            fund_opening_vnd=kw["fund"],
        )
        click.echo(f"club {club.code} created (id {club.id})")


@cli.command("add-member")
@click.argument("club_code")
@click.argument("number", type=int)
@click.argument("full_name")
@click.option("--phone")
@click.option("--birth-year", type=int)
@click.option("--sex", type=click.Choice(["M", "F"]))
@click.option("--ethnic-group")
@click.option(
    "--role",
    "roles",
    multiple=True,
    type=click.Choice(
        ["chair", "vice_chair", "secretary", "treasurer", "health_volunteer", "homecare_volunteer"]
    ),
)
def add_member_cmd(
    club_code: str,
    number: int,
    full_name: str,
    phone: str | None,
    birth_year: int | None,
    sex: str | None,
    ethnic_group: str | None,
    roles: tuple[str, ...],
) -> None:
    """Add a member, with board or volunteer roles."""
    from models.admin import add_member

    _session_ready()
    with db.session_scope() as s:
        club = _club(s, club_code)
        add_member(
            s,
            club,
            number=number,
            full_name=full_name,
            phone=_phone(phone) if phone else None,
            birth_year=birth_year,
            sex=sex,
            ethnic_group=ethnic_group,
            roles=roles,
        )
    click.echo(f"member {number} added to {club_code.upper()}")


@cli.command("set-roles")
@click.argument("club_code")
@click.argument("number", type=int)
@click.argument("roles", nargs=-1)
def set_roles_cmd(club_code: str, number: int, roles: tuple[str, ...]) -> None:
    """Replace a member's roles (none given: an ordinary member)."""
    from models.admin import set_roles

    _session_ready()
    with db.session_scope() as s:
        club = _club(s, club_code)
        m = s.scalar(select(Member).where(Member.club_id == club.id, Member.number == number))
        if m is None:
            raise click.ClickException(f"no member {number} in {club.code}")
        set_roles(s, m, roles)
    click.echo("roles set")


@cli.command("set-pin")
@click.argument("club_code")
@click.argument("number", type=int)
@click.argument("pin", required=False)
def set_pin_cmd(club_code: str, number: int, pin: str | None) -> None:
    """Set a member's 4-digit USSD PIN (no PIN given: remove it)."""
    from models.views import set_pin

    _session_ready()
    with db.session_scope() as s:
        club = _club(s, club_code)
        m = s.scalar(select(Member).where(Member.club_id == club.id, Member.number == number))
        if m is None:
            raise click.ClickException(f"no member {number} in {club.code}")
        try:
            set_pin(s, m, pin)
        except ValueError as exc:
            raise click.ClickException(str(exc)) from None
    click.echo("PIN set" if pin else "PIN removed")


@cli.command("add-supervisor")
@click.option("--name", required=True)
@click.option("--phone", required=True)
@click.option("--language", default="vi")
@click.option("--province", "provinces", multiple=True, help="a whole province (repeatable)")
@click.option("--commune", "communes", multiple=True, help="a commune code (repeatable)")
@click.option("--club", "clubs", multiple=True, help="a club code (repeatable)")
def add_supervisor_cmd(
    name: str,
    phone: str,
    language: str,
    provinces: tuple[str, ...],
    communes: tuple[str, ...],
    clubs: tuple[str, ...],
) -> None:
    """Add a supervisor with an area: provinces, communes and clubs in any mix."""
    from models.admin import add_supervisor

    _session_ready()
    with db.session_scope() as s:
        club_ids = [_club(s, c).id for c in clubs]
        add_supervisor(
            s,
            name=name,
            phone=_phone(phone),
            language=language,
            provinces=provinces,
            communes=communes,
            club_ids=club_ids,
        )
    click.echo("supervisor added")


@cli.command("import-members")
@click.argument("club_code")
@click.argument("path", type=click.Path(exists=True, dir_okay=False, path_type=Path))
def import_members_cmd(club_code: str, path: Path) -> None:
    """Add or update members from a .csv or .xlsx file (columns in the README)."""
    from models.importer import import_members

    _session_ready()
    with db.session_scope() as s:
        result = import_members(s, _club(s, club_code), path)
    click.echo(f"added {result.added}, updated {result.updated}, errors {len(result.errors)}")
    for err in result.errors:
        click.echo(f"  {err}", err=True)
    if result.errors:
        sys.exit(1)


@cli.command("seed-demo")
def seed_demo_cmd() -> None:
    """Load the demo clubs (Gia Lai), a year of history and a supervisor; idempotent."""
    from models.demo import PHONES, seed_demo

    _session_ready()
    with db.session_scope() as s:
        club = seed_demo(s, vn_today())
        click.echo(f"demo club {club.code} ready")
    for who, phone in PHONES.items():
        click.echo(f"  {who:20} {phone}")


@cli.command("export-report")
@click.option("--month", required=True, help="YYYY-MM")
@click.option("--province", help="2-digit province code (default: every club)")
@click.option("--out", "out", required=True, type=click.Path(dir_okay=False, path_type=Path))
def export_report_cmd(month: str, province: str | None, out: Path) -> None:
    """The month's figures per club as an Excel workbook."""
    from models.export import export_month

    _session_ready()
    with db.session_scope() as s:
        rows = export_month(s, month, out, province)
    click.echo(f"{rows} clubs written to {out}")


@cli.command()
def queues() -> None:
    """Queue lengths and failed jobs."""
    from rq.registry import FailedJobRegistry, ScheduledJobRegistry

    for name in QUEUES:
        q = runtime.queue(name)
        failed = FailedJobRegistry(name, connection=runtime.redis()).count
        sched = ScheduledJobRegistry(name, connection=runtime.redis()).count
        click.echo(f"{name:10} waiting {q.count:6}  scheduled {sched:5}  failed {failed:5}")


@cli.command("requeue-failed")
@click.option("--queue", "names", multiple=True, default=QUEUES)
def requeue_failed(names: tuple[str, ...]) -> None:
    """Put failed jobs back on their queues (jobs are idempotent)."""
    from rq.registry import FailedJobRegistry

    total = 0
    for name in names:
        reg = FailedJobRegistry(name, connection=runtime.redis())
        for job_id in reg.get_job_ids():
            reg.requeue(job_id)
            total += 1
    click.echo(f"requeued {total}")


@cli.command()
def sweep() -> None:
    """Enqueue stored-but-unprocessed inbound and due outbound rows now."""
    from workers.jobs import sweep as run_sweep

    click.echo(run_sweep())


@cli.command("replay-inbound")
@click.argument("inbound_id", type=int)
def replay_inbound(inbound_id: int) -> None:
    """Process one stored inbound message again if it never finished (safe: idempotent)."""
    from models.enums import InboundStatus
    from models.messages import InboundMessage

    _session_ready()
    with db.session_scope() as s:
        msg = s.get(InboundMessage, inbound_id)
        if msg is None:
            raise click.ClickException(f"no inbound message {inbound_id}")
        if msg.status == InboundStatus.FAILED:
            msg.status, msg.sweeps = InboundStatus.RECEIVED, 0
        elif msg.status != InboundStatus.RECEIVED:
            raise click.ClickException(f"message {inbound_id} is {msg.status}: nothing to replay")
    runtime.enqueue("inbound", "workers.jobs.process_inbound", inbound_id)
    click.echo("enqueued")


if __name__ == "__main__":
    cli()
