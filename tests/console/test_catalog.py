"""The console's texts: English has every Vietnamese key, and the SMS fit one GSM-7 message."""

from __future__ import annotations

import pytest

from menus import i18n
from menus.text import strip_accents

PARAMS = {"code": "123456", "minutes": 10, "club": "ABCDEFGHIJ", "member": 9999, "ref": " #ABCD"}


def _keys(lang: str) -> set[str]:
    return {k for k in i18n._directory(lang) if k.startswith("console.")}


def test_english_and_vietnamese_have_the_same_keys() -> None:
    assert _keys("vi_dau") == _keys("en")


@pytest.mark.parametrize("lang", ["vi", "vi_dau", "en"])
def test_the_sms_fit_one_message(lang: str) -> None:
    for key in ("console.sms.code", "console.sms.help_coming", "console.sms.help_came"):
        text = i18n.t(lang, key, **PARAMS)
        assert len(strip_accents(text)) <= 160, key
        if lang == "vi":
            assert text.isascii(), key
