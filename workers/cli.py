"""`./manage`: migrate, places, clubs and members, supervisors, imports, reports, jobs, queues.

Every mistake an operator can make gets one line saying what is wrong and what to type instead,
and a non-zero exit; tracebacks are for bugs (`./manage --debug ...` shows them).
"""

from __future__ import annotations

import os
import re
import sys
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from datetime import date, timedelta
from decimal import Decimal
from pathlib import Path
from typing import Any

import click
from sqlalchemy import select
from sqlalchemy.exc import SQLAlchemyError
from sqlalchemy.orm import Session

import runtime
from menus.clock import vn_today
from menus.phones import normalize_mobile
from models import db
from models.clubs import Club, Member, Supervisor
from runtime import QUEUES

PROG = "./manage"
_MONTH = re.compile(r"(\d{4})-(\d{1,2})")


@contextmanager
def _session() -> Iterator[Session]:
    """A committed session on the configured database (Redis is not touched)."""
    runtime.config()
    with db.session_scope() as s:
        yield s


def _mobile(value: str, what: str = "phone") -> str:
    phone = normalize_mobile(value)
    if phone is None:
        raise click.UsageError(
            f"{what} {value!r} is not a Vietnamese mobile number (10 digits, e.g. 0905 123 456; "
            "landlines cannot take SMS)"
        )
    return phone


def _club(s: Session, code: str) -> Club:
    club = s.scalar(select(Club).where(Club.code == code.strip().upper()))
    if club is None:
        raise click.ClickException(f"no club {code.upper()}: `{PROG} clubs` lists the clubs")
    return club


def _member(s: Session, club: Club, number: int) -> Member:
    member = s.scalar(select(Member).where(Member.club_id == club.id, Member.number == number))
    if member is None:
        raise click.ClickException(f"no member {number} in {club.code}")
    return member


def _province(s: Session, text: str) -> Any:
    from models.admin import find_province, places_loaded

    if not places_loaded(s):
        raise click.ClickException(f"no provinces loaded yet: run `{PROG} load-places` first")
    province = find_province(s, text)
    if province is None:
        raise click.ClickException(
            f"no province {text!r}: give a 2025 code or a name; `{PROG} provinces` lists them"
        )
    return province


def _commune(s: Session, text: str, province: Any | None) -> Any:
    from models.admin import find_communes

    found = find_communes(s, text, province.code if province is not None else None)
    if len(found) == 1:
        return found[0]
    if not found:
        elsewhere = find_communes(s, text) if province is not None else []
        if elsewhere:
            where = ", ".join(f"{c.code} in province {c.province_code}" for c in elsewhere[:3])
            raise click.ClickException(
                f"commune {text!r} is not in {province.name} ({where}): check --province"
            )
        raise click.ClickException(
            f"no commune {text!r}: `{PROG} communes {province.code if province else 'PROVINCE'}` "
            "lists the codes"
        )
    codes = ", ".join(f"{c.code} {c.name}" for c in found[:5])
    raise click.ClickException(
        f"{len(found)} communes are called {text!r} ({codes}): give the code"
    )


def _month(value: str) -> str:
    match = _MONTH.fullmatch(value.strip())
    if match is None or not 1 <= int(match.group(2)) <= 12 or int(match.group(1)) < 2000:
        raise click.UsageError(f"month {value!r}: write it as YYYY-MM, e.g. --month 2026-11")
    return f"{int(match.group(1)):04d}-{int(match.group(2)):02d}"


def _roles(value: str | None) -> list[Any]:
    from models.importer import parse_roles

    try:
        return parse_roles(value or "")
    except ValueError as exc:
        raise click.UsageError(str(exc)) from None


def _role_option(func: Callable[..., Any]) -> Callable[..., Any]:
    from models.importer import ROLE_CHOICES_HELP

    return click.option("--role", "roles", help=f"comma-separated: {ROLE_CHOICES_HELP}")(func)


