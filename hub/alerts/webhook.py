"""The county SMS platform: a signed JSON POST to a configured URL (a generic webhook).

The body is `{"id", "phone", "text", "kind"}` in UTF-8 JSON. Headers:
`X-Liandong-Timestamp` (Unix seconds) and `X-Liandong-Signature`
(`sha256=` + hex HMAC-SHA256, with the shared secret, of `<timestamp>.<body>`), so the
platform can refuse a forged or replayed request; `X-Liandong-Id` repeats the message id
(`<order>/<deadline>/<phone>`), by which the platform can drop a message sent twice.
Taken means an HTTP 2xx whose JSON body says `"ok": true`; the platform's `"id"` (if any)
is kept as the reference. Anything else, a timeout included, is a `SendError`: retried.
"""

from __future__ import annotations

import hashlib
import hmac
import json
import urllib.error
import urllib.request
from collections.abc import Callable
from datetime import datetime

from hub.alerts.channel import ChannelDown, SendError
from hub.alerts.settings import WebhookSettings


def signature(secret: bytes, timestamp: str, body: bytes) -> str:
    """What `X-Liandong-Signature` holds; the receiver computes the same and compares."""
    mac = hmac.new(secret, timestamp.encode("ascii") + b"." + body, hashlib.sha256)
    return "sha256=" + mac.hexdigest()


class Webhook:
    name = "webhook"

    def __init__(self, settings: WebhookSettings, now: Callable[[], datetime]) -> None:
        self.settings = settings
        self._now = now  # the hub's clock: the timestamp the platform checks for replays

    def send(self, phone: str, text: str, *, key: str, reference: int) -> str:
        body = json.dumps(
            {"id": key, "phone": phone, "text": text}, ensure_ascii=False, sort_keys=True
        ).encode("utf-8")
        stamp = str(int(self._now().timestamp()))
        request = urllib.request.Request(  # noqa: S310 - the URL is checked to be http(s)
            self.settings.url,
            data=body,
            method="POST",
            headers={
                "Content-Type": "application/json; charset=utf-8",
                "X-Liandong-Timestamp": stamp,
                "X-Liandong-Signature": signature(self.settings.secret, stamp, body),
                "X-Liandong-Id": key,
            },
        )
        try:
            with urllib.request.urlopen(request, timeout=self.settings.timeout_s) as reply:  # noqa: S310
                status, raw = reply.status, reply.read(65536)
        except urllib.error.HTTPError as e:
            error = ChannelDown if e.code >= 500 else SendError
            raise error(f"SMS platform answered HTTP {e.code}") from None
        except (urllib.error.URLError, TimeoutError, OSError) as e:
            reason = getattr(e, "reason", e)
            raise ChannelDown(f"SMS platform not reached: {reason}") from None
        try:
            answer = json.loads(raw)
        except ValueError:
            raise SendError(f"SMS platform answered HTTP {status} without JSON") from None
        if not (200 <= status < 300 and isinstance(answer, dict) and answer.get("ok") is True):
            why = answer.get("error", "") if isinstance(answer, dict) else ""
            raise SendError(f"SMS platform did not take it: HTTP {status} {why}".strip())
        return str(answer.get("id", ""))

    def close(self) -> None:
        """Nothing held open between messages."""
