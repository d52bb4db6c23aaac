"""A tiny transcript format for SMS conversations, played through the real webhook and worker.

    # a comment
    @ 2026-11-21 09:00        travel to this Vietnam time (or "@ +15m", "@ +2d": move on)
    SEC > TRA 12 200k         an SMS from a phone (a name below or "+8491..."), "\\n" for a newline
    < OK #{A}: TRA TV12 200.000d, con no 1.800.000d. Sai? HUY {A}
    HEALTH < CANH BAO HA ...  an SMS the same message caused to another phone
    < -                       no reply at all
    = repayments 1            the table holds this many rows (voided ones included)

Expected texts are literal except for placeholders: "{A}" (capital letters or digits) is a report
reference, bound at its first use and the same value afterwards (sent texts may use it too);
"{*}" is any text. Every SMS a message causes must be expected: nothing more, nothing less.

No SMS may need more than two parts: checked on the text the send job composed, before any cut
(the composer's truncated flag), since the text sent is always cut to fit.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from itertools import count
from typing import Any

from sqlalchemy import text as sql
from sqlalchemy.orm import Session

from menus.clock import VN_TZ
from menus.encoding import Composed
from runtime.channels.console import ConsoleChannel
from tests.factories import (
    CHAIR_PHONE,
    HEALTH_PHONE,
    HOMECARE_PHONE,
    MEMBER_PHONE,
    SECRETARY_PHONE,
    SHARED_PHONE,
)

PHONES = {
    "SEC": SECRETARY_PHONE,
    "CHAIR": CHAIR_PHONE,
    "HEALTH": HEALTH_PHONE,
    "HOMECARE": HOMECARE_PHONE,
    "MEMBER": MEMBER_PHONE,
    "SHARED": SHARED_PHONE,
    "K13SEC": "+84913000001",
    "K13CHAIR": "+84913000002",
    "K13HEALTH": "+84913000003",
    "STRANGER": "+84987654321",
}
REF = "[2-9A-HJ-NP-Z]{4}"
_PLACEHOLDER = re.compile(r"\{(\*|[A-Z][A-Z0-9]*)\}")
_ids = count(1)


@dataclass
class Out:
    """One SMS the system sent (as the console channel received it)."""

    to: str
    text: str


@dataclass
class Conversation:
    """Sends SMS through /sms/inbound, runs the worker, returns what went out."""

    client: Any
    session: Session
    run_jobs: Any
    channel: ConsoleChannel
    traveller: Any
    refs: dict[str, str] = field(default_factory=dict)
    step: timedelta = timedelta(minutes=1)  # between two messages, so the loop guard sleeps
    composed: list[tuple[str, Composed]] = field(default_factory=list)  # (text given, result)

    def watch_composer(self, monkeypatch: Any) -> None:
        """Keep what the send job gives the composer and gets back, to check it uncut."""
        import workers.sending

        compose = workers.sending.compose

        def watched(text: str, **options: Any) -> Composed:
            result = compose(text, **options)
            self.composed.append((text, result))
            return result

        monkeypatch.setattr(workers.sending, "compose", watched)

    def phone(self, name: str) -> str:
        return PHONES.get(name, name)

    def now(self) -> datetime:
        return datetime.now(UTC)

    def travel(self, spec: str) -> None:
        """ "+15m", "+2d", "+3h" move the clock on; "2026-11-21 09:00" goes there (Vietnam time)."""
        if spec.startswith("+"):
            unit = {"m": "minutes", "h": "hours", "d": "days"}[spec[-1]]
            self.traveller.shift(timedelta(**{unit: int(spec[1:-1])}))
        else:
            self.traveller.move_to(datetime.fromisoformat(spec).replace(tzinfo=VN_TZ))

    def post(self, sender: str, text: str) -> Any:
        """The provider's callback, as Africa's Talking posts it (dates in UTC)."""
        form = {
            "from": self.phone(sender),
            "to": "8085",
            "text": text,
            "date": self.now().strftime("%Y-%m-%d %H:%M:%S"),
            "id": f"ATXid_{next(_ids)}",
            "linkId": "",
            "networkCode": "45204",
        }
        return self.client.post("/sms/inbound", data=form)

    def send(self, sender: str, text: str) -> list[Out]:
        """One SMS in, the worker run to the end; every SMS it caused, in order."""
        self.traveller.shift(self.step)
        before, composed_before = len(self.channel.outbox), len(self.composed)
        resp = self.post(sender, text)
        assert resp.status_code == 200, resp.get_data(as_text=True)
        self.run_jobs()
        self.session.expire_all()
        outs = [Out(e["to"], e["text"]) for e in self.channel.outbox[before:]]
        # SMS-COMMANDS.md: "Two parts at most", for the whole text (a longer one is sent cut).
        assert len(self.composed) - composed_before >= len(outs), "call watch_composer() first"
        for given, result in self.composed[composed_before:]:
            over = result.truncated or result.segments > 2
            assert not over, f"{text!r} -> {given!r} ({len(given)} chars) is over 2 SMS"
        return outs

    def check(self, rows: Iterable[tuple[str, str, str]]) -> None:
        """Send each (sender, text, expected reply) in turn; every mismatch reported at once."""
        wrong = []
        for sender, text, expected in rows:
            got = [o.text for o in self.send(sender, self.fill(text)) if o.to == self.phone(sender)]
            if len(got) != 1 or not self.pattern(expected).fullmatch(got[0]):
                wrong.append(f"{sender} > {text!r}\n    want: {expected}\n    got:  {got}")
        assert not wrong, f"{len(wrong)} replies differ:\n" + "\n".join(wrong)

    def count(self, table: str) -> int:
        return int(self.session.execute(sql(f"SELECT count(*) FROM {table}")).scalar_one())

    # -----------------------------------------------------------------------------------------

    def fill(self, text: str) -> str:
        """A sent text with bound references put in."""
        return _PLACEHOLDER.sub(lambda m: self.refs[m[1]], text).replace("\\n", "\n")

    def pattern(self, expected: str) -> re.Pattern[str]:
        """An expected text as a regular expression (placeholders as the docstring says)."""
        expected = expected.replace("\\n", "\n")
        parts: list[str] = []
        pos = 0
        named: set[str] = set()
        for m in _PLACEHOLDER.finditer(expected):
            parts.append(re.escape(expected[pos : m.start()]))
            name = m[1]
            if name == "*":
                parts.append(".*?")
            elif name in self.refs:
                parts.append(re.escape(self.refs[name]))
            elif name in named:
                parts.append(f"(?P={name})")
            else:
                parts.append(f"(?P<{name}>{REF})")
                named.add(name)
            pos = m.end()
        parts.append(re.escape(expected[pos:]))
        return re.compile("".join(parts), re.DOTALL)

    def expect(self, outs: list[Out], expected: list[tuple[str, str]], sent: str) -> None:
        """Match every SMS sent to one expected line (to, text); bind the references."""
        left = list(outs)
        for to, text in expected:
            pat = self.pattern(text)
            hit = next((o for o in left if o.to == to and pat.fullmatch(o.text)), None)
            if hit is None:
                got = "\n".join(f"  {o.to} < {o.text}" for o in left) or "  (nothing)"
                raise AssertionError(f"after {sent!r} expected\n  {to} < {text}\ngot\n{got}")
            m = pat.fullmatch(hit.text)
            assert m is not None
            self.refs.update(m.groupdict())
            left.remove(hit)
        if left:
            extra = "\n".join(f"  {o.to} < {o.text}" for o in left)
            raise AssertionError(f"after {sent!r} unexpected SMS:\n{extra}")

    def play(self, script: str) -> None:
        """Run a transcript (see the module docstring)."""
        pending: tuple[str, str, list[Out]] | None = None
        expected: list[tuple[str, str]] = []

        def settle() -> None:
            if pending is not None:
                self.expect(pending[2], expected, pending[1])
            expected.clear()

        for raw in script.splitlines():
            line = raw.strip()
            if not line or line.startswith("#"):
                continue
            if line.startswith("@"):
                settle()
                pending = None
                self.travel(line[1:].strip())
            elif line.startswith("="):
                settle()
                pending = None
                table, n = line[1:].split()
                assert self.count(table) == int(n), f"{table}: {self.count(table)} rows, not {n}"
            elif line.startswith("<") or re.match(r"^\S+ <( |$)", line):
                assert pending is not None, f"an answer without a message: {line}"
                who, _, text = line.partition("<")
                to = self.phone(who.strip()) if who.strip() else pending[0]
                text = text[1:] if text.startswith(" ") else text
                if text != "-":
                    expected.append((to, text))
            else:
                settle()
                who, sep, text = line.partition(" > ")
                assert sep, f"not a transcript line: {line}"
                sender = self.phone(who.strip())
                pending = (sender, text, self.send(sender, self.fill(text)))
        settle()
