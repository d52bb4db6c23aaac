"""The SMS command language: every example of SMS-COMMANDS.md and what secretaries really type."""

from __future__ import annotations

import unicodedata
from dataclasses import dataclass
from datetime import date
from decimal import Decimal

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from menus import i18n
from menus.grammar import (
    COMMANDS,
    KEYWORDS,
    Args,
    Command,
    ErrorCode,
    Keyword,
    ParsedSMS,
    ParseError,
    help_text,
    parse,
    render_error,
    spec_for,
    suggest_keyword,
    usage_example,
)
from menus.sms.health import CnArgs, HaArgs, Reading, Weight
from menus.sms.ledger import GopArgs, Payment, TraArgs, VayArgs
from menus.sms.meeting import DDArgs, MangArgs, ThamArgs
from menus.sms.members import NnArgs, Sex, TvArgs
from menus.sms.queries import BcArgs, LichArgs, NhoArgs, NoArgs, QuyArgs, SkArgs
from menus.sms.service import HdArgs, HuyArgs, XongArgs
from menus.text import strip_accents

TODAY = date(2025, 11, 28)
D21 = date(2025, 11, 21)
LANGS = ("vi", "vi_dau", "en")
FAST = settings(max_examples=300, deadline=None)


@dataclass(frozen=True)
class Ok:
    """An expected command."""

    keyword: str
    args: Args
    date: date | None = None


@dataclass(frozen=True)
class Err:
    """An expected error: code, keyword, and the params that must be there."""

    code: str
    keyword: str | None = None
    params: tuple[tuple[str, object], ...] = ()


def err(code: str, keyword: str | None = None, **params: object) -> Err:
    return Err(code, keyword, tuple(params.items()))


def tra(*pairs: tuple[int, int]) -> TraArgs:
    return TraArgs(tuple(Payment(m, a) for m, a in pairs))


def ha(*readings: Reading) -> HaArgs:
    return HaArgs(readings)


def rd(member: int | None, sys: int, dia: int, **extra: object) -> Reading:
    return Reading(member, sys, dia, **extra)  # type: ignore[arg-type]


def cn(*pairs: tuple[int, str]) -> CnArgs:
    return CnArgs(tuple(Weight(m, Decimal(kg)) for m, kg in pairs))


def dd(*members: int, absent: bool = False) -> DDArgs:
    return DDArgs(members, absent)


def span(first: int, last: int) -> tuple[int, ...]:
    return tuple(range(first, last + 1))


def assert_item(item: Command | ParseError, want: Ok | Err, text: str) -> None:
    if isinstance(want, Ok):
        assert isinstance(item, Command), f"{text!r}: {item}"
        assert (item.keyword, item.date, item.args) == (want.keyword, want.date, want.args), text
    else:
        assert isinstance(item, ParseError), f"{text!r}: {item}"
        assert (item.code, item.keyword) == (want.code, want.keyword), f"{text!r}: {item}"
        for name, value in want.params:
            assert item.params.get(name) == value, f"{text!r}: {item}"


def check(text: str, *want: Ok | Err) -> ParsedSMS:
    parsed = parse(text, TODAY)
    assert len(parsed.items) == len(want), f"{text!r}: {parsed.items}"
    for item, expected in zip(parsed.items, want, strict=True):
        assert_item(item, expected, text)
    return parsed


# Every example of SMS-COMMANDS.md "Examples that must work".
SPEC_EXAMPLES: list[tuple[str, Ok]] = [
    ("DD 21/11 1-12 14 15 20-31", Ok("DD", dd(*span(1, 12), 14, 15, *span(20, 31)), D21)),
    ("dd vang 3 7 9", Ok("DD", dd(3, 7, 9, absent=True))),
    ("Trả 12 450k", Ok("TRA", tra((12, 450_000)))),
    (
        "TRA 12 200, 15 1tr5, 31 300.000d",
        Ok("TRA", tra((12, 200_000), (15, 1_500_000), (31, 300_000))),
    ),
    ("tra12 2tr", Ok("TRA", tra((12, 2_000_000)))),
    (
        "HA 12 150/95 M80 CN52, 13 125/80",
        Ok("HA", ha(rd(12, 150, 95, pulse=80, weight_kg=Decimal(52)), rd(13, 125, 80))),
    ),
    ("ha 150/95", Ok("HA", ha(rd(None, 150, 95)))),
    ("VAY 21/11 12 5tr 12T", Ok("VAY", VayArgs(12, 5_000_000, 12), D21)),
    ("THAM 12 don nha, do HA 140/90", Ok("THAM", ThamArgs(12, "don nha, do HA 140/90"))),
    ("MANG 7 30 van nghe mung 20/11", Ok("MANG", MangArgs(7, 30, "van nghe mung 20/11"))),
    ("GOP 0 2.000.000 UBND xa ho tro", Ok("GOP", GopArgs(0, 2_000_000, "UBND xa ho tro"))),
    (
        "TV 61 0168 234 5678 Rơ Châm H'Yéo 1952 nu",
        Ok("TV", TvArgs(61, "+84382345678", "Rơ Châm H'Yéo", 1952, Sex.FEMALE)),
    ),
    ("HUY K7QA", Ok("HUY", HuyArgs("K7QA"))),
    ("CLB K12 BC", Ok("BC", BcArgs())),
    ("no", Ok("NO", NoArgs())),
    ("SK 12", Ok("SK", SkArgs(12))),
    ("nho chan dau, can nguoi den nha", Ok("NHO", NhoArgs("chan dau, can nguoi den nha"))),
    ("NN EN", Ok("NN", NnArgs("en"))),
    ("XONG K7QA da den tham", Ok("XONG", XongArgs("K7QA", None, "da den tham"))),
]


@pytest.mark.parametrize(("text", "want"), SPEC_EXAMPLES)
def test_spec_examples(text: str, want: Ok) -> None:
    check(text, want)


def test_spec_examples_in_one_sms() -> None:
    parsed = parse("\n".join(text for text, _ in SPEC_EXAMPLES), TODAY)
    # "CLB K12 BC" is not at the start, so it is refused rather than silently switching club.
    assert parsed.club_code is None
    assert [getattr(i, "code", None) for i in parsed.items].count(ErrorCode.BAD_CLUB) == 1
    assert len(parsed.commands) == len(SPEC_EXAMPLES) - 1


