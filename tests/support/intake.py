"""The 110 side's signed intake request, as docs/hub.md says: one builder for the tests
and the benchmarks that post incidents to a real hub over HTTP, so the way a request is
signed lives in one place beside the hub's own check (hub/sources/api_keys.py)."""

from __future__ import annotations

import json
import urllib.request
from typing import Any

from hub.sources.api_keys import sign


def intake_request(
    url: str, source: str, key: bytes, data: dict[str, Any]
) -> urllib.request.Request:
    """`POST URL/api/v1/incidents` with `data` as UTF-8 JSON, HMAC-signed over the body."""
    body = json.dumps(data, ensure_ascii=False).encode()
    return urllib.request.Request(  # noqa: S310 - a URL the caller built
        url + "/api/v1/incidents",
        data=body,
        headers={
            "Content-Type": "application/json",
            "X-Liandong-Source": source,
            "X-Liandong-Signature": sign(key, body),
        },
    )
