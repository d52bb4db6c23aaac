"""Health commands: HA (blood pressure, with pulse, weight and glucose), CN (weight only).

The plausible ranges are defined here once (docs/DOMAIN.md); a value outside is a typo or a broken
meter, never stored. USSD's BP screens are to check against the same ranges.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from decimal import Decimal

from menus.sms.reading import (
    MAX_MEMBER,
    PUNCT,
    CommandSpec,
    ErrorCode,
    Mistake,
    Reader,
    extra_number,
    member_of,
    need_member,
    shown,
)

SYS_RANGE = (60, 260)
DIA_RANGE = (30, 160)
PULSE_RANGE = (30, 200)
WEIGHT_RANGE = (20, 150)
GLUCOSE_RANGE = (Decimal("1.0"), Decimal("35"))
GLUCOSE_MG_PER_MMOL = 18


@dataclass(frozen=True)
class Reading:
    """One health reading; member None means the sender's own member."""

    member: int | None
    systolic: int
    diastolic: int
    pulse: int | None = None
    weight_kg: Decimal | None = None
    glucose_mmol: Decimal | None = None


@dataclass(frozen=True)
class HaArgs:
    """Health readings, one per member."""

    readings: tuple[Reading, ...]


@dataclass(frozen=True)
class Weight:
    """One weight of a CN command."""

    member: int
    kg: Decimal


@dataclass(frozen=True)
class CnArgs:
    """Weights only."""

    weights: tuple[Weight, ...]


_PREFIX_FIELD = {
    "m": "pulse", "mach": "pulse", "p": "pulse", "hr": "pulse", "nhip": "pulse",
    "cn": "weight", "can": "weight", "w": "weight", "kg": "weight",
    "dh": "glucose", "duong": "glucose", "g": "glucose", "glu": "glucose",
}  # fmt: skip
_SUFFIX_FIELD = {
    "kg": "weight", "bpm": "pulse", "mmol": "glucose", "mmol/l": "glucose", "mg": "glucose_mg",
    "mg/dl": "glucose_mg",
}  # fmt: skip
_NUM = r"\d{1,4}(?:[.,]\d{1,2})?"
_UNITS = "|".join(sorted(_SUFFIX_FIELD, key=len, reverse=True))
_PREFIXED = re.compile(
    rf"(?P<f>{'|'.join(sorted(_PREFIX_FIELD, key=len, reverse=True))})[:=]?(?P<v>{_NUM})"
    rf"(?P<u>{_UNITS})?"
)
_SUFFIXED = re.compile(rf"(?P<v>{_NUM})(?P<u>{_UNITS})")
_VALUE = re.compile(rf"(?P<v>{_NUM})(?P<u>{_UNITS})?")
_BP = re.compile(r"(\d{2,3})[/-](\d{2,3})(?:[/-](\d{2,3}))?(?:mmhg)?")


@dataclass
class _RawReading:
    pre: list[tuple[int, str]] = field(default_factory=list)  # bare numbers before the BP
    member: int | None = None  # "#12" / "tv12": a member for certain
    bp: tuple[int, int, str] | None = None
    post: list[tuple[int, str]] = field(default_factory=list)
    fields: dict[str, tuple[Decimal, str]] = field(default_factory=dict)

    def empty(self) -> bool:
        return not (self.pre or self.member is not None or self.bp or self.post or self.fields)


def _ha_words(reader: Reader) -> list[str]:
    """Folded HA tokens, "150 / 95" joined and "M 80" / "52 kg" kept as pairs."""
    text = " ".join(reader.lows())
    text = re.sub(r"(\d)\s*([/-])\s*(?=\d)", r"\1\2", text)
    return text.split()


def _ha_field(words: list[str], i: int) -> tuple[str, Decimal, str, int] | None:
    """A prefixed or suffixed measurement at words[i]: (field, value, text, words used)."""
    w = words[i]
    nxt = words[i + 1] if i + 1 < len(words) else ""
    if (m := _PREFIXED.fullmatch(w)) is not None:
        name = _SUFFIX_FIELD.get(m["u"] or "", _PREFIX_FIELD[m["f"]])
        return name, _decimal(m["v"]), w, 1
    prefix = w.rstrip(":=")
    if prefix in _PREFIX_FIELD and (v := _VALUE.fullmatch(nxt)) is not None:
        unit, used = v["u"], 2
        after = words[i + 2] if i + 2 < len(words) else ""
        if unit is None and after in _SUFFIX_FIELD:
            unit, used = after, 3
        name = _SUFFIX_FIELD[unit] if unit else _PREFIX_FIELD[prefix]
        return name, _decimal(v["v"]), f"{w}{nxt}", used
    if (m := _SUFFIXED.fullmatch(w)) is not None:
        return _SUFFIX_FIELD[m["u"]], _decimal(m["v"]), w, 1
    if re.fullmatch(_NUM, w) and nxt in _SUFFIX_FIELD and nxt != "bpm":
        return _SUFFIX_FIELD[nxt], _decimal(w), f"{w}{nxt}", 2
    return None