# What secretaries, volunteers and members type: (text, expected single item).
MESSAGES: list[tuple[str, Ok | Err]] = [
    # DD
    ("DD 1-5", Ok("DD", dd(*span(1, 5)))),
    ("ĐĐ 21/11 1-3", Ok("DD", dd(1, 2, 3), D21)),
    ("Điểm danh 21/11 1-3 5", Ok("DD", dd(1, 2, 3, 5), D21)),
    ("DD21/11 1-3", Ok("DD", dd(1, 2, 3), D21)),
    ("DD: 1,2,3,4", Ok("DD", dd(1, 2, 3, 4))),
    ("DD 12,13,14", Ok("DD", dd(12, 13, 14))),
    ("dd 1 - 4 , 7", Ok("DD", dd(1, 2, 3, 4, 7))),
    ("DD 1 đến 4", Ok("DD", dd(1, 2, 3, 4))),
    ("DD VANG", Ok("DD", dd(absent=True))),
    ("DD 21/11 VANG 3", Ok("DD", dd(3, absent=True), D21)),
    ("DD vắng: 3, 7", Ok("DD", dd(3, 7, absent=True))),
    ("ATT 1-3", Ok("DD", dd(1, 2, 3))),
    ("att absent 4", Ok("DD", dd(4, absent=True))),
    ("DD 21-11 1-3", Ok("DD", dd(1, 2, 3), D21)),
    ("DD 10-11 14", Ok("DD", dd(10, 11, 14))),
    ("DD #1 #2 tv3", Ok("DD", dd(1, 2, 3))),
    ("DD 21.11.2025 1-2", Ok("DD", dd(1, 2), D21)),
    ("DD co mat 1-3", Ok("DD", dd(1, 2, 3))),
    ("dd 1–3", Ok("DD", dd(1, 2, 3))),
    ("DD ngày 21/11 5", Ok("DD", dd(5), D21)),
    ("DD 1-5 9-3", err("bad_member_list", "DD", value="9-3")),
    ("DD 1-1000", err("bad_member_list", "DD", value="1-1000")),
    ("DD 0 1 2", err("bad_member_list", "DD", value="0")),
    ("DD", err("missing_member", "DD")),
    ("DD 21/11", err("missing_member", "DD")),
    ("DD 1 2 abc", err("bad_member_list", "DD", value="abc")),
    ("DD 31/02 1-5", err("bad_date", "DD", value="31/02")),
    # TRA
    ("TRA: 12 200k", Ok("TRA", tra((12, 200_000)))),
    ("Trả:12 200k", Ok("TRA", tra((12, 200_000)))),
    ("TRA 21/11 12 200k", Ok("TRA", tra((12, 200_000)), D21)),
    ("Trả nợ 12 200k", Ok("TRA", tra((12, 200_000)))),
    ("PAY 12 200k", Ok("TRA", tra((12, 200_000)))),
    ("pay 12 200000", Ok("TRA", tra((12, 200_000)))),
    ("TRA 12 200 15 300", Ok("TRA", tra((12, 200_000), (15, 300_000)))),
    ("TRA 12 200 000 15 1 500 000", Ok("TRA", tra((12, 200_000), (15, 1_500_000)))),
    ("TRA 12 1 trieu ruoi", Ok("TRA", tra((12, 1_500_000)))),
    ("tra 12 2 triệu, 13 500 nghìn", Ok("TRA", tra((12, 2_000_000), (13, 500_000)))),
    ("TRA 12 1,5tr", Ok("TRA", tra((12, 1_500_000)))),
    ("TRA 12 1.5tr", Ok("TRA", tra((12, 1_500_000)))),
    ("TRA #12 4tr8", Ok("TRA", tra((12, 4_800_000)))),
    ("TRA 12 5tr873", Ok("TRA", tra((12, 5_873_000)))),
    ("TRA 12 200 ngàn đồng", Ok("TRA", tra((12, 200_000)))),
    ("TRA 12 200k 13 300k", Ok("TRA", tra((12, 200_000), (13, 300_000)))),
    ("TRA 12 200,15 300", Ok("TRA", tra((12, 200_000), (15, 300_000)))),
    ("TRA 12 2 cu", Ok("TRA", tra((12, 2_000_000)))),
    ("TRA tv12 200k", Ok("TRA", tra((12, 200_000)))),
    ("tra 12 200k.", Ok("TRA", tra((12, 200_000)))),
    ("TRA 12 200K, 13 200N", Ok("TRA", tra((12, 200_000), (13, 200_000)))),
    ("TRA 12 1tr200k", Ok("TRA", tra((12, 1_200_000)))),
    ("TRA 12 200.000 VND, 13 1.000.000đ", Ok("TRA", tra((12, 200_000), (13, 1_000_000)))),
    ("TRA : 12 = 200k", Ok("TRA", tra((12, 200_000)))),
    ("TRA 12: 200k, 13: 300k", Ok("TRA", tra((12, 200_000), (13, 300_000)))),
    ("TRA 12 200 d, 13 100 d", Ok("TRA", tra((12, 200_000), (13, 100_000)))),
    ("TRA 12", err("missing_amount", "TRA", member=12)),
    ("TRA 200k", err("missing_member", "TRA", value="200k")),
    ("TRA 12 abc", err("bad_amount", "TRA", member=12, value="abc")),
    ("TRA 12 200k, 15", err("missing_amount", "TRA", member=15)),
    ("TRA", err("missing_member", "TRA")),
    ("TRA 12 1,5", err("bad_amount", "TRA", member=12)),
    ("TRA 32/11 12 200k", err("bad_date", "TRA", value="32/11")),
    ("TRA 12345 200k", err("bad_member", "TRA", value="12345")),
    ("TRA 0 200k", err("bad_member", "TRA", value="0")),
    # VAY
    ("vay 12 5 trieu 12 thang", Ok("VAY", VayArgs(12, 5_000_000, 12))),
    ("VAY 12 5tr", Ok("VAY", VayArgs(12, 5_000_000))),
    ("LOAN 12 10tr 24th", Ok("VAY", VayArgs(12, 10_000_000, 24))),
    ("Vay 12 7tr5 18t", Ok("VAY", VayArgs(12, 7_500_000, 18))),
    ("VAY 12 5tr 1 năm", Ok("VAY", VayArgs(12, 5_000_000, 12))),
    ("VAY 12 5.000.000 6", Ok("VAY", VayArgs(12, 5_000_000, 6))),
    ("Vay vốn 12 3tr 12T", Ok("VAY", VayArgs(12, 3_000_000, 12))),
    ("VAY 12 5tr 12 tháng.", Ok("VAY", VayArgs(12, 5_000_000, 12))),
    ("VAY 12 5 12", err("bad_amount", "VAY", member=12, value="5")),
    ("VAY 12", err("missing_amount", "VAY", member=12)),
    ("VAY 12 5tr 12T lai 1%", err("extra_text", "VAY", member=12)),
    ("VAY 12 5tr 500T", err("bad_months", "VAY", member=12, value="500T")),
    ("VAY 5tr", err("missing_member", "VAY")),
    # HA
    ("HA 12 150-95", Ok("HA", ha(rd(12, 150, 95)))),
    ("Huyết áp 12 150/95", Ok("HA", ha(rd(12, 150, 95)))),
    ("BP 12 150/95 P72", Ok("HA", ha(rd(12, 150, 95, pulse=72)))),
    (
        "HA 12 150/95 M 80 CN 52,5 DH 6,5",
        Ok(
            "HA",
            ha(rd(12, 150, 95, pulse=80, weight_kg=Decimal("52.5"), glucose_mmol=Decimal("6.5"))),
        ),
    ),
    ("HA 12 150 / 95", Ok("HA", ha(rd(12, 150, 95)))),
    ("HA 12 150/95/80", Ok("HA", ha(rd(12, 150, 95, pulse=80)))),
    ("HA 12 150/95 80", Ok("HA", ha(rd(12, 150, 95, pulse=80)))),
    ("HA 12 150/95 13 125/80", Ok("HA", ha(rd(12, 150, 95), rd(13, 125, 80)))),
    ("HA 12 150/95 DH126", Ok("HA", ha(rd(12, 150, 95, glucose_mmol=Decimal("7.0"))))),
    ("HA 12 150/95 52kg", Ok("HA", ha(rd(12, 150, 95, weight_kg=Decimal(52))))),
    ("HA 21/11 12 150/95", Ok("HA", ha(rd(12, 150, 95)), D21)),
    ("HA 90/60", Ok("HA", ha(rd(None, 90, 60)))),
    ("HA 12 150 95", Ok("HA", ha(rd(12, 150, 95)))),
    ("ha 12: 140/90", Ok("HA", ha(rd(12, 140, 90)))),
    ("HA12 150/95", Ok("HA", ha(rd(12, 150, 95)))),
    ("HA #12 135/85 mạch 70", Ok("HA", ha(rd(12, 135, 85, pulse=70)))),
    ("HA 12 150/95 DH 6.5mmol", Ok("HA", ha(rd(12, 150, 95, glucose_mmol=Decimal("6.5"))))),
    (
        "HA 12 150/95 mạch 80 cân 52, 13 125/80 M: 70",
        Ok("HA", ha(rd(12, 150, 95, pulse=80, weight_kg=Decimal(52)), rd(13, 125, 80, pulse=70))),
    ),
    ("HA 12 300/95", err("bp_out_of_range", "HA", member=12, value="300/95", lo=60, hi=260)),
    ("HA 12 150/20", err("bp_out_of_range", "HA", member=12, variant="dia")),
    ("HA 12 95/150", err("bp_out_of_range", "HA", member=12, variant="order")),
    ("HA 12 150/95 M250", err("pulse_out_of_range", "HA", member=12, value="250")),
    ("HA 12 150/95 CN200", err("weight_out_of_range", "HA", member=12)),
    ("HA 12 150/95 DH700", err("glucose_out_of_range", "HA", member=12)),
    ("HA 12 150/95 DH 0,5", err("glucose_out_of_range", "HA", member=12)),
    ("HA 12", err("missing_bp", "HA", member=12)),
    ("HA", err("missing_bp", "HA")),
    ("HA 12 150/95, 125/80", err("missing_member", "HA", value="125/80")),
    ("HA 12 150/95 xyz", err("bad_reading", "HA", member=12, value="xyz")),
    ("HA 12 150/95 M80 M90", err("bad_reading", "HA", member=12)),
    # CN
    ("CN 12 52", Ok("CN", cn((12, "52")))),
    ("CN 12 52kg", Ok("CN", cn((12, "52")))),
    ("CN 12 52,5", Ok("CN", cn((12, "52.5")))),
    ("CN 12 52,5, 13 60", Ok("CN", cn((12, "52.5"), (13, "60")))),
    ("CN 12 52.5kg 13 48", Ok("CN", cn((12, "52.5"), (13, "48")))),
    ("KG 12 52", Ok("CN", cn((12, "52")))),
    ("Cân nặng 12 52", Ok("CN", cn((12, "52")))),
    ("CN 21/11 12 52 kg", Ok("CN", cn((12, "52")), D21)),
    ("CN 12 52,13 60", Ok("CN", cn((12, "52"), (13, "60")))),
    ("CN 12", err("missing_weight", "CN", member=12)),
    ("CN 52kg", err("missing_member", "CN", value="52kg")),
    ("CN 12 200", err("weight_out_of_range", "CN", member=12, value="200")),
    ("CN 12 abc", err("bad_weight", "CN", member=12, value="abc")),
    # THAM
    ("Thăm 12 Dọn nhà giúp bà", Ok("THAM", ThamArgs(12, "Dọn nhà giúp bà"))),
    ("THAM 12", Ok("THAM", ThamArgs(12))),
    ("tham 21/11 #12 mang gạo", Ok("THAM", ThamArgs(12, "mang gạo"), D21)),
    ("VISIT 12 checked BP", Ok("THAM", ThamArgs(12, "checked BP"))),
    ("THAM 12: do HA 150/90", Ok("THAM", ThamArgs(12, "do HA 150/90"))),
    ("THAM don nha", err("bad_member", "THAM", value="don")),
    ("THAM", err("missing_member", "THAM")),
    # MANG
    ("Mảng 2 45 khám sức khỏe", Ok("MANG", MangArgs(2, 45, "khám sức khỏe"))),
    ("MANG 20/11 7 30", Ok("MANG", MangArgs(7, 30), date(2025, 11, 20))),
    ("MANG 7 30 nguoi van nghe", Ok("MANG", MangArgs(7, 30, "van nghe"))),
    ("AREA 3 12", Ok("MANG", MangArgs(3, 12))),
    ("MANG 9 30", err("bad_area", "MANG", value="9", lo=1, hi=8)),
    ("MANG 7", err("missing_people", "MANG", value="7")),
    ("MANG", err("missing_area", "MANG")),
    ("MANG 7 0", err("bad_people", "MANG")),
    # GOP
    ("Góp 12 200k", Ok("GOP", GopArgs(12, 200_000))),
    ("GOP 0 2 trieu Hội phụ nữ xã", Ok("GOP", GopArgs(0, 2_000_000, "Hội phụ nữ xã"))),
    ("FUND 5 100k tien ban rau", Ok("GOP", GopArgs(5, 100_000, "tien ban rau"))),
    ("GOP 21/11 0 500k", Ok("GOP", GopArgs(0, 500_000), D21)),
    ("GOP 0", err("missing_amount", "GOP", member=0)),
    ("GOP 0 abc", err("bad_amount", "GOP", member=0, value="abc")),
    # TV
    ("TV 12 0912345678", Ok("TV", TvArgs(12, "+84912345678"))),
    (
        "TV 12 +84 912-345-678 Nguyễn Văn Bình 1950 nam",
        Ok("TV", TvArgs(12, "+84912345678", "Nguyễn Văn Bình", 1950, Sex.MALE)),
    ),
    (
        "TV 12 84912345678 Lò Thị Mai nữ 1948",
        Ok("TV", TvArgs(12, "+84912345678", "Lò Thị Mai", 1948, Sex.FEMALE)),
    ),
    ("TV 12 0912 345 678 Nguyen Van Nam", Ok("TV", TvArgs(12, "+84912345678", "Nguyen Van Nam"))),
    (
        "TV 12 0912345678 Nguyen Thi Hoa 1960 female",
        Ok("TV", TvArgs(12, "+84912345678", "Nguyen Thi Hoa", 1960, Sex.FEMALE)),
    ),
    (
        "TV 12 0912345678 Tran Thi B 52 nu",
        Ok("TV", TvArgs(12, "+84912345678", "Tran Thi B", 1952, Sex.FEMALE)),
    ),
    ("MEMBER 12 0912345678 Lo Thi Mai", Ok("TV", TvArgs(12, "+84912345678", "Lo Thi Mai"))),
    (
        "TV 12 0912345678 Nguyễn Văn Nam 1950",
        Ok("TV", TvArgs(12, "+84912345678", "Nguyễn Văn Nam", 1950)),
    ),
    ("TV 12 Nguyen Van A", err("missing_phone", "TV", member=12)),
    ("TV 12 0912 345 Nguyen Van A", err("bad_phone", "TV", member=12, value="0912 345")),
    ("TV 12 0912345678 Nguyen Van A 2030", err("bad_year", "TV", member=12, value="2030")),
    ("TV 0912345678 Nguyen", err("bad_member", "TV")),
    # HUY
    ("huy k7qa", Ok("HUY", HuyArgs("K7QA"))),
    ("HUY #K7QA", Ok("HUY", HuyArgs("K7QA"))),
    ("Hủy K7QA", Ok("HUY", HuyArgs("K7QA"))),
    ("UNDO M2PX", Ok("HUY", HuyArgs("M2PX"))),
    ("HUY K0QA", err("bad_ref", "HUY", value="K0QA")),
    ("HUY K7Q", err("bad_ref", "HUY", value="K7Q")),
    ("HUY", err("missing_ref", "HUY")),
    # HD
    ("HD", Ok("HD", HdArgs())),
    ("HD TRA", Ok("HD", HdArgs(Keyword.TRA))),
    ("?", Ok("HD", HdArgs())),
    ("help pay", Ok("HD", HdArgs(Keyword.TRA))),
    ("?tra", Ok("HD", HdArgs(Keyword.TRA))),
    ("HD: HA", Ok("HD", HdArgs(Keyword.HA))),
    ("HD traa", Ok("HD", HdArgs(Keyword.TRA))),
    ("Hướng dẫn", Ok("HD", HdArgs())),
    ("hd xyzw", Ok("HD", HdArgs())),
    # BC
    ("BC", Ok("BC", BcArgs())),
    ("BC K12", Ok("BC", BcArgs("K12"))),
    ("REPORT k12", Ok("BC", BcArgs("K12"))),
    ("Báo cáo", Ok("BC", BcArgs())),
    # member self-service
    ("NO 12", Ok("NO", NoArgs(12))),
    ("Nợ #12", Ok("NO", NoArgs(12))),
    ("no con bao nhieu", Ok("NO", NoArgs())),
    ("debt 12", Ok("NO", NoArgs(12))),
    ("NO 0", err("bad_member", "NO", value="0")),
    ("sk", Ok("SK", SkArgs())),
    ("Sức khỏe 12", Ok("SK", SkArgs(12))),
    ("health", Ok("SK", SkArgs())),
    ("QUY", Ok("QUY", QuyArgs())),
    ("Quỹ 12", Ok("QUY", QuyArgs(12))),
    ("savings 3", Ok("QUY", QuyArgs(3))),
    ("LICH", Ok("LICH", LichArgs())),
    ("lịch họp", Ok("LICH", LichArgs())),
    ("NEXT", Ok("LICH", LichArgs())),
    ("Nhờ chân đau, cần người đến nhà", Ok("NHO", NhoArgs("chân đau, cần người đến nhà"))),
    ("NHO", Ok("NHO", NhoArgs())),
    ("request need rice", Ok("NHO", NhoArgs("need rice"))),
    # NN
    ("NN VI", Ok("NN", NnArgs("vi"))),
    ("NN VI DAU", Ok("NN", NnArgs("vi_dau"))),
    ("nn vi dấu", Ok("NN", NnArgs("vi_dau"))),
    ("NN JRAI", Ok("NN", NnArgs("jrai"))),
    ("LANG EN", Ok("NN", NnArgs("en"))),
    ("Ngôn ngữ có dấu", Ok("NN", NnArgs("vi_dau"))),
    ("NN", err("missing_lang", "NN")),
    # XONG: the reference of the alert SMS, a member when it alerted about several, a note
    ("xong #k7qa", Ok("XONG", XongArgs("K7QA"))),
    ("DONE K7QA: visited", Ok("XONG", XongArgs("K7QA", None, "visited"))),
    ("XONG K7QA TV 16 da goi xe", Ok("XONG", XongArgs("K7QA", 16, "TV 16 da goi xe"))),
    ("Xong K7QA 2 nguoi den", Ok("XONG", XongArgs("K7QA", 2, "2 nguoi den"))),
    ("XONG", err("missing_ref", "XONG")),
    ("XONG K0QA", err("bad_ref", "XONG", value="K0QA")),
    ("NN 123", err("bad_lang", "NN", value="123")),
    # unknown keywords
    ("TRAA 12 200k", err("unknown_keyword", word="TRAA", suggestion="TRA")),
    ("tarr 12 200k", err("unknown_keyword", word="tarr", suggestion="TRA")),
    ("PAYY 12 200k", err("unknown_keyword", word="PAYY", suggestion="PAY")),
    ("DDD 1-3", err("unknown_keyword", word="DDD", suggestion="DD")),
    ("HAA 12 150/95", err("unknown_keyword", word="HAA", suggestion="HA")),
    ("xin chao", err("unknown_keyword", word="xin")),
    ("12 200k", err("unknown_keyword", word="12")),
]


