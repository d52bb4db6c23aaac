"""A week's supervisor summaries at national scale, against a bare aggregate in the same run.

    .venv/bin/python -m bench.national_bench [--clubs 20000] [--members 70] [--all-jobs]

Creates (drops first) a PostgreSQL database, default dientua_bench, migrates it with Alembic and
loads a synthetic country with generate_series (the big leaf tables UNLOGGED, secondary indexes
built after the load): 34 provinces, communes and commune supervisors in
proportion to the clubs (3,321 and 300 at 20,000 clubs), and a year of meetings, attendance,
readings, loans, repayments, activities, home visits, reports and help requests. Then it times,
with the peak memory of this process (getrusage):
  - the baseline: one GROUP BY over the period's readings of every club (the least a summary of
    every club must read);
  - the figures of every supervisor's area (models.stats.area_summaries);
  - the weekly job end to end (JobRun claim, one outbound row per supervisor), then a second run;
  - one province's and one commune's area_month_summary and one club's BC (SMS/USSD latency);
  - with --all-jobs, the monthly reports and the three daily reminder jobs.
The sends are not enqueued (a counter stands in): Redis is not what is measured here.
"""

from __future__ import annotations

import argparse
import resource
import statistics
import time
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from datetime import date, timedelta
from typing import Any

from sqlalchemy import Connection, Engine, create_engine, text

BIG_TABLES = (
    "members",
    "meetings",
    "attendance",
    "health_readings",
    "loans",
    "repayments",
    "activities",
    "home_visits",
    "reports",
    "help_requests",
    "fund_contributions",
)

RANDOM_FN = """
CREATE OR REPLACE FUNCTION bench_r(a bigint, b bigint) RETURNS double precision
LANGUAGE sql IMMUTABLE PARALLEL SAFE AS
$$ SELECT (hashint8(a * 1000003 + b) & 1048575)::double precision / 1048576.0 $$
"""


def _silent(club: str, day: str, today: date) -> str:
    """SQL: every 25th club has sent nothing for the last 60 days."""
    return f"NOT ({club} % 25 = 0 AND {day} >= DATE '{today}' - 60)"


