"""Texts that used to confuse: a trailing number blamed on the amount, "hom nay" refused as a
date, "(1 members)", "60 pct" and "(so TV>"."""

from __future__ import annotations

import re
import string
from datetime import date, timedelta
from decimal import Decimal
from pathlib import Path

import pytest

from menus import i18n
from menus.dates import named_day_words, parse_date
from menus.encoding import compose, is_gsm7
from menus.grammar import Command, ErrorCode, Keyword, ParseError, help_text, parse, render_error
from menus.sms.health import CnArgs, Weight
from menus.sms.ledger import GopArgs, Payment, TraArgs, VayArgs
from menus.sms.meeting import DDArgs
from runtime.channels.africastalking import DEFAULT_REJECTED_CHARS

TODAY = date(2025, 11, 28)
YESTERDAY = TODAY - timedelta(days=1)


def only(text: str) -> Command | ParseError:
    items = parse(text, TODAY).items
    assert len(items) == 1, items
    return items[0]


# --- 1. a number left over is named, not blamed on the amount --------------------------------


@pytest.mark.parametrize(
    ("text", "vi", "en"),
    [
        (
            "TRA 12 450k 12",
            'Loi: TRA 12 450k - thua "12", khong hieu. VD: TRA 12 450k',
            'Error: PAY 12 450k - extra "12" not understood. E.g. PAY 12 450k',
        ),
        (
            "TRA 12 450k 15",
            'Loi: TRA 12 450k - thua "15", khong hieu. VD: TRA 12 450k',
            'Error: PAY 12 450k - extra "15" not understood. E.g. PAY 12 450k',
        ),
        (
            "TRA 12 200k, 13 300k 12",
            'Loi: TRA 13 300k - thua "12", khong hieu. VD: TRA 12 450k',
            'Error: PAY 13 300k - extra "12" not understood. E.g. PAY 12 450k',
        ),
        (
            "TRA 12 450k 12, 15 300k",
            'Loi: TRA 12 450k - thua "12", khong hieu. VD: TRA 12 450k',
            'Error: PAY 12 450k - extra "12" not understood. E.g. PAY 12 450k',
        ),
        (
            "Trả hôm nay 12 450k: 12",
            'Loi: TRA 12 450k - thua "12", khong hieu. VD: TRA 12 450k',
            'Error: PAY 12 450k - extra "12" not understood. E.g. PAY 12 450k',
        ),
        (
            "VAY 12 5tr 12T 4",
            'Loi: VAY 12 5tr 12T - thua "4", khong hieu. VD: VAY 12 5tr 12T',
            'Error: LOAN 12 5tr 12T - extra "4" not understood. E.g. LOAN 12 5tr 12T',
        ),
        (
            "CN 12 52 12",
            'Loi: CN 12 52 - thua "12", khong hieu. VD: CN 12 52,5',
            'Error: KG 12 52 - extra "12" not understood. E.g. KG 12 52.5',
        ),
    ],
)
def test_a_number_left_over_is_named_as_extra(text: str, vi: str, en: str) -> None:
    err = only(text)
    assert isinstance(err, ParseError) and err.code == ErrorCode.EXTRA_TEXT
    assert render_error(err, "vi") == vi
    assert render_error(err, "en") == en


@pytest.mark.parametrize(
    ("text", "member", "vi"),
    [
        ("TRA 12", 12, "Loi: TRA 12 - thieu so tien. VD: TRA 12 450k"),
        ("TRA 12 200k, 15", 15, "Loi: TRA 15 - thieu so tien. VD: TRA 12 450k"),
        ("VAY 12", 12, "Loi: VAY 12 - thieu so tien. VD: VAY 12 5tr 12T"),
        ("GOP 0", 0, "Loi: GOP 0 - thieu so tien. VD: GOP 0 2tr UBND xa"),
        ("CN 12 52, 13", 13, "Loi: CN 13 - thieu can nang. VD: CN 12 52,5"),
    ],
)
def test_a_member_after_a_comma_or_alone_still_misses_its_amount(
    text: str, member: int, vi: str
) -> None:
    err = only(text)
    assert isinstance(err, ParseError) and err.member == member
    assert render_error(err, "vi") == vi


def test_the_item_before_the_extra_number_is_shown_short() -> None:
    err = only("TRA 12 450k 15 300k 16 200k 17 100k 12")
    assert isinstance(err, ParseError) and err.code == ErrorCode.EXTRA_TEXT
    line = render_error(err, "vi")
    assert line == 'Loi: TRA ..300k 16 200k 17 100k - thua "12", khong hieu. VD: TRA 12 450k'


