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


class _Session:
    """One gpsfake process and the reader of its log (gpsd's, with `-D 3`)."""

    def __init__(self, capture: Path, port: int) -> None:
        assert GPSFAKE, MISSING
        args = [GPSFAKE, "-P", str(port), "-1", "-i", "-W", "2", "-D", "3", str(capture)]
        self.proc = subprocess.Popen(
            args,
            stdin=subprocess.PIPE,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.PIPE,
            text=True,
            start_new_session=True,
        )
        self.added = threading.Event()
        self.activated = threading.Event()
        self.log: list[str] = []
        self.reader = threading.Thread(target=self._read_log, daemon=True)
        self.reader.start()

    def _read_log(self) -> None:
        assert self.proc.stderr is not None
        for line in self.proc.stderr:
            self.log.append(line)
            if "<= control(" in line and ": adding " in line:
                self.added.set()
            if "activated GPS" in line:
                self.activated.set()

    def close(self) -> None:
        with contextlib.suppress(ProcessLookupError):
            os.killpg(self.proc.pid, signal.SIGKILL)
        self.proc.wait(10)
        self.reader.join(5)
        for pipe in (self.proc.stdin, self.proc.stderr):
            with contextlib.suppress(OSError):
                if pipe is not None:
                    pipe.close()


ADD_TRIES = 3
ADDED_WITHIN = 10.0
"""gpsfake adds the pty through gpsd's control socket as soon as the socket's file exists,
and if that connect is refused (gpsd has bound the file but not yet listens) it gives up
without a word: gpsd runs with no device and never activates one (twice in one day's CI
rehearsals here). So a session whose add does not show in gpsd's log is started again."""


@contextmanager
def gpsfake(
    capture: Path, port: int, activated_within: float = 20.0
) -> Iterator[Callable[[], None]]:
    """gpsd on `port` with `capture` ready. Connect a client (gpsd opens the receiver only
    for a watcher), then call the yielded `play()`: it returns once gpsd has had every
    sentence and gpsfake has ended (gpsd with it)."""
    session = _Session(capture, port)
    for _ in range(ADD_TRIES - 1):
        if session.added.wait(ADDED_WITHIN):
            break
        session.close()  # gpsfake's add was lost: the same port again, with a new gpsd
        session = _Session(capture, port)

    def play() -> None:
        if not session.activated.wait(activated_within):
            raise AssertionError(
                "gpsd never activated the fake receiver:\n" + "".join(session.log[-20:])
            )
        stdin = session.proc.stdin
        assert stdin is not None
        # one answer per prompt, and spare ones: a packet split differently from our line
        # count must not leave gpsfake waiting (the spares are never read)
        stdin.write("\n" * (2 * sentences(capture) + 10))
        stdin.close()
        session.proc.wait(60)

    try:
        yield play
    finally:
        session.close()
