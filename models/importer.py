"""Member lists as a provincial clerk has them: CSV or spreadsheet, Vietnamese or English headings.

Files: .csv/.txt/.tsv in UTF-8 (with or without BOM), UTF-16 or the Windows Vietnamese code page
(cp1258), separated by commas, semicolons or tabs; .xls, .xlsx, .xlsm and .ods read with
python-calamine. The file's content decides how it is read, so an "Excel" export that is really
tab-separated text still goes in. Title rows, blank rows and a numbering row around the heading
are passed over; a "Năm sinh" heading split into "Nam" and "Nữ" columns gives the sex.

Every data row gets one RowOutcome: added, updated (some field changed), unchanged or refused, with
a reason a clerk can act on. Rows are checked first and written after, so a refused row stores
nothing while the others still go in. A member number used twice in one file refuses both rows.
"""

from __future__ import annotations

import csv
import io
import re
import unicodedata
from collections import defaultdict
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from enum import StrEnum
from pathlib import Path
from typing import Any

from sqlalchemy import insert, select, update
from sqlalchemy.orm import Session

from menus.clock import utcnow, vn_today
from menus.grammar import MAX_MEMBER
from menus.i18n import available_languages
from menus.phones import normalize_phone
from menus.text import fold
from models.clubs import Club, Member, MemberPhoneHistory, MemberRole
from models.enums import MemberStatus, Role
from models.records import AuditEntry

# Accepted headings for each field, as a clerk writes them; matching ignores case and accents.
COLUMNS: dict[str, tuple[str, ...]] = {
    "number": (
        "Số thẻ", "Số", "Mã", "Mã số", "Mã HV", "Mã hội viên", "Số hội viên", "STT thẻ",
        "Number", "Member number", "Card number", "No",
    ),
    "full_name": ("Họ và tên", "Họ tên", "Tên", "Full name", "Name"),
    "family_name": ("Họ", "Họ đệm", "Họ và tên đệm", "Family name", "Surname"),
    "phone": ("Điện thoại", "SĐT", "Số điện thoại", "Số ĐT", "ĐT", "Điện thoại di động",
              "Di động", "Phone", "Phone number", "Mobile"),
    "birth_year": ("Năm sinh", "Ngày sinh", "Ngày tháng năm sinh", "Birth year", "Born",
                   "Date of birth", "Birth date", "DOB"),
    "sex": ("Giới tính", "Giới", "Sex", "Gender"),
    "ethnic_group": ("Dân tộc", "Ethnic group", "Ethnicity"),
    "roles": ("Vai trò", "Chức vụ", "Roles", "Role"),
    "language": ("Ngôn ngữ", "Language"),
}  # fmt: skip
REQUIRED = ("number", "full_name")
# Fields as a clerk reads them in a message.
FIELD_LABELS = {
    "number": "member number", "full_name": "name", "phone": "phone", "birth_year": "birth year",
    "sex": "sex", "ethnic_group": "ethnic group", "roles": "roles", "language": "language",
}  # fmt: skip
HEADER_SCAN_ROWS = 15  # the heading is looked for in this many rows from the top

# Role words: Vietnamese (with or without accents), English; the enum values are accepted too.
ROLE_WORDS: dict[Role, tuple[str, ...]] = {
    Role.CHAIR: ("chủ nhiệm", "chair", "chairperson"),
    Role.VICE_CHAIR: ("phó chủ nhiệm", "vice-chair", "vice chair"),
    Role.SECRETARY: ("thư ký", "secretary"),
    Role.TREASURER: ("thủ quỹ", "treasurer"),
    Role.HEALTH_VOLUNTEER: (
        "tình nguyện viên sức khỏe", "TNV sức khỏe", "sức khỏe", "health volunteer",
    ),
    Role.HOMECARE_VOLUNTEER: (
        "tình nguyện viên chăm sóc tại nhà", "TNV chăm sóc tại nhà", "TNV chăm sóc",
        "chăm sóc tại nhà", "homecare volunteer", "home-care volunteer",
    ),
}  # fmt: skip
# Words that say "an ordinary member": no role.
NO_ROLE_WORDS = ("hội viên", "thành viên", "member")
ROLE_CHOICES_HELP = (
    "; ".join(
        f"{words[0]} / {next(w for w in words if w.isascii())}" for words in ROLE_WORDS.values()
    )
    + " (accents optional; several separated by commas)"
)
SEX_WORDS = {"nam": "M", "m": "M", "male": "M", "nu": "F", "f": "F", "female": "F"}
LANGUAGE_WORDS = {"english": "en", "tieng anh": "en", "vietnamese": "vi", "tieng viet": "vi"}

