"""Debian's real gpsd, fed a capture by gpsfake, for the gpsd client's tests.

gpsfake starts gpsd itself (as root gpsd drops to its own user; no systemd, no D-Bus
needed: gpsd's D-Bus error is harmless) on a private port and writes the capture into a
pty. Two details make a run exact rather than racy:
- gpsd opens the pty only when a client watches, then probes it for ~1 s with speed
  changes that flush whatever was written meanwhile; so `-i` (gpsfake waits for a line on
  its stdin before each sentence) holds the capture back until gpsd's own log (`-D 3`)
  says the device is activated, and then every sentence is released at once;
- after the last sentence gpsfake waits `-W` seconds and exits, taking gpsd with it; the
  whole process group is killed on the way out in any case, so no gpsd outlives a test.
"""

from __future__ import annotations

import contextlib
import os
import shutil
import signal
import subprocess
import threading
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path

GPSFAKE = shutil.which("gpsfake")
MISSING = "gpsfake is missing (make test installs it: apt-get install gpsd gpsd-clients)"


def sentences(capture: Path) -> int:
    """Lines gpsfake will send (it skips comments and blank lines)."""
    text = capture.read_text(errors="replace").splitlines()
    return sum(1 for line in text if line.strip() and not line.startswith("#"))


@contextmanager
def gpsfake(
    capture: Path, port: int, activated_within: float = 20.0
) -> Iterator[Callable[[], None]]:
    """gpsd on `port` with `capture` ready. Connect a client (gpsd opens the receiver only
    for a watcher), then call the yielded `play()`: it returns once gpsd has had every
    sentence and gpsfake has ended (gpsd with it)."""
    assert GPSFAKE, MISSING
    args = [GPSFAKE, "-P", str(port), "-1", "-i", "-W", "2", "-D", "3", str(capture)]
    proc = subprocess.Popen(
        args,
        stdin=subprocess.PIPE,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
        text=True,
        start_new_session=True,
    )
    activated = threading.Event()
    log: list[str] = []

    def read_log() -> None:
        assert proc.stderr is not None
        for line in proc.stderr:
            log.append(line)
            if "activated GPS" in line:
                activated.set()

    reader = threading.Thread(target=read_log, daemon=True)
    reader.start()

    def play() -> None:
        if not activated.wait(activated_within):
            raise AssertionError("gpsd never activated the fake receiver:\n" + "".join(log[-20:]))
        assert proc.stdin is not None
        # one answer per prompt, and spare ones: a packet split differently from our line
        # count must not leave gpsfake waiting (the spares are never read)
        proc.stdin.write("\n" * (2 * sentences(capture) + 10))
        proc.stdin.close()
        proc.wait(60)

    try:
        yield play
    finally:
        with contextlib.suppress(ProcessLookupError):
            os.killpg(proc.pid, signal.SIGKILL)
        proc.wait(10)
        reader.join(5)
        for pipe in (proc.stdin, proc.stderr):
            with contextlib.suppress(OSError):
                if pipe is not None:
                    pipe.close()
