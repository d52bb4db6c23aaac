"""Message catalogs: loading, deriving "vi", fallbacks, and the shipped SMS texts."""

from __future__ import annotations

import string
from collections.abc import Iterator
from pathlib import Path

import pytest

from menus import i18n
from menus.grammar import WHOLE_SMS_ERRORS, ErrorCode, Keyword
from menus.text import strip_accents

SHIPPED = ("vi_dau", "en")
PLACEHOLDERS = ("subject", "reason", "hint", "example", "word", "suggestion", "value", "lo", "hi")


@pytest.fixture
def catalogs(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[Path]:
    """An empty catalog directory in place of the shipped one."""
    monkeypatch.setattr(i18n, "CATALOG_DIR", tmp_path)
    i18n.reload()
    yield tmp_path
    monkeypatch.undo()
    i18n.reload()


def write(root: Path, lang: str, name: str, text: str) -> None:
    folder = root / lang
    folder.mkdir(exist_ok=True)
    (folder / name).write_text(text, encoding="utf-8")


def test_files_of_a_language_merge_and_tables_flatten(catalogs: Path) -> None:
    write(catalogs, "vi_dau", "sms.toml", '[sms.err]\nempty = "Tin nhắn trống"\n')
    write(catalogs, "vi_dau", "ussd.toml", '"ussd.menu" = "Chọn"\n[ussd.x]\ny = "Có {n}"\n')
    assert i18n.t("vi_dau", "sms.err.empty") == "Tin nhắn trống"
    assert i18n.t("vi_dau", "ussd.menu") == "Chọn"
    assert i18n.t("vi_dau", "ussd.x.y", n=3) == "Có 3"


def test_vi_is_derived_without_accents_and_can_be_overridden(catalogs: Path) -> None:
    write(catalogs, "vi_dau", "sms.toml", 'a = "Trả nợ"\nb = "Đã nhận"\n')
    write(catalogs, "vi", "fix.toml", 'b = "Da nhan roi"\n')
    assert i18n.t("vi", "a") == "Tra no"
    assert i18n.t("vi", "b") == "Da nhan roi"
    assert i18n.available_languages() == ["vi", "vi_dau"]


def test_vi_strips_accents_from_params_too(catalogs: Path) -> None:
    write(catalogs, "vi_dau", "sms.toml", 'hi = "Chào {name}"\n')
    assert i18n.t("vi", "hi", name="Rơ Châm H'Yéo") == "Chao Ro Cham H'Yeo"
    assert i18n.t("vi_dau", "hi", name="Rơ Châm") == "Chào Rơ Châm"


def test_other_languages_fall_back_to_vi(catalogs: Path) -> None:
    write(catalogs, "vi_dau", "sms.toml", 'a = "Trả nợ"\nb = "Bạn"\n')
    write(catalogs, "en", "sms.toml", 'a = "Repay"\n')
    write(catalogs, "jrai", "sms.toml", 'a = "Jrai text"\n')
    assert i18n.t("en", "a") == "Repay"
    assert i18n.t("en", "b") == "Ban"
    assert i18n.t("jrai", "b") == "Ban"
    assert i18n.available_languages() == ["en", "jrai", "vi", "vi_dau"]


def test_unknown_language_is_vi_and_missing_key_is_a_bug(catalogs: Path) -> None:
    write(catalogs, "vi_dau", "sms.toml", 'a = "Trả nợ"\n')
    assert i18n.t("xx", "a") == "Tra no"
    assert i18n.t("", "a") == "Tra no"
    assert i18n.resolve_language("EN") == "vi"
    assert i18n.resolve_language("VI_DAU") == "vi_dau"
    assert i18n.has_key("vi", "a")
    assert not i18n.has_key("vi", "nope")
    with pytest.raises(KeyError):
        i18n.t("vi_dau", "nope")
    with pytest.raises(KeyError):
        i18n.t("vi", "nope")


def test_duplicate_keys_and_non_strings_are_refused(catalogs: Path) -> None:
    write(catalogs, "vi_dau", "a.toml", '[sms]\nx = "1"\n')
    write(catalogs, "vi_dau", "b.toml", '"sms.x" = "2"\n')
    with pytest.raises(ValueError, match="twice"):
        i18n.t("vi_dau", "sms.x")
    i18n.reload()
    write(catalogs, "en", "c.toml", "n = 3\n")
    with pytest.raises(ValueError, match="not a string"):
        i18n.t("en", "n")


def test_directories_without_toml_are_not_languages(catalogs: Path) -> None:
    write(catalogs, "vi_dau", "sms.toml", 'a = "x"\n')
    (catalogs / "empty").mkdir()
    assert i18n.available_languages() == ["vi", "vi_dau"]


# --- the shipped SMS catalogs ---------------------------------------------------------------


def shipped_keys(lang: str) -> set[str]:
    """The SMS-grammar keys (other catalog files of the directory belong to other modules)."""
    return {k for k in i18n._directory(lang) if k.startswith("sms.")}


def test_shipped_languages() -> None:
    assert {"vi", "vi_dau", "en"} <= set(i18n.available_languages())


def test_english_has_every_key_vietnamese_has() -> None:
    assert shipped_keys("vi_dau") - shipped_keys("en") == set()


@pytest.mark.parametrize("lang", SHIPPED)
def test_every_error_code_and_keyword_has_texts(lang: str) -> None:
    keys = shipped_keys(lang)
    for code in ErrorCode:
        if code in WHOLE_SMS_ERRORS:
            assert f"sms.err.{code}" in keys
        else:
            assert f"sms.reason.{code}" in keys
    for keyword in Keyword:
        name = keyword.lower()
        assert {f"sms.kw.{name}", f"sms.example.{name}", f"sms.help.{name}"} <= keys
    assert {"sms.err.line", "sms.hint.example", "sms.help.index"} <= keys


@pytest.mark.parametrize("lang", SHIPPED)
def test_texts_fit_one_sms_once_unaccented(lang: str) -> None:
    for key in shipped_keys(lang):
        assert len(strip_accents(i18n.t(lang, key, **dict.fromkeys(PLACEHOLDERS, "")))) <= 160, key


@pytest.mark.parametrize("lang", SHIPPED)
def test_placeholders_are_plain_names(lang: str) -> None:
    allowed = set(PLACEHOLDERS)
    for key in shipped_keys(lang):
        text = i18n._directory(lang)[key]
        names = {name for _, name, _, _ in string.Formatter().parse(text) if name is not None}
        assert names <= allowed, key


def test_vi_is_plain_ascii() -> None:
    params = dict.fromkeys(PLACEHOLDERS, "x")
    for key in shipped_keys("vi_dau"):
        assert i18n.t("vi", key, **params).isascii(), key