@pytest.mark.parametrize(("text", "want"), MESSAGES)
def test_messages(text: str, want: Ok | Err) -> None:
    check(text, want)


def test_there_are_enough_realistic_messages() -> None:
    assert len(MESSAGES) + len(SPEC_EXAMPLES) >= 120


def test_every_parse_error_code_is_exercised() -> None:
    produced = {w.code for _, w in MESSAGES if isinstance(w, Err)}
    produced |= {"empty", "bad_club"}  # whole-SMS errors, tested below
    assert set(ErrorCode) - produced == set()


@pytest.mark.parametrize(("text", "want"), [*SPEC_EXAMPLES, *MESSAGES])
def test_decomposed_and_accented_input_parse_the_same(text: str, want: Ok | Err) -> None:
    nfd = parse(unicodedata.normalize("NFD", text), TODAY)
    assert nfd == parse(text, TODAY)
    unaccented = parse(strip_accents(text), TODAY)
    assert [(type(i), i.keyword) for i in unaccented.items] == [
        (type(i), i.keyword) for i in nfd.items
    ]


# --- gaps closed: spoken fractions, "TV 12", numbered lines --------------------------------

# "2 trieu 5" is 2,500,000 as "2tr5" is, in every command that takes money.
SPOKEN_FRACTIONS: list[tuple[str, Ok | Err]] = [
    ("GOP 12 2 trieu 5", Ok("GOP", GopArgs(12, 2_500_000))),
    ("GOP 12 2 trieu 5 quy thang", Ok("GOP", GopArgs(12, 2_500_000, "quy thang"))),
    ("GOP 12 1 tr 5 quy thang", Ok("GOP", GopArgs(12, 1_500_000, "quy thang"))),
    ("GOP 0 2 củ 5 UBND xa", Ok("GOP", GopArgs(0, 2_500_000, "UBND xa"))),
    ("GOP 12 2 trieu 3 thang", Ok("GOP", GopArgs(12, 2_000_000, "3 thang"))),  # a counted note
    ("TRA 12 2 trieu 5", Ok("TRA", tra((12, 2_500_000)))),
    ("TRA 12 2 triệu 5", Ok("TRA", tra((12, 2_500_000)))),
    ("TRA 12 1 tr 5", Ok("TRA", tra((12, 1_500_000)))),
    ("TRA 12 2 cu 5", Ok("TRA", tra((12, 2_500_000)))),
    ("TRA 12 2tr 5", Ok("TRA", tra((12, 2_500_000)))),
    ("TRA 12 2 trieu 5đ", Ok("TRA", tra((12, 2_500_000)))),
    ("VAY 13 2 trieu 5 12T", Ok("VAY", VayArgs(13, 2_500_000, 12))),
    ("VAY 13 2 triệu 5 12 tháng", Ok("VAY", VayArgs(13, 2_500_000, 12))),
    ("VAY 13 2 trieu 5 12", Ok("VAY", VayArgs(13, 2_500_000, 12))),
    ("VAY 21/11 13 7 tr 5 1 năm", Ok("VAY", VayArgs(13, 7_500_000, 12), D21)),
    # VAY: a number after the million word that makes the whole command is the months, as before
    ("VAY 12 5 trieu 12", Ok("VAY", VayArgs(12, 5_000_000, 12))),
    ("VAY 12 5tr 12", Ok("VAY", VayArgs(12, 5_000_000, 12))),
    ("VAY 12 5 trieu 12 thang", Ok("VAY", VayArgs(12, 5_000_000, 12))),
    ("VAY 13 2 trieu 5", Ok("VAY", VayArgs(13, 2_000_000, 5))),
    ("VAY 13 2 trieu 5 500T", err("extra_text", "VAY", member=13, value="500T")),
]
# TRA pair lists: the digits after a million word are the next member when a comma comes first
# or a money amount follows them; the fraction otherwise, or when only the fraction reading makes
# sense of the rest.
TRA_PAIRS_OR_FRACTION: list[tuple[str, Ok | Err]] = [
    ("TRA 12 2 trieu, 15 300k", Ok("TRA", tra((12, 2_000_000), (15, 300_000)))),
    ("TRA 12 2 trieu,15 300k", Ok("TRA", tra((12, 2_000_000), (15, 300_000)))),
    ("TRA 12 2 trieu 15 300k", Ok("TRA", tra((12, 2_000_000), (15, 300_000)))),
    ("TRA 12 2 trieu 5 200", Ok("TRA", tra((12, 2_000_000), (5, 200_000)))),
    ("TRA 12 2 trieu 5 1tr5", Ok("TRA", tra((12, 2_000_000), (5, 1_500_000)))),
    ("TRA 12 2 trieu 5, 15 300k", Ok("TRA", tra((12, 2_500_000), (15, 300_000)))),
    ("TRA 12 2 trieu 5,15 300k", Ok("TRA", tra((12, 2_500_000), (15, 300_000)))),
    ("TRA 12 2 trieu 5 15 300k", Ok("TRA", tra((12, 2_500_000), (15, 300_000)))),
    ("TRA 12 2 cu 5, 13 1 tr 5", Ok("TRA", tra((12, 2_500_000), (13, 1_500_000)))),
    ("TRA 12 300k 13 2 trieu 5", Ok("TRA", tra((12, 300_000), (13, 2_500_000)))),
    ("TRA 12 2 trieu, 5", err("missing_amount", "TRA", member=5)),
    ("TRA 12 2 trieu 5 15 abc", err("bad_member", "TRA", value="abc")),
]
# "TV 12" as replies print it: a member inside a command's arguments.
MEMBER_REFS: list[tuple[str, Ok | Err]] = [
    ("TRA TV 12 200k", Ok("TRA", tra((12, 200_000)))),
    ("TRA TV12 200k", Ok("TRA", tra((12, 200_000)))),
    ("tra tv.12 200k", Ok("TRA", tra((12, 200_000)))),
    ("TRA TV. 12 200k", Ok("TRA", tra((12, 200_000)))),
    ("TRA TV:12 200k", Ok("TRA", tra((12, 200_000)))),
    ("TRA # 12 200k", Ok("TRA", tra((12, 200_000)))),
    ("TRA TV12 450.000d", Ok("TRA", tra((12, 450_000)))),  # copied from a reply
    ("TRA TV 12 200k, TV 15 1tr5", Ok("TRA", tra((12, 200_000), (15, 1_500_000)))),
    ("TRA 21/11 TV 12 200k", Ok("TRA", tra((12, 200_000)), D21)),
    ("THAM TV 12", Ok("THAM", ThamArgs(12))),
    ("THAM TV 12 don nha", Ok("THAM", ThamArgs(12, "don nha"))),
    ("THAM 12 sua TV 2 lan", Ok("THAM", ThamArgs(12, "sua TV 2 lan"))),  # a note keeps its text
    ("HA TV 12 150/95", Ok("HA", ha(rd(12, 150, 95)))),
    ("HA tv.12 150/95 M80, TV 13 125/80", Ok("HA", ha(rd(12, 150, 95, pulse=80), rd(13, 125, 80)))),
    ("NO TV12", Ok("NO", NoArgs(12))),
    ("NO TV 12", Ok("NO", NoArgs(12))),
    ("Nợ tv.12", Ok("NO", NoArgs(12))),
    ("SK TV 12", Ok("SK", SkArgs(12))),
    ("QUY TV 12", Ok("QUY", QuyArgs(12))),
    ("CN TV 12 52", Ok("CN", cn((12, "52")))),
    ("VAY TV 12 5tr 12T", Ok("VAY", VayArgs(12, 5_000_000, 12))),
    ("GOP TV 12 200k", Ok("GOP", GopArgs(12, 200_000))),
    ("DD TV 1 TV 2 tv.3", Ok("DD", dd(1, 2, 3))),
    ("TRA TV 12345 200k", err("bad_member", "TRA", value="TV")),
    # At the start of a command "TV" is still the add-member keyword.
    ("TV 12 0912345678", Ok("TV", TvArgs(12, "+84912345678"))),
    ("TV12 0912345678 Lo Thi Mai", Ok("TV", TvArgs(12, "+84912345678", "Lo Thi Mai"))),
    ("tv.12 0912345678", Ok("TV", TvArgs(12, "+84912345678"))),
    ("TV 12 200k", err("missing_phone", "TV", member=12)),
]


