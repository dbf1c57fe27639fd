"""The notification outbox, as the "alerts" set of the hub's one migration scheme
(hub/db/migrations.py). Only hub/alerts/outbox.py writes it (tests/test_layout.py)."""

from __future__ import annotations

import sqlite_utils

from hub.db.migrations import named_set


def _notifications(db: sqlite_utils.Database) -> None:
    db.executescript(
        """
        CREATE TABLE notifications (
            id INTEGER PRIMARY KEY AUTOINCREMENT,
            key TEXT NOT NULL,            -- the escalation: '<order id>/<deadline>'
            phone TEXT NOT NULL,          -- digits only: one message per escalation per phone
            role TEXT NOT NULL,           -- duty | leader | supervisor
            kind TEXT NOT NULL,           -- receive, ack, arrive, feedback, rollcall_missed
            unit TEXT NOT NULL,
            incident_id TEXT,
            order_id TEXT,
            drill INTEGER NOT NULL DEFAULT 0,
            channel TEXT NOT NULL,        -- modem | webhook
            body TEXT NOT NULL,
            created_at TEXT NOT NULL,
            next_at TEXT NOT NULL,        -- due now or after a back-off
            attempts INTEGER NOT NULL DEFAULT 0,
            state TEXT NOT NULL DEFAULT 'pending',  -- pending | sent | failed | void
            sent_at TEXT,
            ref TEXT,                     -- the modem's +CMGS reference, the platform's id
            last_error TEXT,
            UNIQUE (key, phone)
        );
        CREATE INDEX notifications_due ON notifications(next_at) WHERE state = 'pending';
        CREATE INDEX notifications_incident ON notifications(incident_id, id);
        CREATE INDEX notifications_sent ON notifications(phone, sent_at);
        """
    )


MIGRATIONS = named_set("alerts", [("alerts_0001_notifications", _notifications)])
