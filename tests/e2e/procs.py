"""The hub and a terminal as real processes (`liandong-hub serve`, `liandong-gateway run`),
started in their own session so that kill -9 takes the whole process and nothing else."""

from __future__ import annotations

import json
import os
import signal
import sqlite3
import subprocess
import sys
import urllib.request
from pathlib import Path
from typing import Any

from tests.e2e import api
from tests.support.wait import wait_for


class Process:
    """One console script; its output goes to `log` (printed by a failing test's report)."""

    def __init__(
        self, script: str, args: list[str], log: Path, env: dict[str, str] | None = None
    ) -> None:
        self.argv = [str(Path(sys.executable).with_name(script)), *args]
        self.log = log
        self.env = {**os.environ, **(env or {})}
        self.proc: subprocess.Popen[bytes] | None = None

    def start(self) -> None:
        self.log.parent.mkdir(parents=True, exist_ok=True)
        with self.log.open("ab") as out:
            self.proc = subprocess.Popen(
                self.argv,
                stdout=out,
                stderr=subprocess.STDOUT,
                start_new_session=True,
                env=self.env,
            )

    def alive(self) -> bool:
        return self.proc is not None and self.proc.poll() is None

    def kill9(self) -> None:
        """kill -9: no clean-up, no `offline` state, no flushed buffers."""
        if self.proc is not None:
            os.killpg(self.proc.pid, signal.SIGKILL)
            self.proc.wait(10)

    def stop(self) -> None:
        proc, self.proc = self.proc, None
        if proc is None or proc.poll() is not None:
            return
        proc.terminate()
        try:
            proc.wait(10)
        except subprocess.TimeoutExpired:
            os.killpg(proc.pid, signal.SIGKILL)
            proc.wait(10)

    def read_log(self) -> str:
        return self.log.read_text(errors="replace") if self.log.exists() else ""


class HubProcess(Process):
    def __init__(self, toml: Path, url: str) -> None:
        super().__init__("liandong-hub", ["serve", "--config", str(toml)], toml.parent / "hub.log")
        self.url = url

    def start(self) -> None:
        super().start()
        wait_for(lambda: api.healthy(self.url) or not self.alive(), 20, "the hub to serve")
        if not self.alive():
            raise AssertionError(f"liandong-hub exited at start:\n{self.read_log()}")


def query(db: Path, sql: str, args: tuple[Any, ...] = ()) -> list[sqlite3.Row]:
    """Read a live SQLite file (WAL) without writing to it."""
    conn = sqlite3.connect(f"file:{db}?mode=ro", uri=True, timeout=5)
    conn.row_factory = sqlite3.Row
    try:
        return conn.execute(sql, args).fetchall()
    finally:
        conn.close()


class GatewayProcess(Process):
    """`liandong-gateway run` on gpiozero's mock pins (`GPIOZERO_PIN_FACTORY=mock`)."""

    def __init__(self, toml: Path, kiosk_url: str) -> None:
        args = ["run", "--config", str(toml)]
        env = {"GPIOZERO_PIN_FACTORY": "mock"}
        super().__init__("liandong-gateway", args, toml.parent / "gw.log", env)
        self.kiosk_url = kiosk_url

    def start(self) -> None:
        super().start()
        wait_for(lambda: self.status() or not self.alive(), 20, "the kiosk to answer")
        if not self.alive():
            raise AssertionError(f"liandong-gateway exited at start:\n{self.read_log()}")

    def status(self) -> Any:
        """The kiosk's /status.json, or None while it does not answer."""
        try:
            with urllib.request.urlopen(self.kiosk_url + "/status.json", timeout=2) as r:  # noqa: S310
                return json.loads(r.read())
        except OSError:
            return None