def test_what_the_money_commands_still_accept() -> None:
    assert only("TRA 12 450k 15 300k") == Command(
        Keyword.TRA,
        None,
        "TRA 12 450k 15 300k",
        TraArgs((Payment(12, 450_000), Payment(15, 300_000))),
    )
    vay = only("VAY 12 5tr 12")
    assert isinstance(vay, Command) and vay.args == VayArgs(12, 5_000_000, 12)
    gop = only("GOP 12 450k 12")  # GOP takes a note: the number is kept as one
    assert isinstance(gop, Command) and gop.args == GopArgs(12, 450_000, "12")
    cn = only("CN 12 52 13 60")
    assert isinstance(cn, Command) and cn.args == CnArgs(
        (Weight(12, Decimal("52")), Weight(13, Decimal("60")))
    )


# --- 2. "hom nay" and "hom qua" are dates -----------------------------------------------------


@pytest.mark.parametrize(
    ("typed", "expected"),
    [
        ("hom nay", TODAY),
        ("hôm nay", TODAY),
        ("HÔM NAY", TODAY),
        ("Hom Nay", TODAY),
        ("ho\u0302m nay", TODAY),  # decomposed (NFD), as some phones send it
        ("hnay", TODAY),
        ("today", TODAY),
        ("hom qua", YESTERDAY),
        ("hôm qua", YESTERDAY),
        ("HOM QUA", YESTERDAY),
        ("Hôm Qua", YESTERDAY),
        ("hqua", YESTERDAY),
        ("yesterday", YESTERDAY),
        ("hôm kia", TODAY - timedelta(days=2)),
    ],
)
def test_named_days(typed: str, expected: date) -> None:
    assert parse_date(typed, TODAY) == expected


def test_named_day_words_count_only_a_leading_day() -> None:
    assert named_day_words(["hom", "nay", "1-12"]) == 2
    assert named_day_words(["hnay", "12"]) == 1
    assert named_day_words(["hom", "1-12"]) == 0
    assert named_day_words(["nay"]) == 0
    assert named_day_words(["1-12", "hom", "nay"]) == 0
    assert named_day_words([]) == 0


@pytest.mark.parametrize(
    ("text", "day", "members", "absent"),
    [
        ("DD hom nay 1-12", TODAY, tuple(range(1, 13)), False),
        ("DD hôm nay 1-12", TODAY, tuple(range(1, 13)), False),
        ("dd HOM NAY 1-12 14", TODAY, (*range(1, 13), 14), False),
        ("DD hom qua 1-12", YESTERDAY, tuple(range(1, 13)), False),
        ("DD Hôm Qua vang 3 7", YESTERDAY, (3, 7), True),
        ("DD ngay hom nay 1-5", TODAY, (1, 2, 3, 4, 5), False),
        ("ATT today 1-3", TODAY, (1, 2, 3), False),
        ("DD 1-12", None, tuple(range(1, 13)), False),  # still a range of members
    ],
)
def test_attendance_with_a_named_day(
    text: str, day: date | None, members: tuple[int, ...], absent: bool
) -> None:
    cmd = only(text)
    assert isinstance(cmd, Command), cmd
    assert (cmd.date, cmd.args) == (day, DDArgs(members, absent))


@pytest.mark.parametrize(
    "text",
    [
        "VAY hom qua 12 5tr",
        "TRA hôm qua 12 450k",
        "HA hom qua 12 150/95",
        "CN hôm qua 12 52",
        "THAM hom qua 12 don nha",
        "MANG hôm qua 7 30 van nghe",
        "GOP hom qua 0 2tr",
    ],
)
def test_every_dated_command_takes_a_named_day(text: str) -> None:
    cmd = only(text)
    assert isinstance(cmd, Command), cmd
    assert cmd.date == YESTERDAY


def test_a_half_named_day_is_not_a_date() -> None:
    err = only("DD hom 1-12")
    assert isinstance(err, ParseError) and err.code == ErrorCode.BAD_MEMBER_LIST


# --- 3. plural forms ------------------------------------------------------------------------

# Words that may follow a number without being a counted noun ("{date} is in the future").
_NOT_NOUNS = frozenset({"is", "was", "has", "needs", "meets", "pays"})
_AFTER_FIELD = re.compile(r"^ (?:[A-Z]{2,} )?([A-Za-z]+)")


def _fields(text: str) -> list[tuple[str, str, str]]:
    """(name, spec, literal text after the field) for each field of a catalog text."""
    parsed = list(string.Formatter().parse(text))
    out = []
    for i, (_, name, spec, _) in enumerate(parsed):
        if name is not None:
            after = parsed[i + 1][0] if i + 1 < len(parsed) else ""
            out.append((name, spec or "", after))
    return out


def _english() -> dict[str, str]:
    return dict(i18n._directory("en"))


def _counted_nouns() -> set[str]:
    """The nouns the English plural fields count ("member", "members", "ALERT", ...)."""
    nouns: set[str] = set()
    for text in _english().values():
        for _, spec, _ in _fields(text):
            for form in (i18n.plural_forms(spec) or {}).values():
                nouns.update(re.findall(r"#\s+(?:[A-Z]{2,}\s+)?([A-Za-z]+)", form))
    return nouns