@pytest.mark.parametrize(
    ("text", "want"), [*SPOKEN_FRACTIONS, *TRA_PAIRS_OR_FRACTION, *MEMBER_REFS]
)
def test_closed_gaps(text: str, want: Ok | Err) -> None:
    parsed = check(text, want)
    assert parse(unicodedata.normalize("NFD", text), TODAY) == parsed
    check(strip_accents(text), want)


@pytest.mark.parametrize(
    "text",
    [
        "1. TRA 12 200k\n2. HA 12 150/95",
        "1) TRA 12 200k\n2) HA 12 150/95",
        "a. TRA 12 200k\nb. HA 12 150/95",
        "A) TRA 12 200k\nB) HA 12 150/95",
        "(1) TRA 12 200k\n(2) HA 12 150/95",
        "1.TRA 12 200k\n2.HA 12 150/95",
        "1. TRA 12 200k; 2. HA 12 150/95",
        "1 . TRA 12 200k\n2 . HA 12 150/95",
        "  1.  TRA 12 200k\n  2.  HA 12 150/95",
        "1. - TRA 12 200k\n2. - HA 12 150/95",
        "10. TRA 12 200k\n11. HA 12 150/95",
    ],
)
def test_numbered_lines(text: str) -> None:
    parsed = check(text, Ok("TRA", tra((12, 200_000))), Ok("HA", ha(rd(12, 150, 95))))
    assert [i.raw for i in parsed.items] == ["TRA 12 200k", "HA 12 150/95"]