def _decimal(text: str) -> Decimal:
    return Decimal(text.replace(",", "."))


def _collect_readings(words: list[str]) -> list[_RawReading]:
    readings: list[_RawReading] = []
    cur = _RawReading()

    def close() -> _RawReading:
        if not cur.empty():
            readings.append(cur)
        return _RawReading()

    def member() -> int | None:
        return cur.member if cur.member is not None or len(cur.pre) != 1 else cur.pre[0][0]

    i = 0
    while i < len(words):
        w = words[i]
        nxt = words[i + 1] if i + 1 < len(words) else ""
        if w == ",":
            cur = close()
            i += 1
            continue
        if w == "mmhg" or PUNCT.fullmatch(w):
            i += 1
            continue
        if (bp := _BP.fullmatch(w)) is not None:
            if cur.bp is not None:
                cur = close()
            cur.bp = (int(bp[1]), int(bp[2]), w)
            if bp[3]:
                cur.post.append((int(bp[3]), bp[3]))
            i += 1
            continue
        if (found := _ha_field(words, i)) is not None:
            name, value, text, used = found
            if name in cur.fields:
                raise Mistake(ErrorCode.BAD_READING, member=member(), value=shown(text))
            cur.fields[name] = (value, text)
            i += used
            continue
        if re.fullmatch(r"(?:#|tv)\d{1,4}", w):
            if not cur.empty():
                cur = close()
            cur.member = int(w.lstrip("#tv"))
            i += 1
            continue
        if re.fullmatch(r"\d{1,4}", w):
            if cur.bp is not None and (_BP.fullmatch(nxt) or nxt.startswith("#")):
                cur = close()  # "150/95 13 125/80": 13 starts the next reading
            (cur.post if cur.bp is not None else cur.pre).append((int(w), w))
            i += 1
            continue
        raise Mistake(ErrorCode.BAD_READING, member=member(), value=shown(w))
    close()
    return readings


def _resolve_reading(raw: _RawReading) -> Reading:
    member = raw.member
    pulse: int | None = None
    if raw.bp is not None:
        systolic, diastolic, bp_text = raw.bp
        if raw.pre:
            if len(raw.pre) > 1 or member is not None:
                raise Mistake(ErrorCode.BAD_READING, value=shown(" ".join(t for _, t in raw.pre)))
            member = raw.pre[0][0]
        if len(raw.post) > 1:
            raise Mistake(ErrorCode.BAD_READING, member=member, value=raw.post[1][1])
        if raw.post:
            pulse = raw.post[0][0]
    else:
        # Without a slash: "12 150 95 [80]" or "150 95 [80]".
        numbers = [n for n, _ in raw.pre]
        if member is None and len(numbers) >= 3 and not _looks_bp(numbers[0], numbers[1]):
            member, numbers = numbers[0], numbers[1:]
        if len(numbers) not in (2, 3) or not _looks_bp(numbers[0], numbers[1]):
            if member is None and numbers:
                member = numbers[0]
            raise Mistake(ErrorCode.MISSING_BP, member=member)
        systolic, diastolic = numbers[0], numbers[1]
        pulse = numbers[2] if len(numbers) == 3 else None
        bp_text = f"{systolic}/{diastolic}"
    if "pulse" in raw.fields:
        if pulse is not None:
            raise Mistake(ErrorCode.BAD_READING, member=member, value=raw.fields["pulse"][1])
        value, text = raw.fields["pulse"]
        if value != int(value):
            raise Mistake(ErrorCode.BAD_READING, member=member, value=shown(text))
        pulse = int(value)
    if member == 0 or (member is not None and member > MAX_MEMBER):
        raise Mistake(ErrorCode.BAD_MEMBER, value=str(member))
    if not SYS_RANGE[0] <= systolic <= SYS_RANGE[1]:
        raise Mistake(
            ErrorCode.BP_OUT_OF_RANGE, member=member, value=bp_text,
            lo=SYS_RANGE[0], hi=SYS_RANGE[1],
        )  # fmt: skip
    if not DIA_RANGE[0] <= diastolic <= DIA_RANGE[1]:
        raise Mistake(
            ErrorCode.BP_OUT_OF_RANGE, member=member, value=bp_text, variant="dia",
            lo=DIA_RANGE[0], hi=DIA_RANGE[1],
        )  # fmt: skip
    if diastolic >= systolic:
        raise Mistake(ErrorCode.BP_OUT_OF_RANGE, member=member, value=bp_text, variant="order")
    if pulse is not None and not PULSE_RANGE[0] <= pulse <= PULSE_RANGE[1]:
        raise Mistake(
            ErrorCode.PULSE_OUT_OF_RANGE, member=member, value=str(pulse),
            lo=PULSE_RANGE[0], hi=PULSE_RANGE[1],
        )  # fmt: skip
    weight = None
    if "weight" in raw.fields:
        weight = _check_weight(raw.fields["weight"][0], raw.fields["weight"][1], member)
    glucose = None
    for name in ("glucose", "glucose_mg"):
        if name in raw.fields:
            if glucose is not None:
                raise Mistake(ErrorCode.BAD_READING, member=member, value=raw.fields[name][1])
            glucose = _check_glucose(*raw.fields[name], member, mg=name == "glucose_mg")
    return Reading(member, systolic, diastolic, pulse, weight, glucose)