class _Group(click.Group):
    """Turns the failures an operator can meet (database, Redis, files) into one line."""

    def invoke(self, ctx: click.Context) -> Any:
        from redis.exceptions import RedisError

        try:
            return super().invoke(ctx)
        except (click.ClickException, click.exceptions.Exit, click.Abort):
            raise
        except Exception as exc:  # noqa: BLE001 - reported in one line, the traceback on --debug
            if ctx.obj and ctx.obj.get("debug"):
                raise
            if isinstance(exc, SQLAlchemyError):
                cause = str(getattr(exc, "orig", None) or exc).strip().splitlines()[0]
                msg = f"database error: {cause}"
            elif isinstance(exc, RedisError):
                msg = f"Redis is not reachable ({type(exc).__name__}): is the service running?"
            elif isinstance(exc, OSError):
                msg = f"{exc.strerror or exc}: {exc.filename or ''}".rstrip(": ")
            else:
                msg = f"unexpected {type(exc).__name__}: {exc}"
            raise click.ClickException(f"{msg} (`{PROG} --debug ...` shows the details)") from None


@click.group(cls=_Group)
@click.option("--debug", is_flag=True, help="show full tracebacks")
@click.pass_context
def cli(ctx: click.Context, debug: bool) -> None:
    """Diem Tua administration. Configuration comes from the environment (see README)."""
    from runtime.logs import configure_logging

    ctx.obj = {"debug": debug}
    # The commands print their own results; the logs say only what went wrong, unless asked.
    configure_logging(os.environ.get("LOG_LEVEL") or "WARNING")


@cli.command()
@click.option("--revision", default="head")
def migrate(revision: str) -> None:
    """Bring the database schema to REVISION (default: head)."""
    from alembic import command
    from alembic.config import Config

    from runtime.settings import ROOT

    runtime.config()
    command.upgrade(Config(str(ROOT / "alembic.ini")), revision)


@cli.command("load-places")
def load_places_cmd() -> None:
    """Load the 34 provinces and 3,321 communes (2025 codes)."""
    from models.admin import load_places

    with _session() as s:
        np, nc = load_places(s)
    click.echo(f"provinces added: {np}, communes added: {nc}")


@cli.command("provinces")
def provinces_cmd() -> None:
    """List the provinces with their 2025 codes."""
    from models.admin import places_loaded
    from models.places import Province

    with _session() as s:
        if not places_loaded(s):
            raise click.ClickException(f"no provinces loaded yet: run `{PROG} load-places`")
        for p in s.scalars(select(Province).order_by(Province.code)):
            click.echo(f"{p.code}  {p.name}")


@cli.command("communes")
@click.argument("province")
@click.option("--search", help="part of the name, accents optional")
def communes_cmd(province: str, search: str | None) -> None:
    """List a province's communes with their 2025 codes."""
    from menus.text import fold
    from models.places import Commune

    with _session() as s:
        prov = _province(s, province)
        rows = s.scalars(
            select(Commune).where(Commune.province_code == prov.code).order_by(Commune.code)
        )
        for c in rows:
            if search is None or fold(search) in fold(c.name):
                click.echo(f"{c.code}  {c.name}")


@cli.command("clubs")
@click.option("--province", help="code or name")
def clubs_cmd(province: str | None) -> None:
    """List the clubs (code, province, commune, name)."""
    with _session() as s:
        q = select(Club).order_by(Club.code)
        if province:
            q = q.where(Club.province_code == _province(s, province).code)
        for c in s.scalars(q):
            click.echo(f"{c.code:10} {c.province_code} {c.commune_code or '-':5}  {c.name}")


