"""The county SMS platform channel against a local HTTP receiver that checks the signature."""

from __future__ import annotations

import hmac
import json
import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import pytest

from hub.alerts.channel import SendError
from hub.alerts.settings import NotifySettings, WebhookSettings
from hub.alerts.webhook import Webhook, signature
from tests.hub.alerts.conftest import open_service
from tests.hub.alerts.test_escalation import Quiet
from tests.hub.conftest import incident_data
from wire.clock import FakeClock

SECRET = b"a-shared-secret-of-the-county-platform"


@dataclass
class Platform:
    """What the receiver does with each request, in turn: an HTTP status, "slow" (answer
    after the client's timeout), or "ok"; the requests it took, verified."""

    script: list[str] = field(default_factory=list)
    taken: list[dict[str, Any]] = field(default_factory=list)
    seen: int = 0
    bad_signatures: int = 0


def handler(platform: Platform) -> type[BaseHTTPRequestHandler]:
    class Receiver(BaseHTTPRequestHandler):
        def log_message(self, format: str, *args: Any) -> None:
            """Quiet."""

        def do_POST(self) -> None:
            body = self.rfile.read(int(self.headers["Content-Length"]))
            stamp = self.headers["X-Liandong-Timestamp"]
            good = hmac.compare_digest(
                signature(SECRET, stamp, body), self.headers["X-Liandong-Signature"]
            )
            platform.seen += 1
            step = platform.script.pop(0) if platform.script else "ok"
            if not good:
                platform.bad_signatures += 1
                return self._answer(401, {"ok": False, "error": "bad signature"})
            if step == "slow":
                time.sleep(0.6)
                return self._answer(200, {"ok": True, "id": "late"})
            if step != "ok":
                return self._answer(int(step), {"ok": False, "error": "busy"})
            message = json.loads(body)
            assert self.headers["X-Liandong-Id"] == message["id"]
            platform.taken.append({**message, "stamp": stamp})
            return self._answer(200, {"ok": True, "id": f"p{len(platform.taken)}"})

        def _answer(self, status: int, data: dict[str, Any]) -> None:
            raw = json.dumps(data).encode()
            self.send_response(status)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(raw)))
            self.end_headers()
            self.wfile.write(raw)

    return Receiver


@pytest.fixture
def platform() -> Iterator[tuple[Platform, str]]:
    p = Platform()
    server = ThreadingHTTPServer(("127.0.0.1", 0), handler(p))
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield p, f"http://127.0.0.1:{server.server_address[1]}/sms"
    server.shutdown()
    server.server_close()
    thread.join(5)


def hook(url: str, secret: bytes = SECRET, timeout_s: float = 0.3) -> WebhookSettings:
    return WebhookSettings(url=url, secret=secret, timeout_s=timeout_s)


def test_a_signed_message_is_taken(platform: tuple[Platform, str], clock: FakeClock) -> None:
    p, url = platform
    ref = Webhook(hook(url), clock.now).send("13908780001", "你好", key="o/ack/1", reference=0)
    assert ref == "p1"
    assert p.taken == [
        {
            "id": "o/ack/1",
            "phone": "13908780001",
            "text": "你好",
            "stamp": str(int(clock.now().timestamp())),
        }
    ]


@pytest.mark.parametrize(
    ("script", "said"),
    [(["500"], "HTTP 500"), (["slow"], "not reached"), (["200x"], "")],
)
def test_what_is_not_an_ok_is_a_send_error(
    platform: tuple[Platform, str], clock: FakeClock, script: list[str], said: str
) -> None:
    p, url = platform
    if script == ["200x"]:  # a wrong secret: the platform refuses the signature
        with pytest.raises(SendError, match="HTTP 401"):
            Webhook(hook(url, secret=b"x" * 20), clock.now).send("1390", "t", key="k", reference=0)
        assert p.bad_signatures == 1
        return
    p.script = list(script)
    with pytest.raises(SendError, match=said):
        Webhook(hook(url), clock.now).send("13908780001", "t", key="k", reference=0)
    assert p.taken == []


def test_a_500_and_a_timeout_are_retried_until_taken(
    tmp_path: Path, clock: FakeClock, platform: tuple[Platform, str]
) -> None:
    p, url = platform
    p.script = ["500", "slow"]
    svc = open_service(
        tmp_path / "h.sqlite3", clock, NotifySettings(channel="webhook", webhook=hook(url))
    )
    try:
        sender = svc.parts.sms_sender()
        assert sender is not None
        svc.intake(incident_data(), source="cad-110")
        clock.advance(31)  # receive missed: the duty phone
        svc.parts.engine(notifier=Quiet()).run_due()
        sender.step()  # 500
        clock.advance(30)
        sender.step()  # timeout
        assert p.taken == []
        clock.advance(60)
        sender.step()
        assert [m["phone"] for m in p.taken] == ["08787710026"]
        assert p.taken[0]["text"].startswith("【联动督办】云南电网双柏供电局")
        row = svc.store.one("SELECT state, attempts, ref, channel FROM notifications")
        assert row == {"state": "sent", "attempts": 3, "ref": "p1", "channel": "webhook"}
    finally:
        svc.store.close()
