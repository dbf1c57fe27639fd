"""Login throttling: who may try a password now, so that guessing never locks out the operator.

A lock on the account itself lets anyone who can reach `/login` keep a named operator out
(issue 11, case 8). So the account is never locked; guesses are limited where they come from:

1. (account, address): five wrong passwords in a row shut that pair for ten minutes. A
   colleague who mistyped waits a coffee; a guesser at that desk gets 720 tries a day.
2. address: twenty wrong passwords, whatever the names, with no ten-minute pause between
   them, shut the address for ten minutes (one password sprayed over every name).
3. account: never locked. After five wrong passwords from anywhere (counted until the
   account has had an hour without one), an address the account has not logged in from
   within 90 days must wait 2^(n-5) s after the latest failure, at most five minutes. A
   guesser spreading over many addresses gets a few tries an hour; the account's own seats
   are exempt, so the operator at her desk gets in whatever happens elsewhere.

An attempt refused by a rule checks no password and counts as nothing: it cannot extend a
block, and it costs the server no scrypt. Unknown user names are throttled exactly like real
ones, or the throttle itself would tell a guesser which names exist. Addresses are keyed by
`address_key`: IPv4 as it is, IPv6 by its /64, because anyone on an IPv6 network can take a
fresh address for every guess. Which address a request comes from is `web.client_address`.
The check and the count are two short transactions around the password hashing (users.py),
so guesses sent in parallel can pass a limit by at most the server's threads (8) at once.
"""

from __future__ import annotations

import ipaddress
import math
import sqlite3
from dataclasses import dataclass
from datetime import datetime, timedelta

from hub.console.errors import LoginThrottled
from wire.clock import parse_rfc3339, rfc3339

PAIR_MAX_FAILURES = 5
PAIR_BLOCK_S = 600
ADDRESS_MAX_FAILURES = 20
ADDRESS_PAUSE_S = 600
"""A pause this long without a failure from an address starts its count afresh."""
ADDRESS_BLOCK_S = 600
ACCOUNT_FREE_FAILURES = 5
ACCOUNT_MAX_DELAY_S = 300
ACCOUNT_QUIET_S = 3600
"""An hour without a failure starts an account's count afresh."""
SEAT_DAYS = 90
"""An address counts as one of the account's seats this long after a login from it."""
KEEP_S = 3600
"""Counts untouched this long (and not blocking) are forgotten: no rule looks further back."""

_PAIR, _ADDRESS, _ACCOUNT = "pair", "address", "account"


@dataclass(frozen=True)
class _Count:
    failures: int
    last_failed_at: datetime | None
    blocked_until: datetime | None


def address_key(address: str) -> str:
    """The address a rule counts by: an IPv4 address, or an IPv6 /64 (`2001:db8:1:2::/64`)."""
    try:
        ip = ipaddress.ip_address(address)
    except ValueError:
        return address  # not an IP (a test client, a unix socket): counted as it is
    if isinstance(ip, ipaddress.IPv6Address):
        if ip.ipv4_mapped is not None:
            return str(ip.ipv4_mapped)
        return str(ipaddress.IPv6Network(f"{ip}/64", strict=False))
    return str(ip)


def account_delay_s(failures: int) -> float:
    """How long a new address waits after the account's latest failure: 0 for the first five
    failures, then 1, 2, 4 ... seconds, at most ACCOUNT_MAX_DELAY_S."""
    if failures < ACCOUNT_FREE_FAILURES:
        return 0.0
    return float(min(2 ** (failures - ACCOUNT_FREE_FAILURES), ACCOUNT_MAX_DELAY_S))


def check(conn: sqlite3.Connection, name: str, address: str, now: datetime) -> None:
    """Raise `LoginThrottled` when a rule refuses this attempt before any password is checked."""
    addr = address_key(address)
    for scope, who, where, reason in (
        (_ADDRESS, "", addr, "address blocked"),
        (_PAIR, name, addr, "locked"),
    ):
        until = _count(conn, scope, who, where).blocked_until
        if until is not None and until > now:
            raise LoginThrottled(reason, _seconds(until - now))
    account = _count(conn, _ACCOUNT, name, "")
    failures = _live(account, now, ACCOUNT_QUIET_S)
    if failures < ACCOUNT_FREE_FAILURES or account.last_failed_at is None:
        return
    wait_until = account.last_failed_at + timedelta(seconds=account_delay_s(failures))
    if wait_until > now and not is_seat(conn, name, addr, now):
        raise LoginThrottled("account slowed", _seconds(wait_until - now))


