"""Console accounts: hashed passwords, one-time passwords, throttled logins (throttle.py).

Passwords are hashed with werkzeug's `generate_password_hash`, whose default in werkzeug 3
is scrypt (n=2^15, r=8, p=1) from Python's own hashlib: memory-hard, so a stolen database
is expensive to brute-force on GPUs, salted per password, and no extra dependency. No
account has a default password: every new or reset account gets a random one-time password
that must be changed at the next login.
"""

from __future__ import annotations

import logging
import secrets
import sqlite3
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path

from werkzeug.security import check_password_hash, generate_password_hash

from hub.console import throttle
from hub.console.db import connect
from hub.console.errors import AuthError, UserError
from hub.console.roles import ROLES, is_role

log = logging.getLogger(__name__)

MIN_PASSWORD_LENGTH = 10
MAX_FAILED_LOGINS = throttle.PAIR_MAX_FAILURES
"""Wrong passwords in a row that shut one (account, address) pair for LOCK_MINUTES."""
LOCK_MINUTES = throttle.PAIR_BLOCK_S // 60
_USERNAME_CHARS = set("abcdefghijklmnopqrstuvwxyz0123456789-_.")
# A hash of a random password, checked when the user does not exist, so that a wrong user
# name costs the same time as a wrong password and timing reveals nothing.
_DUMMY_HASH = generate_password_hash(secrets.token_urlsafe(16))


@dataclass(frozen=True)
class User:
    """One console account as the views see it (never the hash)."""

    username: str
    role: str
    must_change: bool
    disabled: bool
    created_at: str
    created_by: str


def one_time_password() -> str:
    """A random password to hand over once: 16 URL-safe characters (96 bits)."""
    return secrets.token_urlsafe(12)


def check_username(username: str) -> str:
    """A user name: 2 to 32 of lowercase letters, digits, `-`, `_`, `.`."""
    name = username.strip().lower()
    if not 2 <= len(name) <= 32 or not set(name) <= _USERNAME_CHARS:
        raise UserError(f"user name {username!r}: 2-32 of a-z 0-9 - _ .")
    return name


def check_new_password(password: str, username: str) -> None:
    """Refuse passwords too short or equal to the user name."""
    if len(password) < MIN_PASSWORD_LENGTH:
        raise UserError(f"password shorter than {MIN_PASSWORD_LENGTH} characters")
    if password.lower() == username.lower():
        raise UserError("password equals the user name")


def create_user(db_path: Path, username: str, role: str, *, by: str, now: datetime) -> str:
    """Create an account and return its one-time password (shown once, stored only hashed)."""
    name = check_username(username)
    if not is_role(role):
        raise UserError(f"role {role!r}: one of {', '.join(ROLES)}")
    password = one_time_password()
    with connect(db_path) as conn:
        if conn.execute("SELECT 1 FROM console_users WHERE username = ?", (name,)).fetchone():
            raise UserError(f"user {name!r} already exists")
        conn.execute(
            "INSERT INTO console_users (username, role, password_hash, must_change,"
            " created_at, created_by) VALUES (?, ?, ?, 1, ?, ?)",
            (name, role, generate_password_hash(password), now.isoformat(), by),
        )
    log.info("console user %s created with role %s by %s", name, role, by)
    return password


def reset_password(db_path: Path, username: str, *, now: datetime) -> str:
    """Give an account a new one-time password, clear its login counts, end its sessions."""
    password = one_time_password()
    with connect(db_path) as conn:
        cur = conn.execute(
            "UPDATE console_users SET password_hash = ?, must_change = 1, failed_logins = 0,"
            " locked_until = NULL WHERE username = ?",
            (generate_password_hash(password), username),
        )
        if cur.rowcount != 1:
            raise UserError(f"no user {username!r}")
        conn.execute("DELETE FROM console_sessions WHERE username = ?", (username,))
        throttle.forget_account(conn, username)
    return password


def set_disabled(db_path: Path, username: str, disabled: bool) -> None:
    """Disable (and log out) or re-enable an account; accounts are never deleted (audit)."""
    with connect(db_path) as conn:
        cur = conn.execute(
            "UPDATE console_users SET disabled = ? WHERE username = ?", (int(disabled), username)
        )
        if cur.rowcount != 1:
            raise UserError(f"no user {username!r}")
        if disabled:
            conn.execute("DELETE FROM console_sessions WHERE username = ?", (username,))


def change_password(db_path: Path, username: str, old: str, new: str) -> None:
    """Change a password after checking the old one; clears the must-change flag."""
    check_new_password(new, username)
    if old == new:
        raise UserError("the new password equals the old one")
    with connect(db_path) as conn:
        row = conn.execute(
            "SELECT password_hash FROM console_users WHERE username = ?", (username,)
        ).fetchone()
        if row is None or not check_password_hash(row["password_hash"], old):
            raise AuthError("wrong current password")
        conn.execute(
            "UPDATE console_users SET password_hash = ?, must_change = 0 WHERE username = ?",
            (generate_password_hash(new), username),
        )


def authenticate(
    db_path: Path, username: str, password: str, *, now: datetime, address: str = ""
) -> User:
    """The user behind a correct, enabled login from `address`; `AuthError` otherwise.

    No account is ever locked: `throttle.py` limits guesses per address, per (account,
    address) and, for addresses the account has not logged in from, per account, so a
    guesser elsewhere cannot keep an operator out of her own desk. The password is hashed
    outside any write transaction: scrypt takes tens of milliseconds, and the console shares
    the hub's database file, whose writers would otherwise wait for every guess.
    """
    name = username.strip().lower()
    with connect(db_path) as conn:
        throttle.check(conn, name, address, now)  # raises LoginThrottled
        row = conn.execute("SELECT * FROM console_users WHERE username = ?", (name,)).fetchone()
    # The same hashing work for an unknown name, so that timing reveals nothing.
    right = check_password_hash(row["password_hash"] if row else _DUMMY_HASH, password)
    refusal = ""
    with connect(db_path) as conn:  # the count must be committed, so raise after
        if row is None or not right:
            locked = throttle.failed(conn, name, address, now)
            refusal = "unknown user" if row is None else "wrong password"
            refusal += ", now locked" if locked else ""
        elif row["disabled"]:
            refusal = "disabled"
        else:
            throttle.succeeded(conn, name, address, now)
    if refusal or row is None:
        raise AuthError(refusal)
    return _user(row)


def get_user(db_path: Path, username: str) -> User | None:
    """The account named `username`, or None."""
    with connect(db_path) as conn:
        row = conn.execute("SELECT * FROM console_users WHERE username = ?", (username,)).fetchone()
    return None if row is None else _user(row)


def list_users(db_path: Path) -> list[User]:
    """Every account, by name."""
    with connect(db_path) as conn:
        rows = conn.execute("SELECT * FROM console_users ORDER BY username").fetchall()
    return [_user(r) for r in rows]


def _user(row: sqlite3.Row) -> User:
    return User(
        username=row["username"],
        role=row["role"],
        must_change=bool(row["must_change"]),
        disabled=bool(row["disabled"]),
        created_at=row["created_at"],
        created_by=row["created_by"],
    )
