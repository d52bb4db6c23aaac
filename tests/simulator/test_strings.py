"""The page's UI texts: one table, every language complete, every key the page uses present."""

from __future__ import annotations

import json
import re

from runtime.settings import ROOT

STATIC = ROOT / "gateway" / "static" / "simulator"
TEMPLATE = ROOT / "gateway" / "templates" / "simulator" / "index.html"


def _strings() -> dict[str, dict[str, str]]:
    return json.loads((STATIC / "strings.json").read_text(encoding="utf-8"))


def _used_keys() -> set[str]:
    html = TEMPLATE.read_text(encoding="utf-8")
    js = (STATIC / "simulator.js").read_text(encoding="utf-8")
    keys = set(re.findall(r"data-i18n(?:-placeholder|-aria)?=\"([\w.]+)\"", html))
    keys |= set(re.findall(r"s\['([\w.]+)'\]", html))
    keys |= set(re.findall(r"\bt\(\"([\w.]+)\"", js))
    # Built at run time: t(`role.${role}`), t(`error.${reason}`) for the API's 403 reasons.
    return keys | {"role.typed", "error.local_only", "error.address"}


def test_every_language_has_the_same_keys_and_placeholders() -> None:
    strings = _strings()
    assert "vi" in strings and "en" in strings
    reference = strings["vi"]
    for lang, table in strings.items():
        assert set(table) == set(reference), lang
        for key, text in table.items():
            assert set(re.findall(r"\{(\w+)\}", text)) == set(
                re.findall(r"\{(\w+)\}", reference[key])
            ), (lang, key)


def test_every_key_the_page_uses_exists() -> None:
    missing = _used_keys() - set(_strings()["vi"])
    assert missing == set()


def test_every_role_kind_and_status_has_a_label() -> None:
    from models.demo import PHONES
    from models.enums import InboundStatus, OutboundKind, OutboundStatus

    vi = _strings()["vi"]
    wanted = {f"role.{r}" for r in PHONES}
    wanted |= {f"kind.{k.value}" for k in OutboundKind}
    wanted |= {f"status.{s.value}" for s in (*OutboundStatus, *InboundStatus)}
    assert wanted - set(vi) == set()