def test_numbered_lines_edge_cases() -> None:
    # numbered continuation lines of a header
    check(
        "TRA 21/11\n1. 12 200k\n2. 15 300k",
        Ok("TRA", tra((12, 200_000)), D21),
        Ok("TRA", tra((15, 300_000)), D21),
    )
    # a numbered mistake still gets its suggestion, a numbered "thank you" no reply
    check("1. TRAA 12 200k", err("unknown_keyword", word="TRAA", suggestion="TRA"))
    assert parse("1. Cam on", TODAY).items == []
    # numbers that are not list marks stay
    check("TRA 12 200k\n15 300k", Ok("TRA", tra((12, 200_000))), Ok("TRA", tra((15, 300_000))))
    check("DD 21.11 1-3", Ok("DD", dd(1, 2, 3), D21))
    check("TRA 12 1.5tr", Ok("TRA", tra((12, 1_500_000))))
    check("tv.12 0912345678", Ok("TV", TvArgs(12, "+84912345678")))


# --- several commands in one SMS ----------------------------------------------------------


def test_commands_split_on_newlines_and_semicolons() -> None:
    check(
        "TRA 12 200k\nHA 12 150/95; DD 1-5",
        Ok("TRA", tra((12, 200_000))),
        Ok("HA", ha(rd(12, 150, 95))),
        Ok("DD", dd(*span(1, 5))),
    )
    check("TRA 12 200k;HA 12 150/95;", Ok("TRA", tra((12, 200_000))), Ok("HA", ha(rd(12, 150, 95))))
    check(
        "TRA 12 200k\r\nTRA 13 300k", Ok("TRA", tra((12, 200_000))), Ok("TRA", tra((13, 300_000)))
    )