def load_sql(
    clubs: int, members: int, communes: int, commune_sups: int, today: date
) -> list[tuple[str, str]]:
    """(label, statement) pairs that fill the bench database."""
    t = f"DATE '{today}'"
    m = members
    return [
        (
            "provinces",
            "INSERT INTO provinces (code, name) SELECT lpad(p::text, 2, '0'), "
            "'Tinh ' || p FROM generate_series(1, 34) p",
        ),
        (
            "communes",
            f"INSERT INTO communes (code, name, province_code) SELECT "
            f"lpad(c::text, 5, '0'), 'Xa ' || c, lpad((1 + c % 34)::text, 2, '0') "
            f"FROM generate_series(1, {communes}) c",
        ),
        (
            "clubs",
            f"""
INSERT INTO clubs (id, code, name, province_code, commune_code, village, founded_on, meeting_day,
  meeting_place, language, loan_interest_pct_month, loan_interest_method,
  loan_default_term_months, backdate_days, pin_required, fund_opening_vnd, created_at)
SELECT i, 'C' || lpad(i::text, 5, '0'), 'CLB ' || i,
  lpad((1 + (1 + i % {communes}) % 34)::text, 2, '0'), lpad((1 + i % {communes})::text, 5, '0'),
  'Thon ' || i, DATE '2018-01-01', 1 + i % 28, 'Nha van hoa', 'vi',
  CASE WHEN i % 3 = 0 THEN 0.5 ELSE 0 END, 'flat', 12, 62, false, 10000000,
  TIMESTAMPTZ '2024-01-01 00:00+00'
FROM generate_series(1, {clubs}) i""",
        ),
        (
            "members",
            f"""
INSERT INTO members (id, club_id, number, full_name, phone, birth_year, sex, status, joined_on,
  wants_meeting_reminder, created_at)
SELECT (c - 1) * {m} + k, c, k, 'Thanh vien ' || k,
  CASE WHEN k <= 6 OR bench_r(c, k) < 0.4
       THEN '+849' || lpad(((c - 1) * {m} + k)::text, 8, '0') END,
  1940 + (c + k) % 60, CASE WHEN (c + k) % 3 = 0 THEN 'M' ELSE 'F' END,
  CASE WHEN k > 6 AND bench_r(k, c) < 0.03 THEN 'left' ELSE 'active' END,
  DATE '2018-01-01', bench_r(c, k + 7) < 0.2, TIMESTAMPTZ '2024-01-01 00:00+00'
FROM generate_series(1, {clubs}) c, generate_series(1, {m}) k""",
        ),
        (
            "member_roles",
            f"""
INSERT INTO member_roles (member_id, role)
SELECT (c - 1) * {m} + k, (ARRAY['chair', 'vice_chair', 'secretary', 'treasurer',
  'health_volunteer', 'homecare_volunteer'])[k]
FROM generate_series(1, {clubs}) c, generate_series(1, 6) k""",
        ),
        (
            "meetings",
            f"""
INSERT INTO meetings (club_id, held_on)
SELECT c.id, d.held FROM clubs c CROSS JOIN LATERAL (
  SELECT make_date(extract(year FROM ms)::int, extract(month FROM ms)::int, c.meeting_day) AS held
  FROM generate_series(date_trunc('month', {t}) - interval '12 months', date_trunc('month', {t}),
                       interval '1 month') ms) d
WHERE d.held < {t} AND d.held > {t} - 365 AND {_silent("c.id", "d.held", today)}
  AND bench_r(c.id, d.held - DATE '2000-01-01') >= 0.03
ORDER BY c.id, d.held""",
        ),
        (
            "attendance",
            """
INSERT INTO attendance (meeting_id, member_id)
SELECT mt.id, mb.id FROM meetings mt JOIN members mb ON mb.club_id = mt.club_id
WHERE mb.status = 'active' AND bench_r(mb.id, mt.id) < 0.8
ORDER BY mt.id, mb.id""",
        ),
        (
            "health_readings",
            """
INSERT INTO health_readings (club_id, member_id, taken_on, systolic, diastolic, pulse, grade,
  alert, created_at)
SELECT club_id, member_id, held_on, sys, 60 + (sys - 100) / 2, 75,
  CASE WHEN sys >= 180 THEN 'grade_3' WHEN sys >= 160 THEN 'grade_2' WHEN sys >= 140
       THEN 'grade_1' ELSE 'normal' END,
  CASE WHEN sys >= 180 THEN 'red' WHEN sys >= 160 THEN 'amber' ELSE 'none' END, now()
FROM (SELECT mt.club_id, mb.id AS member_id, mt.held_on,
        100 + floor(95 * power(bench_r(mb.id, mt.id + 1), 4))::int AS sys
      FROM meetings mt JOIN members mb ON mb.club_id = mt.club_id
      -- the attendance predicate, so that only members present are measured
      WHERE mb.status = 'active' AND bench_r(mb.id, mt.id) < 0.8
        AND bench_r(mb.id, mt.id + 2) < 0.7) r""",
        ),
        (
            "loans",
            f"""
INSERT INTO loans (club_id, member_id, principal_vnd, interest_pct_month, interest_method,
  term_months, disbursed_on, created_at)
SELECT club_id, id, principal, pct, 'flat', term, disbursed, now() FROM (
  SELECT mb.club_id, mb.id, c.loan_interest_pct_month AS pct,
    1000000 * (2 + floor(18 * power(bench_r(mb.id, 11), 2))::int) AS principal,
    (ARRAY[6, 12, 12, 12, 18, 24])[1 + floor(6 * bench_r(mb.id, 12))::int] AS term,
    (date_trunc('month', {t}) - make_interval(months => 1 + floor(11 * bench_r(mb.id, 13))::int)
     )::date + (c.meeting_day - 1) AS disbursed
  FROM members mb JOIN clubs c ON c.id = mb.club_id
  WHERE mb.status = 'active' AND bench_r(mb.id, 10) < 0.35) l
WHERE {_silent("club_id", "disbursed", today)}""",
        ),
        (
            "repayments",
            f"""
INSERT INTO repayments (loan_id, club_id, member_id, amount_vnd, paid_on, created_at)
SELECT id, club_id, member_id, amount, due, now() FROM (
  SELECT l.id, l.club_id, l.member_id, k,
    CASE WHEN k < l.term_months THEN l.principal_vnd / l.term_months
         ELSE l.principal_vnd - (l.principal_vnd / l.term_months) * (l.term_months - 1) END
    + round(l.principal_vnd * l.interest_pct_month / 100)::int AS amount,
    (l.disbursed_on + make_interval(months => k))::date AS due,
    CASE WHEN bench_r(l.id, 20) < 0.15 THEN 1 + floor(4 * bench_r(l.id, 21))::int
         ELSE l.term_months END AS paid_upto
  FROM loans l CROSS JOIN LATERAL generate_series(1, l.term_months) k) r
WHERE due < {t} AND k <= paid_upto AND {_silent("club_id", "due", today)}""",
        ),
        (
            "activities",
            """
INSERT INTO activities (club_id, area, held_on, people, created_at)
SELECT mt.club_id, a, mt.held_on, 5 + floor(40 * bench_r(mt.id, a))::int, now()
FROM meetings mt CROSS JOIN generate_series(1, 8) a
WHERE bench_r(mt.id, 100 + a) < 0.4 + 0.6 * bench_r(mt.club_id, 99)""",
        ),
        (
            "home_visits",
            f"""
INSERT INTO home_visits (club_id, member_id, volunteer_member_id, visited_on, created_at)
SELECT c.id, (c.id - 1) * {m} + k, (c.id - 1) * {m} + 6, w::date, now()
FROM clubs c CROSS JOIN generate_series({t} - 364, {t} - 1, interval '7 days') w
  CROSS JOIN generate_series(10, 11) k
WHERE {_silent("c.id", "w::date", today)} AND bench_r(c.id, w::date - DATE '2000-01-01') < 0.9""",
        ),
        (
            "fund_contributions",
            """
INSERT INTO fund_contributions (club_id, amount_vnd, given_on, created_at)
SELECT club_id, 500000, held_on, now() FROM meetings""",
        ),
        (
            "help_requests",
            f"""
INSERT INTO help_requests (club_id, member_id, kind, channel, status, created_at)
SELECT mt.club_id, (mt.club_id - 1) * {m} + 12, 'ill', 'sms',
  CASE WHEN mt.held_on > {t} - 30 THEN 'open' ELSE 'done' END,
  (mt.held_on + time '10:00') AT TIME ZONE 'Asia/Ho_Chi_Minh'
FROM meetings mt WHERE bench_r(mt.id, 300) < 0.3""",
        ),
        (
            "reports",
            """
INSERT INTO reports (club_id, ref, source_key, summary, created_at)
SELECT club_id, 'R' || lpad(row_number() OVER (PARTITION BY club_id ORDER BY d)::text, 3, '0'),
  'bench:' || club_id || ':' || d || ':' || kind, '',
  (d + time '10:00') AT TIME ZONE 'Asia/Ho_Chi_Minh'
FROM (SELECT club_id, held_on AS d, 'm' AS kind FROM meetings
      UNION ALL
      SELECT DISTINCT club_id, visited_on, 'v' FROM home_visits) r""",
        ),
        (
            "supervisors",
            f"""
INSERT INTO supervisors (id, name, phone, language, active, created_at)
SELECT p, 'GS tinh ' || p, '+84980' || lpad(p::text, 6, '0'), 'vi', true, now()
FROM generate_series(1, 34) p
UNION ALL
SELECT 34 + s, 'GS xa ' || s, '+84981' || lpad(s::text, 6, '0'),
  CASE WHEN s % 10 = 0 THEN 'en' ELSE 'vi' END, true, now()
FROM generate_series(1, {commune_sups}) s""",
        ),
        (
            "supervisor_areas",
            f"""
INSERT INTO supervisor_areas (supervisor_id, kind, province_code, commune_code)
SELECT p, 'province', lpad(p::text, 2, '0'), NULL FROM generate_series(1, 34) p
UNION ALL
SELECT 35 + c % {commune_sups}, 'commune', NULL, lpad(c::text, 5, '0')
FROM generate_series(1, {communes}) c""",
        ),
        (
            "sequences",
            """
SELECT setval('clubs_id_seq', (SELECT max(id) FROM clubs)),
       setval('members_id_seq', (SELECT max(id) FROM members)),
       setval('supervisors_id_seq', (SELECT max(id) FROM supervisors))""",
        ),
    ]


