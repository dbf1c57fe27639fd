"""install.sh is shellcheck-clean (when shellcheck is on PATH; `apt-get install shellcheck`)."""

from __future__ import annotations

import shutil
import subprocess

import pytest

from tests.firmware.conftest import INSTALL


def test_install_sh_is_shellcheck_clean() -> None:
    if shutil.which("shellcheck") is None:
        pytest.skip("shellcheck is not on PATH (apt-get install shellcheck)")
    done = subprocess.run(
        ["shellcheck", "--shell=bash", str(INSTALL)],
        capture_output=True, text=True, timeout=60, check=False,
    )  # fmt: skip
    assert done.returncode == 0, done.stdout


def test_install_sh_is_strict_and_executable() -> None:
    text = INSTALL.read_text(encoding="utf-8")
    assert text.startswith("#!/bin/bash\n")
    assert "\nset -euo pipefail\n" in text
    assert INSTALL.stat().st_mode & 0o111, "git must keep the executable bit"