SHEET_SUFFIXES = (".xls", ".xlsx", ".xlsm", ".ods")
TEXT_SUFFIXES = (".csv", ".txt", ".tsv")
_EXCEL_EPOCH = date(1899, 12, 30)  # serial day 0, after Excel's 1900 leap-year slip
_SERIAL_FROM = 10_000
_ROLE_SPLIT = re.compile(r"[,;/+&\n]|\s(?:kiêm|kiem|và|va|and)\s", re.IGNORECASE)
_NUMBER_TEXT = re.compile(r"(?:tv|#)?\s*(\d+)(?:[.,]0+)?")
_WHOLE_FLOAT = re.compile(r"(\d+)\.0+")
_DECIMAL = re.compile(r"\d+[.,]\d+")
_SCIENTIFIC = re.compile(r"\d(?:[.,]\d+)?e\+?\d+", re.IGNORECASE)
_DAY_MONTH_YEAR = re.compile(r"(\d{1,2})[/.\-](\d{1,2})[/.\-](\d{2,4})")
_YEAR_MONTH_DAY = re.compile(r"(\d{4})[/.\-](\d{1,2})[/.\-](\d{1,2})(?:[ T][\d:.]*)?")
_MONTH_YEAR = re.compile(r"(\d{1,2})[/.\-](\d{4})")
_COLUMN_NUMBER = re.compile(r"\(?(\d{1,2})\)?")
_BRACKETS = re.compile(r"\(.*?\)|\[.*?\]")
_NAME_MAX = Member.__table__.c.full_name.type.length
_ETHNIC_MAX = Member.__table__.c.ethnic_group.type.length


def _fold_key(text: str) -> str:
    """A word or heading folded for matching: "Vice_Chair" -> "vice chair", "Số ĐT:" -> "so dt"."""
    return " ".join(re.sub(r"[_\-.:*]", " ", fold(text)).split())


_ROLE_LOOKUP: dict[str, Role] = {
    _fold_key(w): role for role, words in ROLE_WORDS.items() for w in (*words, role.value)
}
_NO_ROLE_KEYS = frozenset(_fold_key(w) for w in NO_ROLE_WORDS)
_HEADER_LOOKUP: dict[str, str] = {
    _fold_key(spelling): name for name, spellings in COLUMNS.items() for spelling in spellings
}


class Outcome(StrEnum):
    ADDED = "added"
    UPDATED = "updated"
    UNCHANGED = "unchanged"
    REFUSED = "refused"


@dataclass(frozen=True)
class RowOutcome:
    """What became of one data row. `line` is the row number the clerk sees (spreadsheet row or
    CSV line); `reason` says why a row was refused, or which fields an update changed."""

    line: int
    number: int | None
    name: str
    outcome: str
    reason: str = ""


@dataclass
class ImportResult:
    rows: list[RowOutcome] = field(default_factory=list)
    # File-level problems, then "row N: reason" for every refused row.
    errors: list[str] = field(default_factory=list)

    def _count(self, outcome: Outcome) -> int:
        return sum(1 for r in self.rows if r.outcome == outcome)

    @property
    def added(self) -> int:
        return self._count(Outcome.ADDED)

    @property
    def updated(self) -> int:
        return self._count(Outcome.UPDATED)

    @property
    def unchanged(self) -> int:
        return self._count(Outcome.UNCHANGED)

    @property
    def refused(self) -> int:
        return self._count(Outcome.REFUSED)


