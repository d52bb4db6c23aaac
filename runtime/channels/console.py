"""A channel that sends nothing: it logs and keeps an outbox for development and the simulator."""

from __future__ import annotations

import json
import logging
import threading
import uuid
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from menus.clock import utcnow
from menus.encoding import count_segments
from runtime.channels.base import SendResult, SendStatus, channel_options, mask_number

log = logging.getLogger(__name__)


class ConsoleChannel:
    """Accepts every message; keeps it in memory and, if given a path, as JSON lines in a file."""

    name = "console"

    def __init__(
        self,
        *,
        outbox_path: str | Path | None = None,
        rate_per_second: float = 1000.0,
        accents_allowed: bool = False,
        rejected_chars: str = "",
    ) -> None:
        self.outbox_path = Path(outbox_path) if outbox_path else None
        self.rate_per_second = rate_per_second
        self.accents_allowed = accents_allowed
        self.rejected_chars = rejected_chars
        self.outbox: list[dict[str, Any]] = []
        self._lock = threading.Lock()

    @classmethod
    def from_config(cls, config: Mapping[str, Any]) -> ConsoleChannel:
        """Built from CONSOLE_OUTBOX and the shared SMS_* settings."""
        return cls(
            outbox_path=config.get("CONSOLE_OUTBOX") or None,
            **channel_options(config, default_rate=1000.0),
        )

    def send(self, to: str, text: str) -> SendResult:
        """Record the message and accept it."""
        provider_id = f"console-{uuid.uuid4()}"
        encoding, segments, _ = count_segments(text)
        entry = {
            "provider_id": provider_id,
            "to": to,
            "text": text,
            "encoding": encoding,
            "segments": segments,
            "sent_at": utcnow().isoformat(),
        }
        with self._lock:
            self.outbox.append(entry)
            if self.outbox_path is not None:
                try:
                    self.outbox_path.parent.mkdir(parents=True, exist_ok=True)
                    with self.outbox_path.open("a", encoding="utf-8") as fh:
                        fh.write(json.dumps(entry, ensure_ascii=False) + "\n")
                except OSError as exc:
                    log.warning("console outbox %s not writable: %s", self.outbox_path, exc)
                    return SendResult(SendStatus.RETRY, reason=f"outbox not writable: {exc}")
        log.info(
            "console sms to %s: %s, %d segment(s), id=%s",
            mask_number(to),
            encoding,
            segments,
            provider_id,
        )
        log.debug("console sms %s text: %s", provider_id, text)
        return SendResult(SendStatus.ACCEPTED, provider_id=provider_id, provider_status="Logged")


def read_outbox(path: str | Path, *, to: str | None = None) -> list[dict[str, Any]]:
    """The messages a console channel wrote to path (oldest first), optionally for one number."""
    file = Path(path)
    if not file.exists():
        return []
    entries = []
    with file.open(encoding="utf-8") as fh:
        for line in fh:
            line = line.strip()
            if not line:
                continue
            try:
                entry = json.loads(line)
            except ValueError:
                continue  # a line half-written by a concurrent sender
            if to is None or entry.get("to") == to:
                entries.append(entry)
    return entries