def test_a_line_starting_with_a_member_continues_the_command() -> None:
    parsed = check(
        "TRA 12 200k\n15 300k", Ok("TRA", tra((12, 200_000))), Ok("TRA", tra((15, 300_000)))
    )
    assert parsed.items[1].raw == "TRA 15 300k"
    check(
        "TRA 21/11\n12 200k\n15 300k",
        Ok("TRA", tra((12, 200_000)), D21),
        Ok("TRA", tra((15, 300_000)), D21),
    )
    check("HA 12 150/95\n13 125/80", Ok("HA", ha(rd(12, 150, 95))), Ok("HA", ha(rd(13, 125, 80))))
    check(
        "VAY 12 5tr\n13 3tr 6T",
        Ok("VAY", VayArgs(12, 5_000_000)),
        Ok("VAY", VayArgs(13, 3_000_000, 6)),
    )
    check(
        "THAM 12 don nha\n13 tam cho ba",
        Ok("THAM", ThamArgs(12, "don nha")),
        Ok("THAM", ThamArgs(13, "tam cho ba")),
    )


def test_attendance_continues_on_the_next_line() -> None:
    check("DD 21/11 1-12\n14 15", Ok("DD", dd(*span(1, 12), 14, 15), D21))
    check("DD 21/11\n1-3\n5", Ok("DD", dd(1, 2, 3, 5), D21))