class _FileProblem(Exception):
    """The file as a whole cannot be read; the message is for the clerk."""


def parse_roles(text: str) -> list[Role]:
    """Roles written in a cell or on the command line: "Thư ký, thủ quỹ", "thu ky kiem thu quy",
    "secretary", "health_volunteer". "Hội viên" (an ordinary member) means no role."""
    roles: list[Role] = []
    for part in _ROLE_SPLIT.split(unicodedata.normalize("NFC", text)):
        key = _fold_key(part)
        if not key or key in _NO_ROLE_KEYS:
            continue
        role = _ROLE_LOOKUP.get(key)
        if role is None:
            raise ValueError(f"unknown role '{part.strip()}' (accepted: {ROLE_CHOICES_HELP})")
        if role not in roles:
            roles.append(role)
    return roles


# --- reading the file -------------------------------------------------------------------------

Rows = list[tuple[int, list[Any]]]  # (line as the clerk sees it, cells)


@dataclass
class _Layout:
    """Where the heading is and which column holds what."""

    rows: Rows
    cols: dict[str, int]
    first_data: int  # index into rows of the first data row
    sexed_years: tuple[int, int] | None = None  # "Năm sinh" split into Nam / Nữ columns


def _locate(path: Path) -> _Layout:
    """The first table in the file with a heading: a spreadsheet's visible sheets are tried in
    order, so a cover or instructions sheet before the list is passed over."""
    seen: list[Rows] = []
    for table in _read(path):
        layout = _find_layout(table)
        if layout is not None:
            return layout
        seen.append(table)
    raise _FileProblem(_missing_columns_message(seen))


def _read(path: Path) -> Iterator[Rows]:
    """The tables in a file: a spreadsheet's visible sheets in order, or the CSV."""
    suffix = path.suffix.lower()
    if suffix not in SHEET_SUFFIXES + TEXT_SUFFIXES:
        accepted = ", ".join(SHEET_SUFFIXES + TEXT_SUFFIXES)
        raise _FileProblem(f"files of type '{suffix or path.name}' cannot be read; use {accepted}")
    try:
        data = path.read_bytes()
    except OSError as exc:
        raise _FileProblem(f"the file cannot be opened ({exc.strerror or 'read error'})") from exc
    if not data.strip():
        raise _FileProblem("the file is empty")
    head = data[:8]
    if head.startswith((b"PK\x03\x04", b"\xd0\xcf\x11\xe0")):
        return _read_sheets(data)
    if data.lstrip()[:1] == b"<":
        raise _FileProblem(
            "the file is a web page or XML, not a spreadsheet: open it in Excel or LibreOffice "
            "and save it as .xlsx"
        )
    return iter([_read_csv(_decode(data))])


def _read_sheets(data: bytes) -> Iterator[Rows]:
    from python_calamine import CalamineError, CalamineWorkbook, PasswordError, SheetVisibleEnum

    visible = 0
    try:
        book = CalamineWorkbook.from_filelike(io.BytesIO(data))
        for index, meta in enumerate(book.sheets_metadata):
            if meta.visible != SheetVisibleEnum.Visible:
                continue
            visible += 1
            cells = book.get_sheet_by_index(index).to_python(skip_empty_area=False)
            yield [(i + 1, list(row)) for i, row in enumerate(cells)]
    except PasswordError as exc:
        raise _FileProblem("the file is protected by a password: save a copy without it") from exc
    except CalamineError as exc:
        raise _FileProblem(_DAMAGED) from exc
    except BaseException as exc:
        # A badly damaged .xls can make the reader panic (pyo3's PanicException, which is not
        # an Exception); that is a damaged file too. Interrupts and exits go on as they are.
        if isinstance(exc, Exception) or type(exc).__name__ == "PanicException":
            raise _FileProblem(_DAMAGED) from exc
        raise
    if not visible:
        raise _FileProblem("the workbook has no visible sheet")


