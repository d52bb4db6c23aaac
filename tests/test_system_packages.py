"""The README's test command sets up a fresh machine: the browser and LibreOffice it needs."""

from __future__ import annotations

import os
import shutil
import subprocess
import tempfile
from collections.abc import Iterator
from pathlib import Path

import pytest

from runtime.settings import ROOT

SCRIPT = ROOT / "tests" / "system_packages.sh"
BIN_DIRS = ("/usr/local/sbin", "/usr/local/bin", "/usr/sbin", "/usr/bin", "/sbin", "/bin")


@pytest.fixture
def bin_dir() -> Iterator[Path]:
    """An empty folder any user can read (pytest's tmp_path is private to root)."""
    top = Path(tempfile.mkdtemp(prefix="dientua-path-"))
    top.chmod(0o755)
    try:
        yield top
    finally:
        shutil.rmtree(top)


def _path_without(top: Path, *missing: str) -> str:
    """A PATH holding every program of this machine except the ones named."""
    fake = top / "bin"
    fake.mkdir(mode=0o755)
    for folder in BIN_DIRS:
        if not os.path.isdir(folder):
            continue
        for entry in os.scandir(folder):
            if entry.name not in missing and not (fake / entry.name).exists():
                (fake / entry.name).symlink_to(entry.path)
    return str(fake)


def test_a_machine_with_everything_installs_nothing():
    out = subprocess.run([str(SCRIPT)], capture_output=True, text=True, timeout=60)
    assert out.returncode == 0 and out.stderr == ""


def test_without_root_it_says_what_to_install_and_fails(bin_dir):
    if shutil.which("setpriv") is None:
        pytest.fail("setpriv (util-linux) is needed to run the script as another user")
    path = _path_without(bin_dir, "chromium")
    out = subprocess.run(
        ["setpriv", "--reuid=65534", "--regid=65534", "--clear-groups", str(SCRIPT)],
        capture_output=True,
        text=True,
        env={"PATH": path},
        timeout=60,
    )
    assert out.returncode == 1
    assert "sudo apt-get install -y chromium" in out.stderr


@pytest.mark.skipif(os.geteuid() != 0, reason="the install path runs as root (CI is root)")
def test_as_root_a_missing_chromium_is_installed_from_debian(bin_dir):
    path = _path_without(bin_dir, "chromium")
    out = subprocess.run(
        [str(SCRIPT)], capture_output=True, text=True, env={"PATH": path}, timeout=600
    )
    assert out.returncode == 0, out.stderr[-2000:]
    assert "installing chromium" in out.stderr
    installed = subprocess.run(
        ["dpkg-query", "-W", "-f=${Status}", "chromium"], capture_output=True, text=True
    )
    assert installed.stdout == "install ok installed"
    assert Path("/usr/bin/chromium").exists()