def test_continuation_needs_a_previous_command() -> None:
    check("12 200k", err("unknown_keyword", word="12"))
    check("HUY K7QA\n12", Ok("HUY", HuyArgs("K7QA")), err("unknown_keyword", word="12"))


def test_club_prefix() -> None:
    assert check("CLB K12 TRA 5 200k", Ok("TRA", tra((5, 200_000)))).club_code == "K12"
    parsed = check(
        "CLB K12\nTRA 5 200k\nHA 5 120/80",
        Ok("TRA", tra((5, 200_000))),
        Ok("HA", ha(rd(5, 120, 80))),
    )
    assert parsed.club_code == "K12"
    assert check("clb k12: bc", Ok("BC", BcArgs())).club_code == "K12"
    assert check("CLBK12 BC", Ok("BC", BcArgs())).club_code == "K12"
    assert check("CLB: k12 NO 5", Ok("NO", NoArgs(5))).club_code == "K12"


def test_misplaced_or_missing_club_code() -> None:
    parsed = check("TRA 5 200k\nCLB K12", Ok("TRA", tra((5, 200_000))), err("bad_club"))
    assert parsed.club_code is None
    check("CLB", err("bad_club"))
    check("CLB TRA 5 200k", err("bad_club"))


def test_empty_and_courtesy_messages() -> None:
    check("", err("empty"))
    check("   \n ; ", err("empty"))
    assert parse("Cam on", TODAY).items == []
    assert parse("Cảm ơn!", TODAY).items == []
    check("TRA 12 200k\nCam on!", Ok("TRA", tra((12, 200_000))))


def test_bullets_and_mixed_good_and_bad_lines() -> None:
    check(
        "- TRA 12 200k\n- TRA 13 300k", Ok("TRA", tra((12, 200_000))), Ok("TRA", tra((13, 300_000)))
    )
    parsed = check(
        "TRAA 12 200k\nTRA 13 100k\nHA 40 300/90",
        err("unknown_keyword", suggestion="TRA"),
        Ok("TRA", tra((13, 100_000))),
        err("bp_out_of_range", "HA", member=40),
    )
    assert len(parsed.commands) == 1 and len(parsed.errors) == 2


def test_dates_inside_notes_are_not_command_dates() -> None:
    check("MANG 7 30 van nghe mung 20/11", Ok("MANG", MangArgs(7, 30, "van nghe mung 20/11")))
    check("NHO 21/11 den nha", Ok("NHO", NhoArgs("21/11 den nha")))


# --- replies --------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "lang", "reply"),
    [
        ("TRA 12", "vi", "Loi: TRA 12 - thieu so tien. VD: TRA 12 450k"),
        (
            "HA 12 300/95",
            "vi",
            "Loi: HA 12 300/95 - huyet ap ngoai khoang 60-260. Do lai va gui lai",
        ),
        ("TRAA 12 200k", "vi", 'Khong hieu "TRAA". Co phai TRA? Soan HD de xem huong dan'),
        ("Trảa 12 200k", "vi", 'Khong hieu "Traa". Co phai TRA? Soan HD de xem huong dan'),
        ("TRA 12", "vi_dau", "Lỗi: TRA 12 - thiếu số tiền. VD: TRA 12 450k"),
        ("TRA 12", "en", "Error: PAY 12 - amount missing. E.g. PAY 12 450k"),
        ("MANG 9 30", "vi", "Loi: MANG 9 - mang phai tu 1 den 8. VD: MANG 7 30 van nghe"),
        ("", "vi", "Tin nhan trong. Soan HD de xem huong dan"),
        ("xin chao", "vi", 'Khong hieu "xin". Soan HD de xem huong dan'),
        ("TRA 12 200k", "jrai", ""),
    ],
)
def test_render_error(text: str, lang: str, reply: str) -> None:
    items = parse(text, TODAY).items
    if not reply:
        assert isinstance(items[0], Command)
        return
    assert isinstance(items[0], ParseError)
    assert render_error(items[0], lang) == reply


