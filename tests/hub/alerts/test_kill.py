"""kill -9 of the hub between queueing and sending: nothing lost, nothing sent twice after
the modem's OK was marked; and the honest limit, a crash between the OK and the mark."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
from datetime import timedelta
from pathlib import Path

from demo.modem import ModemSimulator
from hub.alerts.outbox import for_incident
from tests.hub.alerts.conftest import messages, notify_settings, open_service
from tests.hub.alerts.test_escalation import Quiet
from tests.hub.conftest import incident_data
from wire.clock import FakeClock

ROOT = Path(__file__).resolve().parents[3]


def test_a_kill_between_queue_and_send_loses_nothing_and_sends_once(
    tmp_path: Path, sim: ModemSimulator
) -> None:
    db = tmp_path / "hub.sqlite3"
    child = subprocess.Popen(
        [sys.executable, "-m", "tests.hub.alerts.crash_child", str(db)],
        cwd=ROOT,
        stdout=subprocess.PIPE,
        text=True,
    )
    try:
        assert child.stdout is not None
        assert child.stdout.readline().strip() == "queued"
    finally:
        os.kill(child.pid, signal.SIGKILL)
        child.wait(10)
        if child.stdout:
            child.stdout.close()
    assert child.returncode == -signal.SIGKILL

    clock = FakeClock()
    clock.advance(30 * 60 + 1)  # where the killed hub's clock stood
    for restart in range(2):
        svc = open_service(db, clock, notify_settings(sim))
        try:
            sender = svc.parts.sms_sender()
            assert sender is not None
            sender.step()
            sender.channel.close()
            (incident,) = svc.store.query("SELECT id FROM incidents")
            rows = for_incident(db, incident["id"])
        finally:
            svc.store.close()
        assert len(rows) == 5, f"restart {restart}"
        assert {r.state for r in rows} == {"sent"}
    phones = sorted(n for n, _ in messages(sim))
    assert phones == sorted(
        ["08787710026", "08787710026", "13908780023", "13908789001", "13908789002"]
    )


def test_the_honest_limit_a_crash_after_the_ok_before_the_mark_sends_again(
    tmp_path: Path, sim: ModemSimulator, clock: FakeClock
) -> None:
    """The sender marks the attempt, the modem says OK, the hub dies before `mark_sent`
    commits: after the back-off the message goes again. Said in docs/notifications.md."""
    db = tmp_path / "hub.sqlite3"
    svc = open_service(db, clock, notify_settings(sim))
    svc.intake(incident_data(), source="cad-110")
    clock.advance(31)
    svc.parts.engine(notifier=Quiet()).run_due()
    sender = svc.parts.sms_sender()
    assert sender is not None and svc.parts.notifications is not None
    (row,) = svc.parts.notifications.due(clock.now())
    svc.parts.notifications.begin_attempt(row.id, clock.now() + sender.backoff(1))
    sender.channel.send(row.phone, row.body, key=row.key, reference=row.id % 256)
    sender.channel.close()
    svc.store.close()  # the crash: the OK is never marked

    svc = open_service(db, clock, notify_settings(sim))
    try:
        again = svc.parts.sms_sender()
        assert again is not None
        again.step()
        assert len(messages(sim)) == 1  # not before the back-off
        clock.advance(timedelta(seconds=30).total_seconds())
        again.step()
        assert len(messages(sim)) == 2  # the same message, twice
        again.channel.close()
    finally:
        svc.store.close()
