"""HMAC authentication of API callers (the 12345 hotline, the 110 bridge, tools).

Each source has a 32-byte key in `PKI/hub/intake-keys.toml` (`[sources] NAME = "<hex>"`,
written by `liandong-provision intake-key`). Two forms, documented in docs/hub.md:

- intake (`POST /api/v1/incidents`): HMAC-SHA256 over the raw body. Replays are harmless:
  intake is idempotent on (source, source_id).
- every other call: HMAC-SHA256 over `"{timestamp}\\n{METHOD}\\n{path}\\n" + body`, with
  `X-Liandong-Timestamp` (Unix seconds) within 300 s of the hub's clock, so a captured read
  or operator action cannot be replayed later.

The file is re-read when it changes, so a new source works without a restart.
"""

from __future__ import annotations

import hashlib
import hmac
import logging
import re
import threading
import tomllib
from datetime import datetime
from pathlib import Path

from hub.errors import AuthError, ConfigError

log = logging.getLogger(__name__)

MAX_SKEW_S = 300
_HEX = re.compile(r"[0-9a-f]{64}")
_NAME = re.compile(r"[A-Za-z0-9][A-Za-z0-9_.-]{0,63}")


def sign(key: bytes, data: bytes) -> str:
    """The header value a caller sends: `sha256=<hex>`."""
    return "sha256=" + hmac.new(key, data, hashlib.sha256).hexdigest()


def request_data(timestamp: str, method: str, path: str, body: bytes) -> bytes:
    return f"{timestamp}\n{method.upper()}\n{path}\n".encode() + body


def parse_keys(text: str, where: str) -> dict[str, bytes]:
    try:
        data = tomllib.loads(text)
    except tomllib.TOMLDecodeError as e:
        raise ConfigError(f"{where}: {e}") from None
    sources = data.get("sources", {})
    if not isinstance(sources, dict):
        raise ConfigError(f'{where}: [sources] must be a table of NAME = "<64 hex>"')
    keys: dict[str, bytes] = {}
    for name, value in sources.items():
        if not _NAME.fullmatch(name) or not isinstance(value, str) or not _HEX.fullmatch(value):
            raise ConfigError(f"{where}: source {name!r}: the key must be 64 lowercase hex digits")
        keys[name] = bytes.fromhex(value)
    return keys


class IntakeKeys:
    """Source name -> key; from a file (re-read on change) or a dict (tests)."""

    def __init__(self, path: Path | None = None, keys: dict[str, bytes] | None = None) -> None:
        self.path = path
        self._keys = dict(keys or {})
        self._mtime: float | None = None
        self._lock = threading.Lock()
        if path is not None:
            self._reload()

    def _reload(self) -> None:
        if self.path is None:
            return
        try:
            mtime = self.path.stat().st_mtime
        except FileNotFoundError:
            if self._mtime is not None or not self._keys:
                log.warning("intake key file %s is missing: no source can call the API", self.path)
            self._keys, self._mtime = {}, None
            return
        if mtime != self._mtime:
            self._keys = parse_keys(self.path.read_text(encoding="utf-8"), str(self.path))
            self._mtime = mtime
            log.info("intake keys: %d source(s) from %s", len(self._keys), self.path)

    def key(self, source: str | None) -> bytes:
        with self._lock:
            self._reload()
            if not source or source not in self._keys:
                raise AuthError(f"unknown source {source!r}")
            return self._keys[source]

    def check_body(self, source: str | None, body: bytes, signature: str | None) -> str:
        """Intake form; returns the source name or raises AuthError."""
        key = self.key(source)
        if not signature or not hmac.compare_digest(sign(key, body), signature.strip()):
            raise AuthError("signature does not match the body")
        return str(source)

    def check_request(
        self,
        source: str | None,
        timestamp: str | None,
        method: str,
        path: str,
        body: bytes,
        signature: str | None,
        now: datetime,
    ) -> str:
        key = self.key(source)
        try:
            when = int(timestamp or "")
            skew = abs(now.timestamp() - when)
        except (ValueError, OverflowError):  # a 400-digit "time" overflows a float
            raise AuthError("X-Liandong-Timestamp must be Unix seconds") from None
        if skew > MAX_SKEW_S:
            raise AuthError("X-Liandong-Timestamp is more than 300 s from the hub's clock")
        expected = sign(key, request_data(str(timestamp), method, path, body))
        if not signature or not hmac.compare_digest(expected, signature.strip()):
            raise AuthError("signature does not match the request")
        return str(source)
