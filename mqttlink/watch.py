"""Saying when a side cannot reach the broker, and why, without flooding the log.

paho retries a failed connection forever and says nothing about it (its "Connection
failed, retrying" is a debug line without the cause). A hub or terminal cut off from the
broker then looks healthy in its log. `LinkWatch` is told of every attempt's outcome by
the link's callbacks and:

- logs the first failure at once, with its cause in words (name does not resolve,
  connection refused, certificate not accepted...), then at most one line per `every_s`
  while the cause stays the same (a new cause is logged at once);
- logs the connection and each reconnection, with how long the side was cut off;
- keeps the current state (`state()`) for the hub console's banner and the kiosk.

The cause of a socket-level failure comes from `sys.exc_info()`: paho calls
`on_connect_fail` inside its `except OSError` block, without passing the exception.
"""

from __future__ import annotations

import logging
import socket
import ssl
import sys
import threading
from dataclasses import dataclass
from datetime import datetime

from wire.clock import Clock, SystemClock

EVERY_S = 60.0
"""At most one log line per minute while the same cause persists."""


@dataclass(frozen=True)
class Problem:
    """Why the broker cannot be reached: `code` for a screen to translate, `detail` the
    system's own words (English) for the log."""

    code: str  # dns | refused | timeout | tls | rejected | closed | other
    detail: str

    def __str__(self) -> str:
        return self.detail


def problem_of(exc: BaseException | None) -> Problem:
    """A failed connection attempt's exception, in words an installer can act on."""
    if isinstance(exc, socket.gaierror):
        return Problem("dns", f"the broker's name does not resolve ({exc.strerror})")
    if isinstance(exc, ssl.SSLCertVerificationError):
        return Problem("tls", f"the broker's certificate was not accepted: {exc.verify_message}")
    if isinstance(exc, ssl.SSLError):
        return Problem("tls", f"TLS handshake failed: {exc.reason or exc}")
    if isinstance(exc, ConnectionRefusedError):
        return Problem("refused", "connection refused: is Mosquitto running on that port?")
    if isinstance(exc, TimeoutError):
        return Problem("timeout", "no answer from the broker (timed out)")
    if isinstance(exc, OSError):
        return Problem("other", exc.strerror or str(exc) or type(exc).__name__)
    return Problem("other", str(exc) if exc else "cannot connect")


def current_problem() -> Problem:
    """The problem of the exception being handled (call from paho's `on_connect_fail`)."""
    return problem_of(sys.exc_info()[1])


@dataclass(frozen=True)
class LinkState:
    connected: bool
    since: datetime | None
    """When the side was last cut off (None while connected or before any failure)."""
    problem: Problem | None
    attempts: int
    """Failed attempts since the last connection."""

    @property
    def cut_off(self) -> bool:
        """Not connected, and at least one attempt failed (not merely still starting)."""
        return not self.connected and self.problem is not None


class LinkWatch:
    """The state of one link to the broker, and its rate-limited log lines."""

    def __init__(
        self,
        where: str,
        log: logging.Logger,
        *,
        clock: Clock | None = None,
        every_s: float = EVERY_S,
    ) -> None:
        self.where = where  # "host:port"
        self._log = log
        self._clock = clock or SystemClock()
        self._every_s = every_s
        self._lock = threading.Lock()
        self._connected = False
        self._ever = False
        self._since: datetime | None = None
        self._problem: Problem | None = None
        self._attempts = 0
        self._logged_at: datetime | None = None
        self._logged_code = ""

    def state(self) -> LinkState:
        with self._lock:
            return LinkState(self._connected, self._since, self._problem, self._attempts)

    def failed(self, problem: Problem) -> None:
        """An attempt failed (socket, TLS or CONNACK)."""
        with self._lock:
            now = self._clock.now()
            self._connected = False
            self._since = self._since or now
            self._problem = problem
            self._attempts += 1
            due = (
                self._logged_at is None
                or problem.code != self._logged_code
                or (now - self._logged_at).total_seconds() >= self._every_s
            )
            if not due:
                return
            self._logged_at, self._logged_code = now, problem.code
            attempts, since = self._attempts, self._since
        self._log.error(
            "cannot reach the broker %s: %s (%d failed attempt(s) since %s UTC; "
            "next such line in %d s at most)",
            self.where,
            problem,
            attempts,
            f"{since:%Y-%m-%d %H:%M:%S}",
            int(self._every_s),
        )

    def lost(self, reason: str) -> None:
        """The connection ended. While it was up this is logged at once; a connection that
        never got up (closed right after the handshake) counts as a failed attempt."""
        with self._lock:
            was = self._connected
            if was:
                self._connected = False
                self._since = self._clock.now()
                self._problem = Problem("closed", f"connection lost: {reason}")
                self._attempts = 0
                self._logged_at = None
        if was:
            self._log.warning("lost the broker %s: %s", self.where, reason)
        else:
            self.failed(Problem("closed", f"the broker closed the connection: {reason}"))

    def up(self) -> None:
        """Connected (CONNACK success)."""
        with self._lock:
            now = self._clock.now()
            since, attempts, ever = self._since, self._attempts, self._ever
            self._connected, self._ever = True, True
            self._since, self._problem, self._attempts = None, None, 0
            self._logged_at, self._logged_code = None, ""
        if since is None:
            self._log.info("connected to the broker %s", self.where)
        else:
            self._log.info(
                "%s the broker %s after %d s cut off (%d failed attempt(s))",
                "reconnected to" if ever else "connected to",
                self.where,
                int((now - since).total_seconds()),
                attempts,
            )
