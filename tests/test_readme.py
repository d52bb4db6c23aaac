"""What the README promises a newcomer, checked against the product."""

from __future__ import annotations

import re

from menus.phones import normalize_phone
from runtime.settings import ROOT


def test_the_old_number_example_converts_as_the_readme_says():
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    match = re.search(r"old 11-digit `([\d ]+)` \(converted to today's `([\d ]+)`", readme)
    assert match, "the README's phone example is gone"
    old, new = match.groups()
    assert normalize_phone(old) == normalize_phone(new) == "+84" + new.replace(" ", "")[1:]
