"""The top-level packages import one way only: gateway over workers over runtime over models over
menus (import-linter's contract in pyproject.toml), so no two of them import each other."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

from runtime.settings import ROOT


def test_the_layers_contract_holds():
    lint = Path(sys.executable).with_name("lint-imports")
    out = subprocess.run(
        [str(lint), "--no-cache"], cwd=ROOT, capture_output=True, text=True, timeout=120
    )
    assert out.returncode == 0, out.stdout[-3000:]
    assert "1 kept, 0 broken" in out.stdout