def _looks_counted(word: str, nouns: set[str]) -> bool:
    if word in nouns or word in ("people", "person"):
        return True
    return word.endswith("s") and word.lower() not in _NOT_NOUNS


def test_every_english_text_with_a_count_has_plural_forms() -> None:
    nouns = _counted_nouns()
    assert {"member", "members", "month", "months", "ALERT", "ALERTS", "club", "try"} <= nouns
    missing = []
    for key, text in sorted(_english().items()):
        for name, spec, after in _fields(text):
            m = _AFTER_FIELD.match(after)
            if m and not spec and _looks_counted(m[1], nouns):
                missing.append(f"{key}: {{{name}}} {m[1]}")
    assert not missing, "counts without plural forms:\n" + "\n".join(missing)


def test_english_plural_fields_have_one_and_other_and_use_a_source_parameter() -> None:
    source = i18n._directory("vi_dau")
    seen = 0
    for key, text in _english().items():
        for name, spec, _ in _fields(text):
            forms = i18n.plural_forms(spec)
            if forms is None:
                continue
            seen += 1
            assert set(forms) == {"one", "other"} and forms["one"] != forms["other"], key
            assert all("#" in form for form in forms.values()), key
            if key in source:
                assert name in {f[0] for f in _fields(source[key])}, key
    assert seen >= 15


def test_no_english_text_says_one_of_a_plural() -> None:
    nouns = _counted_nouns()
    wrong = []
    for key, text in sorted(_english().items()):
        names = {name for name, _, _ in _fields(text)}
        rendered = i18n.t("en", key, **dict.fromkeys(names, 1))
        for word in re.findall(r"\b1 (?:[A-Z]{2,} )?([A-Za-z]+)", rendered):
            if word.endswith("s") and _looks_counted(word, nouns) or word == "people":
                wrong.append(f"{key}: {rendered}")
    assert not wrong, "\n".join(wrong)


@pytest.mark.parametrize(
    ("key", "params", "one", "many"),
    [
        ("sum.bc.red", {"count": 1}, "red alerts 1 (1 member)", "red alerts 1 (3 members)"),
        ("sum.area.clubs", {"reported": 1, "silent": 0}, "1 club, 1 reported, 0 silent", None),
        ("reply.frag.vay", {"member": 12, "amount": "5tr"}, "LOAN #12 5tr 1 month", None),
        ("reply.frag.mang", {"area": 7}, "AREA 7 1 person", "AREA 7 3 people"),
        ("reply.frag.alerts_mark", {}, " (1 ALERT)", " (3 ALERTS)"),
        ("reply.why.too_old", {"date": "01/09/2025"}, None, None),
        ("ussd.pin.wrong", {}, "Wrong PIN. 1 try left.", "Wrong PIN. 3 tries left."),
        ("view.loan.balance_many", {"amount": "1d"}, "Balance (1 loan): 1d", None),
    ],
)
def test_english_counts_agree(
    key: str, params: dict[str, object], one: str | None, many: str | None
) -> None:
    count = next(n for n, _, _ in _fields(i18n._directory("en")[key]) if n not in params)
    got_one = i18n.t("en", key, **params, **{count: 1})
    got_many = i18n.t("en", key, **params, **{count: 3})
    assert got_one != got_many
    if one is not None:
        assert got_one == one
    if many is not None:
        assert got_many == many


def test_vietnamese_has_one_form() -> None:
    assert i18n.t("vi", "sum.bc.red", count=1, members=1) == "bao dong do 1 (1 TV)"
    assert i18n.t("vi", "reply.frag.mang", area=7, people=1) == "MANG 7 1 nguoi"
    assert i18n.plural_category("vi", 1) == i18n.plural_category("vi_dau", 1) == "other"
    assert i18n.plural_category("en", 1) == "one"
    assert i18n.plural_category("en", "1") == "one"
    assert i18n.plural_category("en", 0) == i18n.plural_category("en", 2) == "other"
    assert i18n.plural_category("en", True) == i18n.plural_category("en", "") == "other"


@pytest.fixture
def catalogs(tmp_path: Path, monkeypatch: pytest.MonkeyPatch):  # type: ignore[no-untyped-def]
    monkeypatch.setattr(i18n, "CATALOG_DIR", tmp_path)
    i18n.reload()
    yield tmp_path
    monkeypatch.undo()
    i18n.reload()


def _write(root: Path, lang: str, text: str) -> None:
    (root / lang).mkdir(exist_ok=True)
    (root / lang / "t.toml").write_text(text, encoding="utf-8")