def _rss_mb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def _timed(label: str, fn: Callable[[], Any], rows: list[tuple[str, float, float, str]]) -> Any:
    start = time.perf_counter()
    out = fn()
    rows.append((label, time.perf_counter() - start, _rss_mb(), str(out)))
    return out


def create_database(server: str, name: str) -> str:
    admin = create_engine(f"{server}/postgres", isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        conn.execute(text(f'CREATE DATABASE "{name}"'))
    admin.dispose()
    return f"{server}/{name}"


def migrate(url: str) -> None:
    from alembic import command
    from alembic.config import Config

    from runtime.settings import ROOT

    cfg = Config(str(ROOT / "alembic.ini"))
    cfg.attributes["url"] = url
    cfg.attributes["skip_logging"] = True
    command.upgrade(cfg, "head")


def _secondary_indexes(conn: Connection) -> list[tuple[str, str]]:
    """(name, definition) of the big tables' indexes that back no constraint."""
    return [
        (r[0], r[1])
        for r in conn.execute(
            text(
                "SELECT indexname, indexdef FROM pg_indexes WHERE schemaname = 'public'"
                " AND tablename = ANY(:tables)"
                " AND indexname NOT IN (SELECT conname FROM pg_constraint)"
            ),
            {"tables": list(BIG_TABLES)},
        )
    ]


# A throwaway database: the tables no foreign key points to skip the WAL (reads are the same).
UNLOGGED = (
    # alert_handlings first: a logged table may not reference the unlogged ones below.
    "alert_handlings",
    "attendance",
    "health_readings",
    "repayments",
    "activities",
    "home_visits",
    "fund_contributions",
    "help_requests",
)
# After the clubs, members and meetings, two connections load these side by side (2 cores).
PARALLEL = (
    ("attendance", "loans", "repayments", "activities"),
    ("health_readings", "home_visits", "fund_contributions", "help_requests", "reports"),
)
SESSION = (
    "SET session_replication_role = replica",  # no FK triggers while loading
    "SET synchronous_commit = off",
    "SET maintenance_work_mem = '512MB'",
    "SET work_mem = '256MB'",
)


def _run_sql(
    engine: Engine, statements: list[tuple[str, str]], counts: dict[str, int], quiet: bool = False
) -> None:
    with engine.begin() as conn:
        for setting in SESSION:
            conn.execute(text(setting))
        for label, sql in statements:
            t0 = time.perf_counter()
            n = conn.execute(text(sql)).rowcount
            counts[label] = n
            if not quiet:
                print(
                    f"  load {label:<20} {n:>12,} rows {time.perf_counter() - t0:8.1f} s",
                    flush=True,
                )


def _side_by_side(
    engine: Engine,
    batches: list[list[tuple[str, str]]],
    counts: dict[str, int],
    quiet: bool = False,
) -> None:
    with ThreadPoolExecutor(len(batches)) as pool:
        for future in [pool.submit(_run_sql, engine, b, counts, quiet) for b in batches]:
            future.result()


def load(url: str, args: argparse.Namespace, today: date) -> tuple[float, dict[str, int]]:
    """Fill the database; returns the seconds it took and the row counts."""
    scale = args.clubs / 20_000
    communes = max(34, round(3321 * scale))
    commune_sups = max(1, round(300 * scale))
    engine = create_engine(url, pool_size=4)
    start = time.perf_counter()
    counts: dict[str, int] = {}
    with engine.begin() as conn:
        conn.execute(text(RANDOM_FN))
        for table in UNLOGGED:
            conn.execute(text(f"ALTER TABLE {table} SET UNLOGGED"))
        indexes = _secondary_indexes(conn)
        for name, _ in indexes:
            conn.execute(text(f'DROP INDEX "{name}"'))
    statements = dict(load_sql(args.clubs, args.members, communes, commune_sups, today))
    parallel = {label for batch in PARALLEL for label in batch}
    first = [(k, v) for k, v in statements.items() if k not in parallel][:6]
    rest = [(k, v) for k, v in statements.items() if k not in parallel][6:]
    _run_sql(engine, first, counts)
    _side_by_side(engine, [[(k, statements[k]) for k in batch] for batch in PARALLEL], counts)
    _run_sql(engine, rest, counts)
    t0 = time.perf_counter()
    _side_by_side(
        engine,
        [[(f"index {i}", d) for i, (_, d) in enumerate(indexes) if i % 2 == j] for j in (0, 1)],
        {},
        quiet=True,
    )
    print(f"  indexes ({len(indexes)})            {time.perf_counter() - t0:8.1f} s", flush=True)
    t0 = time.perf_counter()
    with engine.connect().execution_options(isolation_level="AUTOCOMMIT") as conn:
        conn.execute(text("VACUUM ANALYZE"))
    print(f"  vacuum analyze               {time.perf_counter() - t0:8.1f} s", flush=True)
    engine.dispose()
    counts["communes"], counts["commune supervisors"] = communes, commune_sups
    return time.perf_counter() - start, counts


def bench(url: str, today: date, all_jobs: bool) -> None:
    import workers.summaries as jobs
    from models import db, stats

    db.configure(url)
    enqueued: list[int] = []
    jobs.enqueue_sends = enqueued.extend  # type: ignore[assignment]
    rows: list[tuple[str, float, float, str]] = []
    start, end = stats.rolling_month(today - timedelta(days=1))
    print(f"\nperiod {start} .. {end}; process peak RSS before: {_rss_mb():.0f} MB", flush=True)

    def baseline() -> int:
        with db.session_scope() as s:
            return len(
                s.execute(
                    text(
                        "SELECT club_id, count(*), max(taken_on) FROM health_readings"
                        " WHERE taken_on BETWEEN :s AND :e AND voided_at IS NULL GROUP BY club_id"
                    ),
                    {"s": start, "e": end},
                ).all()
            )

    def figures() -> str:
        with db.session_scope() as s:
            areas = stats.area_summaries(s, start, end, active_only=True)
            clubs = {c.club_id for a in areas.values() for c in a.clubs}
            silent = sum(a.silent for a in areas.values() if a.supervisor_id <= 34)
            overdue = sum(a.overdue_loans for a in areas.values() if a.supervisor_id <= 34)
            red = sum(a.red_alerts for a in areas.values() if a.supervisor_id <= 34)
            return (
                f"{len(areas)} areas, {len(clubs)} clubs; national: {silent} silent, "
                f"{overdue} overdue loans, {red} red alerts"
            )

    _timed("baseline: readings GROUP BY club", baseline, rows)
    _timed("figures of every area (stats)", figures, rows)
    _timed("weekly job, first run", lambda: jobs.weekly_supervisor_summaries(str(today)), rows)
    _timed("weekly job, second run", lambda: jobs.weekly_supervisor_summaries(str(today)), rows)

    def latency(fn: Callable[[Any], Any]) -> str:
        times = []
        for _ in range(3):
            with db.session_scope() as s:
                t0 = time.perf_counter()
                fn(s)
                times.append(time.perf_counter() - t0)
        return f"median {statistics.median(times):.3f} s"

    with db.session_scope() as s:
        biggest = max(stats.supervisor_clubs(s, range(1, 35)).items(), key=lambda kv: len(kv[1]))
        commune_sup = 35
        n_commune = len(stats.supervisor_clubs(s, [commune_sup]).get(commune_sup, []))
        any_club = biggest[1][0]
    _timed(
        f"BC province ({len(biggest[1])} clubs) x3",
        lambda: latency(lambda s: stats.area_month_summary(s, biggest[0], today)),
        rows,
    )
    _timed(
        f"BC commune supervisor ({n_commune} clubs) x3",
        lambda: latency(lambda s: stats.area_month_summary(s, commune_sup, today)),
        rows,
    )
    _timed(
        "BC one club x3",
        lambda: latency(lambda s: stats.club_month_summary(s, any_club, today)),
        rows,
    )
    if all_jobs:
        first = today.replace(day=1) + timedelta(days=32)
        _timed(
            "monthly reports (every club)",
            lambda: jobs.monthly_club_reports(str(first.replace(day=1))),
            rows,
        )
        _timed("instalment reminders", lambda: jobs.instalment_reminders(str(today)), rows)
        _timed("meeting reminders", lambda: jobs.meeting_reminders(str(today)), rows)
        _timed("silent club nudges", lambda: jobs.silent_club_nudges(str(today)), rows)

    base = rows[0][1]
    print(f"\n{'step':<44} {'seconds':>9} {'x base':>8} {'peak MB':>8}  result")
    for label, secs, rss, out in rows:
        print(f"{label:<44} {secs:9.3f} {secs / base:8.1f} {rss:8.0f}  {out}")
    print(f"sends that would be enqueued: {len(enqueued)}")
    with db.session_scope() as s:
        sample = (
            s.execute(
                text(
                    "SELECT text FROM outbound_messages WHERE dedupe_key LIKE 'sum.weekly:%'"
                    " ORDER BY id LIMIT 2"
                )
            )
            .scalars()
            .all()
        )
    for msg in sample:
        print(f"  e.g. [{len(msg)} chars] {msg}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--clubs", type=int, default=20_000)
    parser.add_argument("--members", type=int, default=70, help="per club (at least 12)")
    parser.add_argument("--server", default="postgresql+psycopg://postgres@127.0.0.1:5432")
    parser.add_argument("--database", default="dientua_bench")
    parser.add_argument("--today", default="2026-11-30", help="the Monday of the weekly run")
    parser.add_argument("--all-jobs", action="store_true", help="also the monthly and daily jobs")
    parser.add_argument("--skip-load", action="store_true", help="reuse the loaded database")
    args = parser.parse_args()
    if args.members < 12:
        parser.error("--members must be at least 12")
    today = date.fromisoformat(args.today)
    url = f"{args.server}/{args.database}"
    if not args.skip_load:
        url = create_database(args.server, args.database)
        t0 = time.perf_counter()
        migrate(url)
        print(
            f"migrated in {time.perf_counter() - t0:.1f} s; loading {args.clubs:,} clubs "
            f"x {args.members} members",
            flush=True,
        )
        seconds, counts = load(url, args, today)
        print(
            f"loaded in {seconds:.1f} s: "
            + ", ".join(f"{k} {v:,}" for k, v in counts.items() if k != "sequences")
        )
    bench(url, today, args.all_jobs)


if __name__ == "__main__":
    main()