def failed(conn: sqlite3.Connection, name: str, address: str, now: datetime) -> bool:
    """Count a wrong password (or an unknown name); True when it shut the (account, address)."""
    addr = address_key(address)
    _bump(conn, _ADDRESS, "", addr, now, ADDRESS_PAUSE_S, ADDRESS_MAX_FAILURES, ADDRESS_BLOCK_S)
    _bump(conn, _ACCOUNT, name, "", now, ACCOUNT_QUIET_S, None, 0)
    locked = _bump(conn, _PAIR, name, addr, now, KEEP_S, PAIR_MAX_FAILURES, PAIR_BLOCK_S)
    conn.execute(
        "DELETE FROM console_login_guard WHERE last_failed_at < ?"
        " AND (blocked_until IS NULL OR blocked_until < ?)",
        (rfc3339(now - timedelta(seconds=KEEP_S)), rfc3339(now)),
    )
    return locked


def succeeded(conn: sqlite3.Connection, name: str, address: str, now: datetime) -> None:
    """A right password: the pair's count ends, and the address becomes one of the seats."""
    addr = address_key(address)
    conn.execute(
        "DELETE FROM console_login_guard WHERE scope = ? AND name = ? AND address = ?",
        (_PAIR, name, addr),
    )
    conn.execute(
        "INSERT INTO console_login_seats (username, address, last_ok_at) VALUES (?, ?, ?)"
        " ON CONFLICT (username, address) DO UPDATE SET last_ok_at = excluded.last_ok_at",
        (name, addr, rfc3339(now)),
    )
    conn.execute(
        "DELETE FROM console_login_seats WHERE last_ok_at < ?",
        (rfc3339(now - timedelta(days=SEAT_DAYS)),),
    )


def is_seat(conn: sqlite3.Connection, name: str, addr: str, now: datetime) -> bool:
    """Whether `name` logged in from address key `addr` within SEAT_DAYS."""
    row = conn.execute(
        "SELECT 1 FROM console_login_seats WHERE username = ? AND address = ? AND last_ok_at >= ?",
        (name, addr, rfc3339(now - timedelta(days=SEAT_DAYS))),
    ).fetchone()
    return row is not None


def forget_account(conn: sqlite3.Connection, name: str) -> None:
    """An admin's password reset: the account's counts and blocks start afresh."""
    conn.execute(
        "DELETE FROM console_login_guard WHERE scope IN (?, ?) AND name = ?",
        (_PAIR, _ACCOUNT, name),
    )


def _count(conn: sqlite3.Connection, scope: str, name: str, address: str) -> _Count:
    row = conn.execute(
        "SELECT failures, last_failed_at, blocked_until FROM console_login_guard"
        " WHERE scope = ? AND name = ? AND address = ?",
        (scope, name, address),
    ).fetchone()
    if row is None:
        return _Count(0, None, None)
    return _Count(row[0], _time(row[1]), _time(row[2]))


def _live(count: _Count, now: datetime, pause_s: float) -> int:
    """The failures still counting: none once `pause_s` has passed without one."""
    last = count.last_failed_at
    if last is None or now - last >= timedelta(seconds=pause_s):
        return 0
    return count.failures


def _bump(
    conn: sqlite3.Connection,
    scope: str,
    name: str,
    address: str,
    now: datetime,
    pause_s: float,
    limit: int | None,
    block_s: float,
) -> bool:
    """One more failure; at `limit` the count becomes a block of `block_s` and starts again."""
    failures = _live(_count(conn, scope, name, address), now, pause_s) + 1
    blocked = limit is not None and failures >= limit
    until = rfc3339(now + timedelta(seconds=block_s)) if blocked else None
    conn.execute(
        "INSERT INTO console_login_guard (scope, name, address, failures, last_failed_at,"
        " blocked_until) VALUES (?, ?, ?, ?, ?, ?) ON CONFLICT (scope, name, address) DO UPDATE"
        " SET failures = excluded.failures, last_failed_at = excluded.last_failed_at,"
        " blocked_until = coalesce(excluded.blocked_until, blocked_until)",
        (scope, name, address, 0 if blocked else failures, rfc3339(now), until),
    )
    return blocked


def _time(value: str | None) -> datetime | None:
    return None if value is None else parse_rfc3339(value)


def _seconds(delta: timedelta) -> int:
    return max(1, math.ceil(delta.total_seconds()))
