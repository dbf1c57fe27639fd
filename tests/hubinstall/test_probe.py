"""The installer's probe waits for a hub that is still starting, then says what answered.

Found by the VM rehearsal (tools/deploy-rehearsal): right after `systemctl restart`, the
probe asked once, got nginx's 502 page and printed a JSON error. The 200 and wrong-name
cases run through the real nginx in test_nginx.py.
"""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import time
from pathlib import Path

PROBE = Path(__file__).resolve().parents[2] / "hub-install/lib/probe.py"


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def test_nothing_listening_is_retried_until_the_wait_then_one_plain_line() -> None:
    port = _free_port()
    started = time.monotonic()
    done = subprocess.run(
        [sys.executable, str(PROBE), "console.shuangbai.gov.local", str(port), ""],
        capture_output=True, text=True, timeout=30, check=False,
        env={**os.environ, "PROBE_WAIT": "2"},
    )  # fmt: skip
    waited = time.monotonic() - started
    assert done.returncode == 1
    assert 2 <= waited < 15, waited  # it asked again for PROBE_WAIT seconds, not once
    assert done.stdout.startswith(
        f"  probe     https://console.shuangbai.gov.local:{port}/healthz:"
    )
    assert "refused" in done.stdout.lower()
    assert "Expecting value" not in done.stdout + done.stderr