_DAMAGED = (
    "the file is damaged or is not a spreadsheet: open it in Excel or LibreOffice and save it again"
)


def _decode(data: bytes) -> str:
    """Text in UTF-8 (BOM or not), UTF-16, or a Windows code page found by charset-normalizer
    among the two a clerk's computer writes: Vietnamese (cp1258), preferred when it fits, and
    Western (cp1252). Always NFC, since cp1258 writes tones as combining marks."""
    if data.startswith((b"\xff\xfe", b"\xfe\xff")):
        text = data.decode("utf-16")
    elif b"\x00" in data[:4096]:  # UTF-16 without a BOM: the zero bytes say which end is high
        head = data[:4096]
        odd_zeros = head[1::2].count(0) > head[0::2].count(0)
        text = data.decode("utf-16-le" if odd_zeros else "utf-16-be", errors="replace")
    else:
        try:
            text = data.decode("utf-8-sig")
        except UnicodeDecodeError:
            text = _decode_legacy(data)
    return unicodedata.normalize("NFC", text.lstrip("\ufeff"))


def _decode_legacy(data: bytes) -> str:
    from charset_normalizer import from_bytes

    matches = from_bytes(data, cp_isolation=["cp1258", "cp1252"]) or from_bytes(data)
    best = matches.best()
    if best is None:
        raise _FileProblem(
            "the file is not text in a known encoding: save it as CSV UTF-8 or .xlsx"
        )
    for match in matches:
        if "cp1258" in match.could_be_from_charset and match.chaos <= best.chaos:
            text = data.decode("cp1258", errors="replace")
            if _tones_on_vowels(text):
                return text
    return str(best)


_TONE_MARKS = frozenset("\u0300\u0301\u0303\u0309\u0323")


def _tones_on_vowels(text: str) -> bool:
    """True when every combining tone mark follows a vowel, as in real Vietnamese text."""
    return all(
        i > 0 and unicodedata.normalize("NFD", text[i - 1])[0].lower() in "aeiouy"
        for i, ch in enumerate(text)
        if ch in _TONE_MARKS
    )


def _read_csv(text: str) -> Rows:
    """The rows under the delimiter (, ; or tab) that shows a heading, else the most used one."""
    top = "\n".join(text.splitlines()[: HEADER_SCAN_ROWS * 2])
    delimiters = sorted(",;\t", key=top.count, reverse=True)
    for delimiter in delimiters:
        if _find_layout(_csv_rows(text, delimiter, HEADER_SCAN_ROWS)) is not None:
            return _csv_rows(text, delimiter)
    return _csv_rows(text, delimiters[0])


def _csv_rows(text: str, delimiter: str, limit: int | None = None) -> Rows:
    reader = csv.reader(io.StringIO(text, newline=""), delimiter=delimiter)
    rows: Rows = []
    try:
        for cells in reader:
            rows.append((reader.line_num, cells))
            if limit is not None and len(rows) >= limit:
                break
    except csv.Error as exc:
        raise _FileProblem(
            f"line {reader.line_num} cannot be read as CSV: a quote is not closed or a cell is "
            "far too long"
        ) from exc
    return rows


def _header_key(cell: Any) -> str:
    return _fold_key(_BRACKETS.sub(" ", _text(cell)))


def _columns(header: Sequence[Any]) -> dict[str, int]:
    cols: dict[str, int] = {}
    for i, cell in enumerate(header):
        name = _HEADER_LOOKUP.get(_header_key(cell))
        if name is not None and name not in cols:
            cols[name] = i
    if "family_name" in cols and "full_name" not in cols:
        del cols["family_name"]
    return cols


