"""Message catalogs: one directory per language under menus/catalogs/, every *.toml in it merged.

Keys are flat ("sms.err.line") or TOML tables flattened with dots; the file name is not part of the
key, and a key defined twice in one language is an error. "vi_dau" (Vietnamese with accents) is
the source. "vi" (the default, without accents, GSM-7) is derived from it by stripping accents,
and a catalogs/vi/ directory may override single keys. Any other language falls back to "vi" for a
key it does not have.

A text that counts something picks its words by the count with a plural field, the CLDR
categories as names and "#" for the number: "{months:one=# month|other=# months}". A language
without plural forms (Vietnamese) writes "{months} tháng". PLURAL_RULES says which numbers are
"one" in a language; a language not listed has one form, "other".
"""

from __future__ import annotations

import re
import string
import tomllib
from collections.abc import Callable, Mapping
from functools import cache, lru_cache
from pathlib import Path
from types import MappingProxyType
from typing import Any

from menus.text import strip_accents

CATALOG_DIR = Path(__file__).with_name("catalogs")
SOURCE_LANG = "vi_dau"
DEFAULT_LANG = "vi"

# CLDR plural categories a plural field may name; "other" is required, and used for any
# category a field leaves out and for values that are not whole numbers.
PLURAL_CATEGORIES = ("zero", "one", "two", "few", "many", "other")


def _one_other(n: int) -> str:
    return "one" if n == 1 else "other"


# Which category a whole number takes, per language (CLDR); unlisted languages only have "other".
PLURAL_RULES: Mapping[str, Callable[[int], str]] = MappingProxyType({"en": _one_other})
_PLURAL_FORM = rf"(?:{'|'.join(PLURAL_CATEGORIES)})=[^|]*"
_PLURAL_SPEC = re.compile(rf"{_PLURAL_FORM}(?:\|{_PLURAL_FORM})*")


def _flatten(table: Mapping[str, Any], prefix: str, out: dict[str, str], origin: Path) -> None:
    for name, value in table.items():
        key = f"{prefix}{name}"
        if isinstance(value, Mapping):
            _flatten(value, f"{key}.", out, origin)
        elif isinstance(value, str):
            if key in out:
                raise ValueError(f"catalog key {key!r} defined twice ({origin})")
            out[key] = value
        else:
            raise ValueError(f"catalog key {key!r} in {origin} is not a string")


@cache
def _directory(lang: str) -> Mapping[str, str]:
    """The keys written in catalogs/<lang>/*.toml (empty when there is no such directory)."""
    merged: dict[str, str] = {}
    folder = CATALOG_DIR / lang
    if folder.is_dir():
        for path in sorted(folder.glob("*.toml")):
            with path.open("rb") as fh:
                _flatten(tomllib.load(fh), "", merged, path)
    return MappingProxyType(merged)


@cache
def _catalog(lang: str) -> Mapping[str, str]:
    """The keys a language has by itself (for "vi": derived from vi_dau plus overrides)."""
    if lang == DEFAULT_LANG:
        derived = {k: strip_accents(v) for k, v in _directory(SOURCE_LANG).items()}
        return MappingProxyType(derived | dict(_directory(DEFAULT_LANG)))
    return _directory(lang)


@lru_cache(maxsize=1)
def _languages() -> tuple[str, ...]:
    found = {p.name for p in CATALOG_DIR.iterdir() if p.is_dir() and any(p.glob("*.toml"))}
    return tuple(sorted(found | {DEFAULT_LANG}))


def available_languages() -> list[str]:
    """Codes of every language with a catalog, "vi" included, sorted."""
    return list(_languages())


def resolve_language(lang: str | None) -> str:
    """The language to use for a stored preference: unknown or empty codes become "vi"."""
    code = (lang or "").strip().lower()
    return code if code in _languages() else DEFAULT_LANG


def _lookup(lang: str, key: str) -> str:
    own = _catalog(lang)
    if key in own:
        return own[key]
    if lang not in (SOURCE_LANG, DEFAULT_LANG):
        fallback = _catalog(DEFAULT_LANG)
        if key in fallback:
            return fallback[key]
    raise KeyError(f"no catalog text {key!r} for language {lang!r}")


def has_key(lang: str, key: str) -> bool:
    """True when t(lang, key) finds a text (fallbacks included)."""
    try:
        _lookup(resolve_language(lang), key)
    except KeyError:
        return False
    return True


def plural_forms(spec: str) -> dict[str, str] | None:
    """The forms of a plural field's spec ("one=# month|other=# months"), None for any other spec.

    No ordinary format spec starts with a category name and "=", so the two cannot be confused.
    """
    if not _PLURAL_SPEC.fullmatch(spec):
        return None
    forms = dict(part.split("=", 1) for part in spec.split("|"))
    if "other" not in forms:
        raise ValueError(f"plural field {spec!r} has no 'other' form")
    return forms


def plural_category(lang: str, value: object) -> str:
    """The CLDR category of a count in a language: "one" for 1 in English, else "other"."""
    if isinstance(value, bool):
        return "other"
    if isinstance(value, str) and value.isdigit():
        value = int(value)
    if not isinstance(value, int):
        return "other"
    rule = PLURAL_RULES.get(resolve_language(lang))
    return rule(value) if rule else "other"


class _PluralFormatter(string.Formatter):
    """str.format, plus plural fields: the form of the value's category, "#" the value."""

    def __init__(self, lang: str) -> None:
        self.lang = lang

    def format_field(self, value: object, format_spec: str) -> str:
        forms = plural_forms(format_spec)
        if forms is None:
            return super().format_field(value, format_spec)
        form = forms.get(plural_category(self.lang, value), forms["other"])
        return form.replace("#", str(value))


@cache
def _has_plural(text: str) -> bool:
    return any(
        spec and plural_forms(spec) is not None
        for _, name, spec, _ in string.Formatter().parse(text)
        if name is not None
    )


def t(lang: str, key: str, /, **params: object) -> str:
    """The text for key in lang, formatted with params; a missing key raises KeyError (a bug).

    For "vi" the result is stripped of accents, user-supplied params included, so it stays GSM-7.
    """
    code = resolve_language(lang)
    raw = _lookup(code, key)
    if _has_plural(raw):
        text = _PluralFormatter(code).format(raw, **params)
    else:
        text = raw.format(**params)
    return strip_accents(text) if code == DEFAULT_LANG else text


def reload() -> None:
    """Forget loaded catalogs (tests and translators editing files)."""
    _directory.cache_clear()
    _catalog.cache_clear()
    _languages.cache_clear()
    _has_plural.cache_clear()