@pytest.mark.parametrize("lang", LANGS)
@pytest.mark.parametrize(("text", "want"), [(t, w) for t, w in MESSAGES if isinstance(w, Err)])
def test_every_error_renders_in_one_sms(text: str, want: Err, lang: str) -> None:
    (item,) = parse(text, TODAY).items
    assert isinstance(item, ParseError)
    reply = render_error(item, lang)
    assert len(strip_accents(reply)) <= 160
    if lang == "vi":
        assert reply.isascii()


# --- the table ------------------------------------------------------------------------------


def test_keywords_and_aliases() -> None:
    assert tuple(k.value for k in Keyword) == KEYWORDS
    assert [spec.keyword for spec in COMMANDS] == list(Keyword)
    english = {"att", "loan", "pay", "bp", "kg", "visit", "area", "fund", "member", "undo"}
    english |= {"help", "?", "report", "debt", "health", "next", "request", "savings", "lang"}
    aliases = {a for spec in COMMANDS for a in spec.aliases}
    assert english <= aliases
    for word in ("Trả", "TRA", "tra", "trả", "PAY", "tra:"):
        spec = spec_for(word)
        assert spec is not None and spec.keyword == Keyword.TRA
    assert spec_for("xyz") is None


@pytest.mark.parametrize(
    ("word", "suggestion"),
    [("TRAA", "TRA"), ("tarr", "TRA"), ("taa", "TRA"), ("vya", "VAY"), ("THAMM", "THAM")],
)
def test_suggestions(word: str, suggestion: str) -> None:
    found = suggest_keyword(word)
    assert found is not None and found[0] == suggestion


def test_no_wild_suggestions() -> None:
    assert suggest_keyword("xin") is None
    assert suggest_keyword("chao") is None
    assert suggest_keyword("") is None


@pytest.mark.parametrize("lang", LANGS)
def test_usage_examples_parse(lang: str) -> None:
    for keyword in Keyword:
        example = usage_example(keyword, lang)
        parsed = parse(example, TODAY)
        assert [getattr(i, "keyword", None) for i in parsed.items] == [keyword], example
        assert parsed.commands, example


@pytest.mark.parametrize("lang", LANGS)
def test_help_texts(lang: str) -> None:
    assert "TRA" in help_text(None, "vi") and "PAY" in help_text(None, "en")
    for keyword in [None, *Keyword]:
        text = help_text(keyword, lang)
        assert len(strip_accents(text)) <= 160
    assert i18n.has_key(lang, "sms.help.index")


# --- properties -----------------------------------------------------------------------------


def _assert_well_formed(parsed: ParsedSMS) -> None:
    assert isinstance(parsed, ParsedSMS)
    for item in parsed.items:
        assert isinstance(item, Command | ParseError)
        if isinstance(item, ParseError):
            for lang in LANGS:
                assert render_error(item, lang)


@FAST
@given(st.text(max_size=200))
def test_parse_never_raises_on_any_text(text: str) -> None:
    _assert_well_formed(parse(text, TODAY))


_KEYWORD_FORMS = [
    *KEYWORDS,
    *(k.lower() for k in KEYWORDS),
    "Trả", "ĐĐ", "Thăm", "Góp", "Hủy", "Nợ", "Nhờ", "Quỹ", "Lịch", "Mảng", "vắng", "CLB K12",
    "PAY", "bp", "?", "TRAA", "tra:", "HA.", "trả nợ", "1. TRA", "a) HA", "(2) NO",
]  # fmt: skip
_ARG_FORMS = st.one_of(
    st.integers(min_value=-5, max_value=100_000).map(str),
    st.sampled_from(
        ["200k", "1tr5", "2 trieu", "1 trieu ruoi", "200.000đ", "200 000", "300.000d", "5tr873"]
    ),
    st.sampled_from(["21/11", "31/02", "21-11", "1-12", "20-25", "#12", "tv12", "0", "12T"]),
    st.sampled_from(["TV 12", "tv.12", "TV:", "# 12", "TV", "2 trieu 5", "1 tr 5", "2 củ 05"]),
    st.sampled_from(["150/95", "300/95", "90/60", "M80", "CN52", "CN 52,5", "DH6.5", "52kg"]),
    st.sampled_from(["0912 345 678", "0168 234 5678", "+84912345678", "1952", "nu", "NAM"]),
    st.sampled_from(["K7QA", "vang", "VI DAU", "EN", "don nha", "Rơ Châm", "thang", "ruoi"]),
    st.text(alphabet="0123456789/.,-#: kKtrđ", min_size=1, max_size=6),
)
_SEPARATORS = st.sampled_from([" ", " ", " ", ", ", ",", "\n", ";", "  "])


@st.composite
def _commands(draw: st.DrawFn) -> str:
    parts: list[str] = []
    for _ in range(draw(st.integers(min_value=1, max_value=3))):
        words = [draw(st.sampled_from(_KEYWORD_FORMS))]
        glued = draw(st.booleans())
        for arg in draw(st.lists(_ARG_FORMS, max_size=6)):
            words.append(arg)
        text = words[0]
        for w in words[1:]:
            text += ("" if glued else draw(_SEPARATORS)) + w
            glued = False
        parts.append(text)
    return draw(st.sampled_from(["\n", ";", "; "])).join(parts)


@FAST
@given(_commands())
def test_parse_never_raises_on_grammar_shaped_text(text: str) -> None:
    parsed = parse(text, TODAY)
    _assert_well_formed(parsed)
    nfd = parse(unicodedata.normalize("NFD", text), TODAY)
    assert nfd == parsed


@FAST
@given(
    st.integers(min_value=1, max_value=9999),
    st.integers(min_value=1_000, max_value=2_000_000_000),
)
def test_tra_echoes_what_was_typed(member: int, amount: int) -> None:
    from menus.money import format_vnd

    (item,) = parse(f"TRA {member} {format_vnd(amount)}", TODAY).items
    assert item == Command(
        Keyword.TRA, None, f"TRA {member} {format_vnd(amount)}", tra((member, amount))
    )
