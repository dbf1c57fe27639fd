"""The hub's HTTP API as an intake source calls it: HMAC-signed, over a real socket."""

from __future__ import annotations

import json
import time
import urllib.request
from datetime import UTC, datetime
from typing import Any

from hub.sources.api_keys import request_data, sign
from tests.e2e.county import SOURCE
from tests.support.intake import intake_request


def post_incident(url: str, key: bytes, data: dict[str, Any]) -> tuple[int, Any]:
    """POST /api/v1/incidents, signed over the body (docs/hub.md)."""
    with urllib.request.urlopen(intake_request(url, SOURCE, key, data), timeout=10) as r:  # noqa: S310
        return int(r.status), json.loads(r.read())


def get(url: str, key: bytes, path: str, now: datetime | None = None) -> Any:
    """A signed GET (timestamp, method, path), e.g. `/api/v1/incidents/ID`; `now` is the
    hub's clock when the hub runs on a fake one (the timestamp must be within 300 s)."""
    when = str(int(now.timestamp() if now else time.time()))
    req = urllib.request.Request(  # noqa: S310
        url + path,
        headers={
            "X-Liandong-Source": SOURCE,
            "X-Liandong-Timestamp": when,
            "X-Liandong-Signature": sign(key, request_data(when, "GET", path, b"")),
        },
    )
    with urllib.request.urlopen(req, timeout=10) as r:  # noqa: S310
        return json.loads(r.read())


def healthy(url: str) -> bool:
    try:
        with urllib.request.urlopen(url + "/healthz", timeout=1) as r:  # noqa: S310
            return bool(r.status == 200)
    except OSError:
        return False


def incident_data(source_id: str, **over: Any) -> dict[str, Any]:
    """A power cut on Tuodian's east street, as the 110 bridge sends it, reported now: the
    hub refuses a `reported_at` more than 30 days from its clock."""
    data: dict[str, Any] = {
        "source_id": source_id,
        "category": "power-cut",
        "township": "tuodian",
        "address": "妥甸镇 东街 12 号",
        "lat": 24.689,
        "lon": 101.641,
        "caller_phone": "13812345678",
        "summary": "整条街停电，有老人使用制氧机。",
        "reported_at": datetime.now(UTC).isoformat(timespec="seconds"),
    }
    data.update(over)
    return data