def _find_layout(rows: Rows) -> _Layout | None:
    found = next(
        (
            (index, cols)
            for index, (_, cells) in enumerate(rows[:HEADER_SCAN_ROWS])
            if all(name in (cols := _columns(cells)) for name in REQUIRED)
        ),
        None,
    )
    if found is None:
        return None
    index, cols = found
    layout = _Layout(rows, cols, index + 1)
    # A second heading row: "Năm sinh" over "Nam" | "Nữ" columns.
    if layout.first_data < len(rows):
        below = {_header_key(c): i for i, c in enumerate(rows[layout.first_data][1])}
        male, female = below.get("nam"), below.get("nu")
        if male is not None and female is not None and _blank(rows[layout.first_data][1], cols):
            layout.sexed_years = (male, female)
            cols.pop("birth_year", None)
            layout.first_data += 1
    # A row numbering the columns, "(1) (2) (3)" or "1 2 3", as official forms have.
    if layout.first_data < len(rows) and _is_column_numbering(rows[layout.first_data][1]):
        layout.first_data += 1
    return layout


def _blank(cells: Sequence[Any], cols: dict[str, int]) -> bool:
    return all(_cell(cells, cols, name) == "" for name in REQUIRED)


def _is_column_numbering(cells: Sequence[Any]) -> bool:
    values = [_text(c) for c in cells if _text(c)]
    numbers = [m.group(1) for v in values if (m := _COLUMN_NUMBER.fullmatch(v))]
    if len(values) < 3 or len(numbers) != len(values):
        return False
    ints = [int(n) for n in numbers]
    return ints == list(range(ints[0], ints[0] + len(ints)))


def _missing_columns_message(tables: list[Rows]) -> str:
    rows = [cells for table in tables for _, cells in table[:HEADER_SCAN_ROWS]]
    best = max(rows, key=lambda cells: len(_columns(cells)), default=[])
    if not _columns(best):
        best = next((cells for cells in rows if any(_text(c) for c in cells)), [])
    found = _columns(best)
    missing = [FIELD_LABELS[name] for name in REQUIRED if name not in found]
    headings = [_text(c) for c in best if _text(c)]
    accepted = "; ".join(f"{FIELD_LABELS[n]}: {', '.join(COLUMNS[n])}" for n in REQUIRED)
    shown = ", ".join(f"'{h[:40]}'" for h in headings[:12]) or "none"
    return (
        f"missing columns: {', '.join(missing)}. Columns found: {shown}. "
        f"Accepted headings for {accepted}"
    )


# --- cells ------------------------------------------------------------------------------------


def _text(value: Any) -> str:
    """A cell as trimmed text, whole numbers without ".0", NFC, spaces (NBSP too) collapsed."""
    if value is None or isinstance(value, bool):
        return "" if value is None else str(value)
    if isinstance(value, float):
        return str(int(value)) if value.is_integer() else str(value)
    if isinstance(value, datetime):
        return value.date().isoformat() if value.time() == datetime.min.time() else str(value)
    if not isinstance(value, str):
        return str(value)
    return " ".join(unicodedata.normalize("NFC", value).split())


def _at(cells: Sequence[Any], i: int | None) -> Any:
    """The raw cell at column i; "" when there is none or it is blank."""
    if i is None or i >= len(cells):
        return ""
    value = cells[i]
    return "" if value is None or (isinstance(value, str) and not value.strip()) else value


def _cell(cells: Sequence[Any], cols: dict[str, int], name: str) -> Any:
    return _at(cells, cols.get(name))


class _Refused(ValueError):
    """One field of a row cannot be taken; the message is the reason."""


def _member_number(value: Any) -> int:
    if value == "":
        raise _Refused("no member number")
    if isinstance(value, bool) or (isinstance(value, float) and not value.is_integer()):
        raise _Refused(f"member number '{_text(value)}' is not a whole number")
    if isinstance(value, int | float):
        number = int(value)
    else:
        m = _NUMBER_TEXT.fullmatch(fold(_text(value)))
        if m is None:
            what = "a whole number" if _DECIMAL.fullmatch(_text(value)) else "a number"
            raise _Refused(f"member number '{_text(value)}' is not {what}")
        number = int(m.group(1))
    if not 1 <= number <= MAX_MEMBER:
        raise _Refused(f"member number {number} is not between 1 and {MAX_MEMBER}")
    return number


