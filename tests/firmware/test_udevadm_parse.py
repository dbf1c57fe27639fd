"""The installed udev rules read by udev itself, on Debian 12 too.

`udevadm verify` exists only from systemd 254; Debian 12 has 252. What 252
has is `udevadm test`, which loads every rules file from the system folders (and says
`FILE:LINE Invalid ...` for what it cannot parse) while it simulates an event. Run in a
private mount namespace with the installed rules bound over /etc/udev/rules.d, it reads
exactly our files without touching the host. A deliberately broken file is added as the
control: its complaint must appear, or the check proves nothing.

Needs root (a mount namespace) and udev (`make pytest` installs it as root).
"""

from __future__ import annotations

import os
import re
import shutil
import subprocess
from pathlib import Path

import pytest

from tests.firmware.conftest import Bundle, run_install

CONTROL = "00-control.rules"


def test_udev_reads_every_installed_rule_without_complaint(
    bundle: Bundle, pi_root: Path, tmp_path: Path
) -> None:
    if os.geteuid() != 0:
        pytest.skip("needs root: the rules are bound over /etc/udev/rules.d in a private mount")
    for tool in ("udevadm", "unshare"):
        if shutil.which(tool) is None:
            pytest.fail(f"{tool} is missing: apt-get install udev util-linux (make pytest does)")
    run_install(bundle.path, pi_root, "--gps-usb", "067b:2303")
    rules = tmp_path / "rules.d"
    shutil.copytree(pi_root / "etc/udev/rules.d", rules)
    ours = sorted(p.name for p in rules.glob("*.rules"))
    assert ours, "the installer wrote no rules"
    (rules / CONTROL).write_text('KERNEL=="tty*", NO_SUCH_KEY="x"\n')
    script = (
        f"mount --bind {rules} /etc/udev/rules.d && udevadm test --action=add /sys/class/tty/tty0"
    )
    done = subprocess.run(
        ["unshare", "--mount", "--propagation", "private", "sh", "-c", script],
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    out = done.stdout + done.stderr
    if "mount:" in out and "permission denied" in out.lower():
        pytest.skip(f"no mount namespace here (an unprivileged container): {out.strip()}")
    read = set(re.findall(r"Reading rules file: /etc/udev/rules\.d/(\S+)", out))
    assert CONTROL in read and set(ours) <= read, out
    complaints = re.findall(r"/etc/udev/rules\.d/(\S+?):\d+ .*", out)
    assert CONTROL in complaints, f"the control's error was not reported: {out}"
    assert [c for c in complaints if c != CONTROL] == [], out