@cli.command("create-club")
@click.option("--code", required=True, help="short unique code, e.g. GL03")
@click.option("--name", required=True)
@click.option(
    "--province", "province", required=True, help="2025 code or name, e.g. 52 or 'Gia Lai'"
)
@click.option("--commune", "commune", help="5-digit code or name (in that province)")
@click.option("--village")
@click.option("--meeting-day", type=click.IntRange(1, 31), default=21)
@click.option("--meeting-place")
@click.option("--interest", type=Decimal, default=Decimal("0"), help="% per month")
@click.option("--method", type=click.Choice(["flat", "declining"]), default="flat")
@click.option("--term", type=click.IntRange(1, 120), default=12, help="default loan months")
@click.option("--backdate-days", type=click.IntRange(0, 366), default=62)
@click.option("--pin/--no-pin", default=False, help="PIN before loan and health screens")
@click.option("--fund", type=click.IntRange(0), default=0, help="opening fund balance in VND")
def create_club_cmd(**kw: Any) -> None:
    """Create a club (load-places first)."""
    from models.admin import create_club

    code = kw["code"].strip().upper()
    if not re.fullmatch(r"[A-Z0-9]{2,10}", code):
        raise click.UsageError(f"club code {kw['code']!r}: 2 to 10 letters and digits, e.g. GL03")
    if not Decimal("0") <= kw["interest"] <= Decimal("10"):
        raise click.UsageError("--interest is % per month, between 0 and 10 (e.g. 0.5)")
    with _session() as s:
        if s.scalar(select(Club.id).where(Club.code == code)) is not None:
            raise click.ClickException(f"club {code} exists already: choose another --code")
        province = _province(s, kw["province"])
        commune = _commune(s, kw["commune"], province) if kw["commune"] else None
        club = create_club(
            s,
            code=code,
            name=kw["name"].strip(),
            province_code=province.code,
            commune_code=commune.code if commune is not None else None,
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
        where = f"{commune.name}, " if commune is not None else ""
        click.echo(f"club {club.code} created in {where}{province.name}")


@cli.command("add-member")
@click.argument("club_code")
@click.argument("number", type=click.IntRange(1, 9999))
@click.argument("full_name")
@click.option("--phone", help="Vietnamese mobile number")
@click.option("--birth-year", type=click.IntRange(1900, date.today().year))
@click.option("--sex", type=click.Choice(["M", "F"], case_sensitive=False))
@click.option("--ethnic-group")
@_role_option
def add_member_cmd(
    club_code: str,
    number: int,
    full_name: str,
    phone: str | None,
    birth_year: int | None,
    sex: str | None,
    ethnic_group: str | None,
    roles: str | None,
) -> None:
    """Add a member (card NUMBER, FULL_NAME), with board or volunteer roles."""
    from models.admin import add_member

    role_list = _roles(roles)
    e164 = _mobile(phone) if phone else None
    if not full_name.strip():
        raise click.UsageError("the member's name is empty")
    with _session() as s:
        club = _club(s, club_code)
        taken = s.scalar(select(Member).where(Member.club_id == club.id, Member.number == number))
        if taken is not None:
            raise click.ClickException(
                f"card number {number} in {club.code} belongs to {taken.full_name}: choose "
                f"another number, or change that member with `{PROG} set-roles` / an import"
            )
        add_member(
            s,
            club,
            number=number,
            full_name=full_name.strip(),
            phone=e164,
            birth_year=birth_year,
            sex=sex.upper() if sex else None,
            ethnic_group=ethnic_group,
            roles=role_list,
        )
        click.echo(f"member {number} added to {club.code}")


@cli.command("set-roles")
@click.argument("club_code")
@click.argument("number", type=int)
@click.argument("roles", nargs=-1)
def set_roles_cmd(club_code: str, number: int, roles: tuple[str, ...]) -> None:
    """Replace a member's roles (none given: an ordinary member)."""
    from models.admin import set_roles

    role_list = _roles(",".join(roles))
    with _session() as s:
        set_roles(s, _member(s, _club(s, club_code), number), role_list)
    click.echo("roles set")


@cli.command("set-pin")
@click.argument("club_code")
@click.argument("number", type=int)
@click.argument("pin", required=False)
def set_pin_cmd(club_code: str, number: int, pin: str | None) -> None:
    """Set a member's 4-digit USSD PIN (no PIN given: remove it)."""
    from models.views import set_pin

    with _session() as s:
        member = _member(s, _club(s, club_code), number)
        try:
            set_pin(s, member, pin)
        except ValueError as exc:
            raise click.ClickException(str(exc)) from None
    click.echo("PIN set" if pin else "PIN removed")


@cli.command("add-supervisor")
@click.option("--name", required=True)
@click.option("--phone", required=True, help="Vietnamese mobile number")
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
    from menus.i18n import available_languages
    from models.admin import add_supervisor

    if not (provinces or communes or clubs):
        raise click.UsageError(
            "a supervisor needs an area: give --province, --commune or --club (repeatable)"
        )
    if language not in available_languages():
        raise click.UsageError(
            f"language {language!r}: one of {', '.join(sorted(available_languages()))}"
        )
    e164 = _mobile(phone)
    with _session() as s:
        existing = s.scalar(select(Supervisor).where(Supervisor.phone == e164))
        if existing is not None:
            raise click.ClickException(
                f"{phone} is already the phone of supervisor {existing.name}"
            )
        province_codes = [_province(s, p).code for p in provinces]
        commune_codes = [_commune(s, c, None).code for c in communes]
        club_ids = [_club(s, c).id for c in clubs]
        add_supervisor(
            s,
            name=name.strip(),
            phone=e164,
            language=language,
            provinces=province_codes,
            communes=commune_codes,
            club_ids=club_ids,
        )
    click.echo("supervisor added")


@cli.command("import-members")
@click.argument("club_code")
@click.argument("path", type=click.Path(exists=True, dir_okay=False, path_type=Path))
@click.option("--quiet", is_flag=True, help="only the totals and the refused rows")
def import_members_cmd(club_code: str, path: Path, quiet: bool) -> None:
    """Add or update members from .xlsx, .xls, .ods or .csv (columns in the README).

    Every row is reported: added, updated, unchanged or refused with the reason.
    """
    from models.importer import import_members

    with _session() as s:
        result = import_members(s, _club(s, club_code), path)
    for row in result.rows:
        if quiet and row.outcome != "refused":
            continue
        number = row.number if row.number is not None else "-"
        reason = f": {row.reason}" if row.reason else ""
        line = f"  row {row.line:>5}  #{number:<5} {row.outcome:9} {row.name}{reason}"
        click.echo(line, err=row.outcome == "refused")
    row_errors = {f"row {r.line}" for r in result.rows if r.outcome == "refused"}
    for err in result.errors:
        if err.split(":", 1)[0] not in row_errors:
            click.echo(f"error: {err}", err=True)
    click.echo(
        f"added {result.added}, updated {result.updated}, unchanged {result.unchanged}, "
        f"refused {result.refused}"
    )
    if result.errors:
        sys.exit(1)


@cli.command("seed-demo")
def seed_demo_cmd() -> None:
    """Load the demo clubs (Gia Lai), a year of history and a supervisor; idempotent."""
    from models.demo import PHONES, seed_demo

    with _session() as s:
        club = seed_demo(s, vn_today())
        click.echo(f"demo club {club.code} ready")
    for who, phone in PHONES.items():
        click.echo(f"  {who:20} {phone}")


@cli.command("export-report")
@click.option("--month", required=True, help="YYYY-MM, e.g. 2026-11")
@click.option("--province", help="2025 code or name (default: every club)")
@click.option("--out", "out", required=True, type=click.Path(dir_okay=False, path_type=Path))
def export_report_cmd(month: str, province: str | None, out: Path) -> None:
    """The month's figures per club as an Excel workbook (.xlsx)."""
    from models.export import export_month

    month = _month(month)
    if out.suffix.lower() != ".xlsx":
        raise click.UsageError(f"--out {out}: the report is an Excel file, end the name in .xlsx")
    if not out.parent.resolve().is_dir():
        raise click.UsageError(f"--out {out}: the folder {out.parent} does not exist")
    with _session() as s:
        code = _province(s, province).code if province else None
        rows = export_month(s, month, out, code)
    click.echo(f"{rows} clubs written to {out}")


def _job_names() -> dict[str, str]:
    """Short name -> dotted path, for every entry of the cron table."""
    from workers.schedule import ENTRIES

    return {e.func.rpartition(".")[2]: e.func for e in ENTRIES}


def _job_day(name: str, period: str | None) -> str | None:
    """The day a job should believe it is, from --period (a day, a week or a report month)."""
    if period is None:
        return None
    text = period.strip()
    try:
        if re.fullmatch(r"\d{4}-\d{2}-\d{2}", text):
            return date.fromisoformat(text).isoformat()
        week = re.fullmatch(r"(\d{4})-?W(\d{1,2})", text, re.IGNORECASE)
        if week and name == "weekly_supervisor_summaries":
            return date.fromisocalendar(int(week.group(1)), int(week.group(2)), 1).isoformat()
        if _MONTH.fullmatch(text) and name == "monthly_club_reports":
            first = date.fromisoformat(_month(text) + "-01")
            return (first + timedelta(days=32)).replace(day=1).isoformat()  # sent on the 1st after
    except (ValueError, click.UsageError):
        pass
    forms = "YYYY-MM-DD"
    if name == "weekly_supervisor_summaries":
        forms += " or a week YYYY-Www (e.g. 2026-W48)"
    if name == "monthly_club_reports":
        forms += " or the report's month YYYY-MM"
    raise click.UsageError(f"--period {period!r} for {name}: give {forms}")


@cli.command("run-job")
@click.argument("name", required=False)
@click.option("--period", help="the day (YYYY-MM-DD), week (YYYY-Www) or report month (YYYY-MM)")
@click.option("--force", is_flag=True, help="send again even if the period was already done")
def run_job_cmd(name: str | None, period: str | None, force: bool) -> None:
    """Run a scheduled job now, once per period like the clock; NAME from the list without it."""
    import importlib

    from models.messages import JobRun

    jobs = _job_names()
    if name is None or name not in jobs:
        if name is not None:
            click.echo(f"no job {name!r}; the jobs are:", err=True)
        for short, dotted in jobs.items():
            click.echo(f"  {short:30} {dotted}")
        if name is not None:
            sys.exit(2)
        return
    module, _, attr = jobs[name].rpartition(".")
    func = getattr(importlib.import_module(module), attr)
    if name == "sweep":
        if period or force:
            raise click.UsageError("sweep takes no --period or --force")
        click.echo(f"sweep: {func()}")
        return
    day = _job_day(name, period)
    with _session() as s:
        before = set(s.scalars(select(JobRun.key)))
    queued = func(day, force=force)
    with _session() as s:
        new = s.scalars(select(JobRun).where(JobRun.key.not_in(before))).all()
    as_of = day or vn_today().isoformat()
    if not new:
        click.echo(
            f"{name} as of {as_of}: that period was done already, nothing sent "
            "(--force sends it again)"
        )
        return
    click.echo(f"{name} as of {as_of} ({new[0].key}): {queued} messages queued")


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
@click.option("--queue", "names", multiple=True, default=QUEUES, type=click.Choice(QUEUES))
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

    with _session() as s:
        msg = s.get(InboundMessage, inbound_id)
        if msg is None:
            raise click.ClickException(f"no inbound message {inbound_id}")
        if msg.status == InboundStatus.FAILED:
            msg.status, msg.sweeps = InboundStatus.RECEIVED, 0
        elif msg.status != InboundStatus.RECEIVED:
            raise click.ClickException(f"message {inbound_id} is {msg.status}: nothing to replay")
    if not runtime.enqueue("inbound", "workers.jobs.process_inbound", inbound_id):
        raise click.ClickException("Redis is not reachable: the sweeper will take it when it is")
    click.echo("enqueued")


@cli.command("add-admin")
@click.option("--name", required=True)
@click.option("--phone", required=True, help="Vietnamese mobile number (gets the login codes)")
@click.option("--province", help="2025 code or name: the admin sees only that province")
def add_admin_cmd(name: str, phone: str, province: str | None) -> None:
    """Add a console administrator; the password is asked twice (or read from ADMIN_PASSWORD)."""
    from models.console import ConsoleAdmin, add_admin

    e164 = _mobile(phone)
    if not name.strip():
        raise click.UsageError("the administrator's name is empty")
    password = os.environ.get("ADMIN_PASSWORD") or click.prompt(
        "Password", hide_input=True, confirmation_prompt=True
    )
    if len(password) < 12:
        raise click.UsageError("the password is too short: at least 12 characters")
    with _session() as s:
        if s.scalar(select(ConsoleAdmin.id).where(ConsoleAdmin.phone == e164)) is not None:
            raise click.ClickException(f"{phone} is already an administrator's phone")
        code = _province(s, province).code if province else None
        add_admin(s, name=name.strip(), phone=e164, password=password, province_code=code)
    where = f"province {code}" if code else "every province"
    click.echo(f"administrator added ({where}): sign in at /console/login/admin")


def main() -> None:
    cli(prog_name=PROG)


if __name__ == "__main__":
    main()