def _name(cells: Sequence[Any], cols: dict[str, int]) -> str:
    parts = [_text(_cell(cells, cols, n)) for n in ("family_name", "full_name")]
    name = " ".join(p for p in parts if p)
    if not name:
        raise _Refused("no name")
    if not any(ch.isalpha() for ch in name):
        raise _Refused(f"name '{name}' has no letters")
    if len(name) > _NAME_MAX:
        raise _Refused(f"name is longer than {_NAME_MAX} characters")
    return name


def _phone(value: Any) -> str | None:
    if value == "":
        return None
    if isinstance(value, int | float) and not isinstance(value, bool):
        if isinstance(value, float) and not value.is_integer():
            raise _Refused(f"phone '{value}' is not a Vietnamese mobile number")
        raw = str(int(value))
        if len(raw) == 9:  # a number cell drops the leading 0
            raw = "0" + raw
    else:
        raw = _text(value)
        if _SCIENTIFIC.fullmatch(raw):
            raise _Refused(
                f"phone '{raw}' was shortened by Excel: format the column as text and type it again"
            )
        if m := _WHOLE_FLOAT.fullmatch(raw):
            raw = m.group(1)
    phone = normalize_phone(raw)
    if phone is None:
        raise _Refused(f"phone '{raw}' is not a Vietnamese mobile number")
    return phone


def _birth_year(value: Any, this_year: int) -> int | None:
    """A year from a year, a date, a date cell or an Excel date serial; 1900 to this year."""
    if value == "":
        return None
    year: int | None = None
    if isinstance(value, datetime | date):
        year = value.year
    elif isinstance(value, int | float) and not isinstance(value, bool):
        year = _year_from_number(value, this_year)
    else:
        text = _text(value)
        if m := re.fullmatch(r"\d+(?:\.0+)?", text):
            year = _year_from_number(float(text), this_year)
        elif m := _YEAR_MONTH_DAY.fullmatch(text):
            year = _checked_date(int(m[1]), int(m[2]), int(m[3]), text)
        elif m := _DAY_MONTH_YEAR.fullmatch(text):
            if len(m[3]) != 4:
                raise _Refused(f"birth date '{text}': write the year with 4 digits")
            year = _checked_date(int(m[3]), int(m[2]), int(m[1]), text)
        elif m := _MONTH_YEAR.fullmatch(text):
            year = int(m[2])
        if year is None:
            raise _Refused(f"birth year '{text}' is not a year or a date")
    if not 1900 <= year <= this_year:
        raise _Refused(f"birth year {year} is not between 1900 and {this_year}")
    return year


def _year_from_number(value: float, this_year: int) -> int:
    """A 4-digit number is a year; a 5-digit one an Excel date serial (10000 is 18/05/1927) from
    a date cell that lost its date format."""
    if isinstance(value, float) and not value.is_integer():
        raise _Refused(f"birth year '{value}' is not a year or a date")
    n = int(value)
    if _SERIAL_FROM <= n <= (date(this_year, 12, 31) - _EXCEL_EPOCH).days:
        return (_EXCEL_EPOCH + timedelta(days=n)).year
    return n


def _checked_date(year: int, month: int, day: int, text: str) -> int:
    """The year, when day and month make a date (either way round: 03/12 or 12/03)."""
    for m, d in ((month, day), (day, month)):
        try:
            date(year, m, d)
        except ValueError:
            continue
        return year
    raise _Refused(f"birth date '{text}' is not a real date")


def _sex(value: Any) -> str | None:
    key = fold(_text(value))
    if not key:
        return None
    if key not in SEX_WORDS:
        raise _Refused(f"sex '{_text(value)}' is not Nam/Nữ (M/F)")
    return SEX_WORDS[key]