def _looks_bp(first: int, second: int) -> bool:
    return first >= SYS_RANGE[0] and DIA_RANGE[0] <= second < first


def _check_weight(kg: Decimal, text: str, member: int | None) -> Decimal:
    if not WEIGHT_RANGE[0] <= kg <= WEIGHT_RANGE[1]:
        raise Mistake(
            ErrorCode.WEIGHT_OUT_OF_RANGE, member=member, value=shown(text),
            lo=WEIGHT_RANGE[0], hi=WEIGHT_RANGE[1],
        )  # fmt: skip
    return kg


def _check_glucose(value: Decimal, text: str, member: int | None, mg: bool) -> Decimal:
    """mmol/L; a value above the mmol range (or marked mg) is mg/dL and is converted."""
    if mg or value > GLUCOSE_RANGE[1]:
        value = (value / GLUCOSE_MG_PER_MMOL).quantize(Decimal("0.1"))
    if not GLUCOSE_RANGE[0] <= value <= GLUCOSE_RANGE[1]:
        raise Mistake(
            ErrorCode.GLUCOSE_OUT_OF_RANGE, member=member, value=shown(text),
            lo=GLUCOSE_RANGE[0], hi=GLUCOSE_RANGE[1],
        )  # fmt: skip
    return value


def parse_ha(reader: Reader) -> HaArgs:
    raws = _collect_readings(_ha_words(reader))
    if not raws:
        raise Mistake(ErrorCode.MISSING_BP)
    readings = tuple(_resolve_reading(r) for r in raws)
    if len(readings) > 1:
        for reading, raw in zip(readings, raws, strict=True):
            if reading.member is None:
                raise Mistake(ErrorCode.MISSING_MEMBER, value=raw.bp[2] if raw.bp else "")
    return HaArgs(readings=readings)


_WEIGHT = re.compile(r"(\d{1,3}(?:[.,]\d{1,2})?)(kg)?")


def parse_cn(reader: Reader) -> CnArgs:
    weights: list[Weight] = []
    while True:
        reader.skip_punct()
        tok = reader.peek()
        if tok is None:
            break
        if member_of(tok) is None and _WEIGHT.fullmatch(tok.low):
            raise Mistake(ErrorCode.MISSING_MEMBER, value=shown(tok.text))
        member = need_member(reader)
        tok = reader.peek()
        if tok is None or tok.low == ",":
            missing = Mistake(ErrorCode.MISSING_WEIGHT, member=member)
            raise extra_number(reader, reader.pos - 1) or missing
        m = _WEIGHT.fullmatch(tok.low)
        if m is None:
            raise Mistake(ErrorCode.BAD_WEIGHT, member=member, value=shown(tok.text))
        reader.take()
        unit = reader.peek()
        if not m[2] and unit is not None and unit.low == "kg":
            reader.take()
        weights.append(Weight(member, _check_weight(_decimal(m[1]), tok.text, member)))
    if not weights:
        raise Mistake(ErrorCode.MISSING_MEMBER)
    return CnArgs(weights=tuple(weights))


def _not_a_day(day: int, month: int, year: int | None, sep: str) -> bool:
    """ "90/60" after HA is a reading, never a mistyped date."""
    return not (1 <= day <= 31 and 1 <= month <= 12)


COMMANDS: tuple[CommandSpec, ...] = (
    CommandSpec(
        "HA", ("bp", "huyet ap"), HaArgs, parse_ha,
        dated=True, continuation="repeat", items=True, reads_as_argument=_not_a_day,
    ),
    CommandSpec(
        "CN", ("kg", "can nang"), CnArgs, parse_cn, dated=True, continuation="repeat", items=True
    ),
)  # fmt: skip
