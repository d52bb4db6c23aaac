"""The console's area overview for a province supervisor at national scale, against a bare page.

    .venv/bin/python -m bench.console_bench [--clubs 20000] [--members 70] [--runs 5]

Loads the synthetic country of bench.national_bench into its own PostgreSQL database (default
dientua_console_bench, dropped first; --skip-load reuses it), then, in one process through the
Flask test client (no HTTP, so the page's own cost is what is measured), times:
  - the baseline: the console's login page (a template, a session, no query);
  - the overview of the largest province's supervisor: cold (the 12-month trend computed, two
    statements a month), then warm (finished months from the Redis cache);
  - its parts: this month's figures and indicators (models.console.area_overview) and the
    trend alone, cold;
  - the clubs table and the alerts page of the same supervisor.
Statements per page are counted too: they must not grow with the number of clubs.
"""

from __future__ import annotations

import argparse
import statistics
import time
from collections.abc import Callable
from datetime import date, timedelta
from typing import Any

from sqlalchemy import event

from bench import national_bench as nb
from bench.common import bench_config


def _median_ms(fn: Callable[[], Any], runs: int) -> float:
    times = []
    for _ in range(runs):
        t0 = time.perf_counter()
        fn()
        times.append((time.perf_counter() - t0) * 1000)
    return statistics.median(times)


def bench(url: str, runs: int, today: date) -> None:
    import time_machine

    import runtime
    from gateway import create_app
    from models import db, stats
    from models.console import AccountKind, area_overview, area_trend, open_session

    travel = time_machine.travel(f"{today} 10:00:00+07:00", tick=True)
    travel.start()  # signed cookies refuse a timestamp from the future: travel first
    cfg = bench_config(DATABASE_URL=url, CONSOLE_CACHE_SECONDS=3600)
    runtime.init(cfg)
    runtime.redis().flushdb()
    app = create_app(cfg)
    statements: list[str] = []
    event.listen(db.engine(), "before_cursor_execute",
                 lambda *a: statements.append(a[2]))  # fmt: skip

    with db.session_scope() as s:
        clubs = stats.supervisor_clubs(s, range(1, 35))
        sup, ids = max(clubs.items(), key=lambda kv: len(kv[1]))
        token = open_session(s, AccountKind.SUPERVISOR, sup, timedelta(days=1))
    client = app.test_client()
    with client.session_transaction(path="/console/") as sess:
        sess["sid"] = token
    bare = app.test_client()

    def page(path: str, c: Any = client) -> int:
        resp = c.get(path)
        assert resp.status_code == 200, (path, resp.status_code)
        return len(resp.data)

    rows: list[tuple[str, float, str]] = []
    page("/console/login", bare)  # templates compiled, connections made
    base = _median_ms(lambda: page("/console/login", bare), runs * 4)
    rows.append(("baseline: login page (no query)", base, ""))

    statements.clear()
    t0 = time.perf_counter()
    size = page("/console/")
    cold = (time.perf_counter() - t0) * 1000
    rows.append(
        (
            f"overview, cold ({len(ids)} clubs)",
            cold,
            f"{len(statements)} statements, {size:,} bytes",
        )
    )
    statements.clear()
    warm = _median_ms(lambda: page("/console/"), runs)
    rows.append(
        ("overview, warm (trend cached)", warm, f"{len(statements) // runs} statements a page")
    )

    def parts(fn: Callable[[Any], Any]) -> Callable[[], Any]:
        def run() -> Any:
            with db.read_session() as s:
                return fn(s)

        return run

    rows.append(
        (
            "  this month + indicators",
            _median_ms(parts(lambda s: area_overview(s, ids, today)), runs),
            "",
        )
    )
    rows.append(
        (
            "  12-month trend, uncached",
            _median_ms(parts(lambda s: area_trend(s, ids, today)), max(1, runs // 2)),
            "",
        )
    )
    statements.clear()
    rows.append(
        (
            "clubs table (page 1 of 50)",
            _median_ms(lambda: page("/console/clubs"), runs),
            f"{len(statements) // runs} statements",
        )
    )
    statements.clear()
    rows.append(
        (
            "alerts page",
            _median_ms(lambda: page("/console/alerts"), runs),
            f"{len(statements) // runs} statements",
        )
    )

    travel.stop()
    print(f"\n{'step':<40} {'ms':>10} {'x base':>9}  note")
    for label, ms, note in rows:
        print(f"{label:<40} {ms:10.1f} {ms / base:9.1f}  {note}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--clubs", type=int, default=20_000)
    parser.add_argument("--members", type=int, default=70, help="per club (at least 12)")
    parser.add_argument("--runs", type=int, default=5)
    parser.add_argument("--server", default="postgresql+psycopg://postgres@127.0.0.1:5432")
    parser.add_argument("--database", default="dientua_console_bench")
    parser.add_argument("--today", default="2026-11-30")
    parser.add_argument("--skip-load", action="store_true", help="reuse the loaded database")
    args = parser.parse_args()
    if args.members < 12:
        parser.error("--members must be at least 12")
    import logging

    logging.disable(logging.INFO)
    today = date.fromisoformat(args.today)
    url = f"{args.server}/{args.database}"
    if not args.skip_load:
        url = nb.create_database(args.server, args.database)
        nb.migrate(url)
        seconds, counts = nb.load(url, args, today)
        print(f"loaded {args.clubs:,} clubs in {seconds:.1f} s: members {counts['members']:,}")
    bench(url, args.runs, today)


if __name__ == "__main__":
    main()