def _language(value: Any) -> str | None:
    key = _fold_key(_text(value))
    if not key:
        return None
    codes = available_languages()
    code = LANGUAGE_WORDS.get(key, key.replace(" ", "_"))
    if code not in codes:
        raise _Refused(f"language '{_text(value)}' is not one of {', '.join(codes)}")
    return code


def _ethnic_group(value: Any) -> str | None:
    text = _text(value)
    if len(text) > _ETHNIC_MAX:
        raise _Refused(f"ethnic group is longer than {_ETHNIC_MAX} characters")
    return text or None


# --- checking rows and writing them -----------------------------------------------------------


@dataclass
class _Row:
    line: int
    number: int | None
    name: str
    problems: list[str] = field(default_factory=list)
    fields: dict[str, Any] = field(default_factory=dict)
    roles: list[Role] | None = None  # None: the roles cell is empty, keep what the member has


def _check(cells: Sequence[Any], line: int, layout: _Layout, this_year: int) -> _Row:
    cols = layout.cols
    row = _Row(line, None, _text(_cell(cells, cols, "full_name")))

    def take(parse: Any, *args: Any) -> Any:
        try:
            return parse(*args)
        except _Refused as exc:
            row.problems.append(str(exc))
            return None

    row.number = take(_member_number, _cell(cells, cols, "number"))
    name = take(_name, cells, cols)
    row.name = name or row.name
    year = take(_birth_year, _cell(cells, cols, "birth_year"), this_year)
    sex = take(_sex, _cell(cells, cols, "sex"))
    if layout.sexed_years is not None:
        male, female = (_at(cells, i) for i in layout.sexed_years)
        if male != "" and female != "":
            row.problems.append("birth year given under both Nam and Nữ")
        elif male != "" or female != "":
            year = take(_birth_year, male if male != "" else female, this_year)
            sex = sex or ("M" if male != "" else "F")
    row.fields = {
        "full_name": name,
        "phone": take(_phone, _cell(cells, cols, "phone")),
        "birth_year": year,
        "sex": sex,
        "ethnic_group": take(_ethnic_group, _cell(cells, cols, "ethnic_group")),
        "language": take(_language, _cell(cells, cols, "language")),
    }
    roles_cell = _text(_cell(cells, cols, "roles"))
    if roles_cell:
        try:
            row.roles = parse_roles(roles_cell)
        except ValueError as exc:
            row.problems.append(str(exc))
    return row


def _is_heading_again(cells: Sequence[Any], cols: dict[str, int]) -> bool:
    """The heading repeated on each printed page of a long list."""
    return all(_HEADER_LOOKUP.get(_header_key(_cell(cells, cols, n))) == n for n in REQUIRED)


def import_members(session: Session, club: Club, path: Path) -> ImportResult:
    """Add or update a club's members by member number from a clerk's file.

    Never raises for a bad file: file-level problems go to `errors`. A row that cannot be taken
    whole is refused and stores nothing; the rest go in. Empty cells keep what is stored; a roles
    cell replaces the member's roles ("Hội viên" leaves none).
    """
    result = ImportResult()
    try:
        layout = _locate(Path(path))
    except _FileProblem as exc:
        result.errors.append(str(exc))
        return result

    this_year = vn_today().year
    checked: list[_Row] = []
    for line, cells in layout.rows[layout.first_data :]:
        if not any(_text(c) for c in cells) or _is_heading_again(cells, layout.cols):
            continue
        checked.append(_check(cells, line, layout, this_year))
    lines_by_number: dict[int, list[int]] = defaultdict(list)
    for row in checked:
        if row.number is not None:
            lines_by_number[row.number].append(row.line)
    for row in checked:
        others = [n for n in lines_by_number.get(row.number, ()) if n != row.line]
        if others:
            where = "line " if len(others) == 1 else "lines "
            row.problems.insert(
                0, f"member number {row.number} is also on {where}{', '.join(map(str, others))}"
            )

    outcomes = _write(session, club, [r for r in checked if not r.problems])
    for row in checked:
        if row.problems:
            reason = "; ".join(row.problems)
            result.rows.append(RowOutcome(row.line, row.number, row.name, Outcome.REFUSED, reason))
            result.errors.append(f"row {row.line}: {reason}")
        else:
            outcome, reason = outcomes[row.line]
            result.rows.append(RowOutcome(row.line, row.number, row.name, outcome, reason))
    return result


