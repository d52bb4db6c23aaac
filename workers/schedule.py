"""The cron table: what runs when, in Vietnam time (the clock process sets TZ).

Each job is safe to run twice for the same period (see models.messages.JobRun).
"""

from __future__ import annotations

from dataclasses import dataclass

from workers import DEFAULT


@dataclass(frozen=True)
class Entry:
    func: str
    cron: str | None = None
    interval: int | None = None
    queue: str = DEFAULT


ENTRIES: list[Entry] = [
    # Stored-but-unqueued inbound rows, held outbound rows whose time has come.
    Entry("workers.jobs.sweep", interval=60),
]
