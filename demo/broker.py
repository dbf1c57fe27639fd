"""Start and stop a real Mosquitto from a configuration file.

Tests, the demo and the benchmarks all run the broker through this one class, so they all
see the same start-up wait, the same log capture and the same clean stop.
"""

from __future__ import annotations

import logging
import os
import shutil
import signal
import socket
import subprocess
import time
from pathlib import Path
from types import TracebackType

log = logging.getLogger(__name__)


class BrokerError(RuntimeError):
    """Mosquitto could not be found, started or stopped."""


def find_mosquitto() -> str:
    """Path of the mosquitto binary (Debian puts it in /usr/sbin, off a user's PATH)."""
    found = shutil.which("mosquitto") or shutil.which("mosquitto", path="/usr/sbin:/usr/local/sbin")
    if not found:
        raise BrokerError(
            "mosquitto is not installed: run `make test` or apt-get install mosquitto"
        )
    return found


def free_port() -> int:
    """A TCP port on loopback that is free right now."""
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def run_as_user() -> str:
    """The `user` line for a broker we start: the current user, so that Mosquitto started
    as root does not drop to `mosquitto` and lose access to our 0600 keys."""
    import pwd

    return pwd.getpwuid(os.geteuid()).pw_name


def write_dev_config(root: Path, port: int, *, cafile: Path, certfile: Path, keyfile: Path) -> Path:
    """A mutual-TLS broker with no ACL, for wire-level tests and the first demo slice.

    The county's real configuration, with its ACL and CRL, comes from
    `liandong-provision broker-config`.
    """
    data = root / "data"
    data.mkdir(parents=True, exist_ok=True)
    conf = root / "mosquitto.conf"
    lines = [
        f"user {run_as_user()}",
        "per_listener_settings false",
        "allow_anonymous false",
        "persistence true",
        f"persistence_location {data}/",
        "autosave_interval 1",
        "max_queued_messages 100000",
        "log_dest stdout",
        "log_type error",
        "log_type warning",
        "log_type notice",
        "log_type information",
        "connection_messages true",
        f"listener {port} 127.0.0.1",
        f"cafile {cafile}",
        f"certfile {certfile}",
        f"keyfile {keyfile}",
        "require_certificate true",
        "use_identity_as_username true",
        "",
    ]
    conf.write_text("\n".join(lines))
    return conf


def _die_with_parent() -> None:
    """In the child before exec: ask Linux to SIGTERM the broker when its parent dies.

    The broker runs in its own session (so Ctrl-C reaches us first and we stop it in
    order); without this, a test run killed from outside would leave brokers behind."""
    try:
        import ctypes

        libc = ctypes.CDLL(None, use_errno=True)
        pr_set_pdeathsig = 1
        libc.prctl(pr_set_pdeathsig, signal.SIGTERM)
    except (OSError, AttributeError):  # not Linux: nothing to ask for
        pass


class Broker:
    """A Mosquitto process. Use as a context manager or call start()/stop()."""

    def __init__(self, config: Path, port: int, log_path: Path, host: str = "127.0.0.1") -> None:
        self.config = config
        self.port = port
        self.host = host
        self.log_path = log_path
        self._proc: subprocess.Popen[bytes] | None = None

    @property
    def pid(self) -> int | None:
        return self._proc.pid if self._proc else None

    def start(self, timeout: float = 10.0) -> None:
        if self._proc and self._proc.poll() is None:
            return
        self.log_path.parent.mkdir(parents=True, exist_ok=True)
        out = self.log_path.open("ab")
        self._proc = subprocess.Popen(
            [find_mosquitto(), "-c", str(self.config)],
            stdout=out,
            stderr=subprocess.STDOUT,
            start_new_session=True,
            preexec_fn=_die_with_parent,  # noqa: PLW1509 (only prctl; no locks taken)
        )
        out.close()
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self._proc.poll() is not None:
                raise BrokerError(f"mosquitto exited at start:\n{self.read_log()}")
            try:
                with socket.create_connection((self.host, self.port), timeout=0.2):
                    return
            except OSError:
                time.sleep(0.05)
        self.stop()
        raise BrokerError(f"mosquitto did not listen on {self.port} within {timeout}s")

    def reload(self) -> None:
        """SIGHUP: Mosquitto re-reads its ACL, CRL and certificates."""
        if self._proc:
            self._proc.send_signal(signal.SIGHUP)

    def stop(self, *, kill: bool = False) -> None:
        proc, self._proc = self._proc, None
        if proc is None or proc.poll() is not None:
            return
        if kill:
            proc.kill()
        else:
            proc.terminate()
        try:
            proc.wait(timeout=10)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait(timeout=10)

    def read_log(self) -> str:
        try:
            return self.log_path.read_text(errors="replace")
        except FileNotFoundError:
            return ""

    def __enter__(self) -> Broker:
        self.start()
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.stop()
