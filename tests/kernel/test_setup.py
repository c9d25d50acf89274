"""Setting up from a fresh clone: the Makefile picks whichever Python >= 3.11 is installed, and the
package says what licence it carries."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
MAKE = shutil.which("make")


def _make(tmp_path: Path, *args: str) -> subprocess.CompletedProcess:
    extra = tmp_path / "print.mk"
    extra.write_text("print-python:\n\t@echo \"$(PYTHON)\";\n")  # ";": through the shell, whose echo needs no PATH
    return subprocess.run([MAKE, "-s", "-f", str(ROOT / "Makefile"), "-f", str(extra), *args],
                          cwd=tmp_path, env={**os.environ, "PATH": str(tmp_path / "bin")},
                          capture_output=True, text=True)


def test_picks_a_python_of_at_least_3_11_whatever_its_name(tmp_path):
    bin_dir = tmp_path / "bin"
    bin_dir.mkdir()
    too_old = bin_dir / "python3.13"  # a name tried first, answering as a Python 3.10 would
    too_old.write_text("#!/bin/sh\nexit 1\n")
    too_old.chmod(0o755)
    (bin_dir / "python3").symlink_to(sys.executable)
    assert _make(tmp_path, "print-python").stdout.strip() == str(bin_dir / "python3")


def test_says_what_is_missing_without_a_python(tmp_path):
    (tmp_path / "bin").mkdir()
    run = _make(tmp_path, f"{tmp_path}/venv/bin/python", f"VENV={tmp_path}/venv")
    assert run.returncode != 0 and "needs Python 3.11 or newer" in run.stderr


def test_the_distribution_declares_its_licence_as_an_spdx_expression():
    """PEP 639: ``license = "MIT"`` becomes ``License-Expression``, with the licence text shipped."""
    from importlib.metadata import metadata

    meta = metadata("pycommerce")
    assert meta["License-Expression"] == "MIT"
    assert "LICENSE" in (meta.get_all("License-File") or [])