def test_plural_fields_in_a_catalog(catalogs: Path) -> None:
    _write(catalogs, "vi_dau", 'n = "{days} ngày, {x:>3}"\nbad = "{n:one=# a}"\n')
    _write(catalogs, "en", 'n = "{days:one=# day|other=# days}, {x:>3}"\n')
    _write(catalogs, "jrai", 'n = "{days:other=# hrơi}"\n')
    assert i18n.t("en", "n", days=1, x="a") == "1 day,   a"
    assert i18n.t("en", "n", days=0, x="a") == "0 days,   a"
    assert i18n.t("en", "n", days="", x="a") == " days,   a"  # not a count: "other"
    assert i18n.t("vi", "n", days=1, x="a") == "1 ngay,   a"
    assert i18n.t("jrai", "n", days=1, x="a") == "1 hrơi"
    with pytest.raises(ValueError, match="other"):
        i18n.t("vi_dau", "bad", n=1)


# --- 4 and 5. characters an aggregator refuses -----------------------------------------------


@pytest.mark.parametrize(
    ("lang", "accents", "text", "sent"),
    [
        ("vi", False, "co mat 60%", "co mat 60 phan tram"),
        ("vi_dau", False, "có mặt 60%", "co mat 60 phan tram"),
        ("vi_dau", True, "có mặt 60%", "có mặt 60 phần trăm"),
        ("en", False, "attendance 60%", "attendance 60 percent"),
        ("en", False, "interest 1.5%/month", "interest 1.5 percent/month"),
        ("vi", False, "lai 1 %", "lai 1 phan tram"),
        (None, False, "co mat 60%", "co mat 60 phan tram"),
    ],
)
def test_a_refused_percent_is_said_in_the_language(
    lang: str | None, accents: bool, text: str, sent: str
) -> None:
    composed = compose(
        text, accents_allowed=accents, rejected_chars=DEFAULT_REJECTED_CHARS, lang=lang
    )
    assert composed.text == sent
    assert "pct" not in composed.text


def test_percent_stays_where_the_channel_takes_it() -> None:
    assert compose("co mat 60%", accents_allowed=False, lang="en").text == "co mat 60%"


@pytest.mark.parametrize(
    ("rejected", "text", "sent"),
    [
        ("<", "TRA <so TV> <so tien>", "TRA (so TV) (so tien)"),
        (">", "TRA <so TV>", "TRA (so TV)"),
        ("<>", "<a <b> c>", "(a (b) c)"),
        ("[]", "HA [ngay] 150/95", "HA (ngay) 150/95"),
        ("[", "HA [ngay] 150/95", "HA (ngay) 150/95"),
        ("{}", "{a [b] c}", "(a [b] c)"),
        (DEFAULT_REJECTED_CHARS, "[a <b] c>", "(a (b) c)"),
        (DEFAULT_REJECTED_CHARS, "x [y", "x (y"),
        (DEFAULT_REJECTED_CHARS, "y] x", "y) x"),
        (DEFAULT_REJECTED_CHARS, "so TV} x", "so TV) x"),
        (DEFAULT_REJECTED_CHARS, "<-", "(-"),
        (DEFAULT_REJECTED_CHARS, "HA <90 la thap", "HA duoi 90 la thap"),
        (DEFAULT_REJECTED_CHARS, "a < b", "a duoi b"),
        ("<>()", "<so TV>", "so TV"),  # round brackets refused too: dropped
    ],
)
def test_brackets_are_replaced_in_pairs(rejected: str, text: str, sent: str) -> None:
    assert compose(text, accents_allowed=False, rejected_chars=rejected).text == sent


def test_a_lone_comparison_is_said_in_english() -> None:
    composed = compose("BP <90 is low", accents_allowed=False, rejected_chars="<", lang="en")
    assert composed.text == "BP below 90 is low"


@pytest.mark.parametrize("lang", ["vi", "vi_dau", "en"])
@pytest.mark.parametrize("keyword", list(Keyword))
def test_usage_replies_keep_their_brackets_matched(lang: str, keyword: Keyword) -> None:
    usage = help_text(keyword, lang)
    composed = compose(usage, accents_allowed=False, rejected_chars=DEFAULT_REJECTED_CHARS)
    sent = composed.text
    assert not any(ch in sent for ch in DEFAULT_REJECTED_CHARS + ">")
    depth = 0
    for ch in sent:
        depth += {"(": 1, ")": -1}.get(ch, 0)
        assert depth >= 0, sent
    assert depth == 0, sent
    assert is_gsm7(sent)


def test_the_tra_usage_reads_well_without_angle_brackets() -> None:
    sent = compose(
        help_text(Keyword.TRA, "vi"), accents_allowed=False, rejected_chars=DEFAULT_REJECTED_CHARS
    ).text
    assert sent.startswith("TRA (ngay) (so TV) (so tien), nhieu nguoi cach nhau dau phay.")
