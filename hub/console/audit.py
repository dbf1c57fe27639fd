"""The audit log: who did what, to what, when, from where, and whether it worked.

Every state-changing request of the console writes one row, refused ones included
(a wrong password, a forbidden action), so the auditor sees attempts as well as deeds.
Rows are only ever inserted; the console has no code path that updates or deletes them.
"""

from __future__ import annotations

import json
import sqlite3
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import Any

from hub.console.db import connect


@dataclass(frozen=True)
class AuditEntry:
    """One row of the audit log."""

    seq: int
    at: datetime
    actor: str
    role: str
    action: str
    target: str
    outcome: str
    detail: dict[str, Any]
    remote_addr: str


def record(
    db_path: Path,
    *,
    at: datetime,
    actor: str,
    role: str,
    action: str,
    target: str = "",
    outcome: str = "ok",
    detail: dict[str, Any] | None = None,
    remote_addr: str = "",
) -> None:
    """Append one row; `detail` is stored as JSON (keep secrets out of it)."""
    with connect(db_path) as conn:
        conn.execute(
            "INSERT INTO console_audit (at, actor, role, action, target, outcome, detail,"
            " remote_addr) VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
            (
                at.isoformat(),
                actor,
                role,
                action,
                target,
                outcome,
                json.dumps(detail or {}, ensure_ascii=False, sort_keys=True, default=str),
                remote_addr,
            ),
        )


def entries(
    db_path: Path, *, limit: int = 200, before: int | None = None, actor: str = ""
) -> list[AuditEntry]:
    """The newest entries first, `limit` at a time, optionally before a sequence number."""
    sql = "SELECT * FROM console_audit WHERE 1=1"
    args: list[Any] = []
    if before is not None:
        sql += " AND seq < ?"
        args.append(before)
    if actor:
        sql += " AND actor = ?"
        args.append(actor)
    sql += " ORDER BY seq DESC LIMIT ?"
    args.append(limit)
    with connect(db_path) as conn:
        rows = conn.execute(sql, args).fetchall()
    return [_entry(r) for r in rows]


def _entry(row: sqlite3.Row) -> AuditEntry:
    return AuditEntry(
        seq=row["seq"],
        at=datetime.fromisoformat(row["at"]),
        actor=row["actor"],
        role=row["role"],
        action=row["action"],
        target=row["target"],
        outcome=row["outcome"],
        detail=json.loads(row["detail"]),
        remote_addr=row["remote_addr"],
    )