def _write(session: Session, club: Club, rows: list[_Row]) -> dict[int, tuple[Outcome, str]]:
    """Store the accepted rows with a fixed number of queries, whatever their count."""
    existing = {
        m.number: m for m in session.scalars(select(Member).where(Member.club_id == club.id))
    }
    outcomes: dict[int, tuple[Outcome, str]] = {}
    new: list[_Row] = []
    phone_changes: list[tuple[Member, str]] = []
    for row in rows:
        assert row.number is not None
        f = row.fields
        member = existing.get(row.number)
        if member is None:
            new.append(row)
            outcomes[row.line] = (Outcome.ADDED, "")
            continue
        changed = [
            name
            for name in ("full_name", "birth_year", "sex", "ethnic_group", "language")
            if f[name] is not None and getattr(member, name) != f[name]
        ]
        for name in changed:
            setattr(member, name, f[name])
        if f["phone"] is not None and f["phone"] != member.phone:
            phone_changes.append((member, f["phone"]))
            changed.append("phone")
        if row.roles is not None and set(row.roles) != member.role_set:
            _replace_roles(member, row.roles)
            changed.append("roles")
        if changed:
            what = ", ".join(FIELD_LABELS[name] for name in changed)
            outcomes[row.line] = (Outcome.UPDATED, f"changed: {what}")
        else:
            outcomes[row.line] = (Outcome.UNCHANGED, "")
    _change_phones(session, phone_changes)
    session.flush()
    _add_members(session, club, new)
    return outcomes


def _add_members(session: Session, club: Club, rows: list[_Row]) -> None:
    """models.admin.add_member for many rows at once: each statement an executemany."""
    if not rows:
        return
    session.execute(
        insert(Member),
        [
            {"club_id": club.id, "number": r.number, "status": MemberStatus.ACTIVE, **r.fields}
            for r in rows
        ],
    )
    ids = dict(
        session.execute(select(Member.number, Member.id).where(Member.club_id == club.id)).all()
    )
    roles = [{"member_id": ids[r.number], "role": x.value} for r in rows for x in r.roles or ()]
    if roles:
        session.execute(insert(MemberRole), roles)
    phones = [
        {"member_id": ids[r.number], "phone": r.fields["phone"]} for r in rows if r.fields["phone"]
    ]
    if phones:
        session.execute(insert(MemberPhoneHistory), phones)


def _replace_roles(member: Member, roles: Iterable[Role]) -> None:
    wanted = {r.value for r in roles}
    member.roles = [r for r in member.roles if r.role in wanted] + [
        MemberRole(role=v) for v in sorted(wanted - {r.role for r in member.roles})
    ]


def _change_phones(session: Session, changes: list[tuple[Member, str]]) -> None:
    """models.admin.change_phone for many members at once: the open history row closed, a new one
    opened and the change audited, in a few statements."""
    if not changes:
        return
    now = utcnow()
    ids = [m.id for m, _ in changes]
    for start in range(0, len(ids), 1000):
        session.execute(
            update(MemberPhoneHistory)
            .where(
                MemberPhoneHistory.member_id.in_(ids[start : start + 1000]),
                MemberPhoneHistory.valid_to.is_(None),
            )
            .values(valid_to=now),
        )
    for member, phone in changes:
        session.add(
            AuditEntry(
                club_id=member.club_id,
                actor_phone=None,
                action="change_phone",
                entity="member",
                entity_id=member.id,
                detail=f"{member.phone or '-'} -> {phone}",
            )
        )
        member.phone = phone
        session.add(MemberPhoneHistory(member_id=member.id, phone=phone, valid_from=now))
