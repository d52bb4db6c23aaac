"""The cron table: what runs when, in Vietnam time (the clock process sets TZ).

Each job is safe to run twice for the same period (see models.messages.JobRun).
"""

from __future__ import annotations

from dataclasses import dataclass

from runtime import DEFAULT


@dataclass(frozen=True)
class Entry:
    func: str
    cron: str | None = None
    interval: int | None = None
    queue: str = DEFAULT
    timeout: int = 600  # seconds before RQ stops the job (national runs take minutes)
    # Run by the clock process itself rather than queued: the sweeper must not wait behind the
    # very backlog it is there to rescue, nor stop when Redis does.
    in_clock: bool = False


ENTRIES: list[Entry] = [
    # Rows whose job Redis lost or that failed, held and retried sends whose time has come.
    Entry("workers.jobs.sweep", interval=20, timeout=120, in_clock=True),
    # Summaries and reminders (workers.summaries), all after the 21:00-07:00 quiet hours.
    Entry("workers.summaries.weekly_supervisor_summaries", cron="30 7 * * 1"),  # Monday
    Entry("workers.summaries.monthly_club_reports", cron="0 8 1 * *", timeout=1800),  # the 1st
    Entry("workers.summaries.instalment_reminders", cron="0 8 * * *"),
    Entry("workers.summaries.meeting_reminders", cron="10 8 * * *"),
    Entry("workers.summaries.silent_club_nudges", cron="0 9 * * *"),
]
