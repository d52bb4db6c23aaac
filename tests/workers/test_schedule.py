"""The cron table: every entry resolves to a job function, at a daytime hour, with a timeout."""

from __future__ import annotations

import importlib

from workers.clock import build_scheduler
from workers.schedule import ENTRIES


def test_every_entry_names_a_real_function_and_registers(rt):
    sched = build_scheduler()
    assert len(sched.get_jobs()) == len([e for e in ENTRIES if not e.in_clock])
    for e in ENTRIES:
        module, _, name = e.func.rpartition(".")
        assert callable(getattr(importlib.import_module(module), name))
        assert (e.cron is None) != (e.interval is None)
        assert e.timeout > 0


def test_cron_jobs_run_outside_quiet_hours():
    for e in ENTRIES:
        if e.cron:
            minute, hour, *_ = e.cron.split()
            assert 7 <= int(hour) < 21, e.func
