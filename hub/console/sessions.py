"""Login sessions kept server-side, so they expire and can be ended.

The browser's signed Flask cookie carries only a random token; the table holds its SHA-256,
the user, and two limits: an idle limit (30 minutes without a request, the console's own
live board does not count as activity) and an absolute limit (12 hours, one long shift).
Disabling a user or resetting the password deletes the rows, which logs them out at once;
a cookie-only session could not be revoked like that.
"""

from __future__ import annotations

import hashlib
import secrets
from dataclasses import dataclass
from datetime import datetime, timedelta
from pathlib import Path

from hub.console.db import connect

IDLE = timedelta(minutes=30)
ABSOLUTE = timedelta(hours=12)


@dataclass(frozen=True)
class Session:
    """A live session: who, and what they may do."""

    username: str
    role: str
    must_change: bool


def _hash(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def open_session(db_path: Path, username: str, *, now: datetime) -> str:
    """Start a session and return the token for the cookie."""
    token = secrets.token_urlsafe(32)
    with connect(db_path) as conn:
        conn.execute("DELETE FROM console_sessions WHERE expires_at < ?", (now.isoformat(),))
        conn.execute(
            "INSERT INTO console_sessions (token_hash, username, created_at, last_seen,"
            " expires_at) VALUES (?, ?, ?, ?, ?)",
            (
                _hash(token),
                username,
                now.isoformat(),
                now.isoformat(),
                (now + ABSOLUTE).isoformat(),
            ),
        )
    return token


def resume(
    db_path: Path, token: str, *, now: datetime, idle: timedelta = IDLE, touch: bool = True
) -> Session | None:
    """The session behind `token` if it is still valid, else None (and the row is gone).

    `touch` records activity; the live board's event stream passes False so a board left
    open on a wall does not keep a forgotten login alive.
    """
    key = _hash(token)
    with connect(db_path) as conn:
        row = conn.execute(
            "SELECT s.last_seen, s.expires_at, u.username, u.role, u.must_change, u.disabled"
            " FROM console_sessions s JOIN console_users u ON u.username = s.username"
            " WHERE s.token_hash = ?",
            (key,),
        ).fetchone()
        if row is None:
            return None
        last_seen = datetime.fromisoformat(row["last_seen"])
        expired = (
            now >= datetime.fromisoformat(row["expires_at"])
            or now - last_seen >= idle
            or row["disabled"]
        )
        if expired:
            conn.execute("DELETE FROM console_sessions WHERE token_hash = ?", (key,))
            return None
        if touch:
            conn.execute(
                "UPDATE console_sessions SET last_seen = ? WHERE token_hash = ?",
                (now.isoformat(), key),
            )
    return Session(row["username"], row["role"], bool(row["must_change"]))


def close_session(db_path: Path, token: str) -> None:
    """End a session (logout)."""
    with connect(db_path) as conn:
        conn.execute("DELETE FROM console_sessions WHERE token_hash = ?", (_hash(token),))
