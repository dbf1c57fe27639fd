"""The terminal's schema: the migration set "gateway" of sqlite-utils' `Migrations`.

Named, transactional migrations that record themselves in `_sqlite_migrations` (one row
per set and name), so a terminal in the field upgrades safely whatever version it was
installed with. Add a migration at the end, never edit one that has shipped.

Terminals installed before this scheme recorded their migrations in a table of their own,
`_migrations(name, applied_at)`, with the same names. `carry_over` moves those rows into
the "gateway" set (keeping their times) and drops the old table, in one transaction,
before anything is applied: the database is carried over, never re-created.
"""

from __future__ import annotations

from sqlite_utils import Database, Migrations

MIGRATIONS = Migrations("gateway")

LEGACY_TABLE = "_migrations"
"""Where the terminal's own scheme recorded its migrations before sqlite-utils'."""


@MIGRATIONS(name="001_schema")
def _m001_schema(db: Database) -> None:
    db.table("orders").create(
        {
            "order_id": str,
            "rev": int,
            "body": str,
            "priority": str,
            "drill": int,
            "status": str,
            "dispatched_at": str,
            "received_at": str,
            "received_id": str,
            "acked_at": str,
            "arrived_at": str,
            "fed_back_at": str,
            "cancelled_at": str,
            "alarming": int,
            "lat": float,
            "lon": float,
        },
        pk="order_id",
        not_null={"rev", "body", "priority", "drill", "status", "alarming"},
    )
    db.table("seen").create({"msg_id": str, "kind": str, "at": str}, pk="msg_id")
    db.execute(
        "CREATE TABLE outbox (seq INTEGER PRIMARY KEY AUTOINCREMENT, id TEXT NOT NULL UNIQUE,"
        " kind TEXT NOT NULL, at TEXT NOT NULL, payload BLOB NOT NULL)"
    )
    db.execute(
        "CREATE TABLE prints (job INTEGER PRIMARY KEY AUTOINCREMENT, order_id TEXT NOT NULL,"
        " what TEXT NOT NULL, note TEXT NOT NULL DEFAULT '', created TEXT NOT NULL,"
        " printed_at TEXT, attempts INTEGER"
        " NOT NULL DEFAULT 0)"
    )
    db.table("outbox").create_index(["kind"])
    db.table("prints").create_index(["printed_at"])


@MIGRATIONS(name="002_print_started")
def _m002_print_started(db: Database) -> None:
    """`started_at`: when bytes of the job first went to the printer, committed before they
    go. A job with it and no `printed_at` may already be on paper (kill -9 or a power cut
    after the write, paper out or unplugged mid-job): its next print says 补打."""
    db.execute("ALTER TABLE prints ADD COLUMN started_at TEXT")


@MIGRATIONS(name="003_receipt_chain")
def _m003_receipt_chain(db: Database) -> None:
    """The receipt chain behind 签收: `orders.alarmed_rev`, the rev whose alarm the terminal
    reported starting (`alarmed`), and `prints.failed_reason`, the last print failure it
    reported for a job (`print_failed` goes again only when the reason changes)."""
    db.execute("ALTER TABLE orders ADD COLUMN alarmed_rev INTEGER")
    db.execute("ALTER TABLE prints ADD COLUMN failed_reason TEXT")


@MIGRATIONS(name="004_rollcalls")
def _m004_rollcalls(db: Database) -> None:
    """点名: each roll-call the hub sent, its answer-by and expiry, and what became of it
    (answered, or `missed` when it reached the terminal after its expiry)."""
    db.execute(
        "CREATE TABLE rollcalls (rollcall_id TEXT PRIMARY KEY, received_at TEXT NOT NULL,"
        " answer_by TEXT NOT NULL, expires_at TEXT NOT NULL, answered_at TEXT, via TEXT,"
        " missed INTEGER NOT NULL DEFAULT 0)"
    )


def carry_over(db: Database) -> list[str]:
    """Move the old scheme's records into the "gateway" set; returns the names moved."""
    if not db[LEGACY_TABLE].exists():
        return []
    with db.atomic():
        MIGRATIONS.ensure_migrations_table(db)
        applied = {m.name for m in MIGRATIONS.applied(db)}
        rows = db.execute(f"SELECT name, applied_at FROM {LEGACY_TABLE} ORDER BY rowid")  # noqa: S608
        moved = [(str(name), str(at)) for name, at in rows if name not in applied]
        db.table(MIGRATIONS.migrations_table).insert_all(
            {"migration_set": MIGRATIONS.name, "name": name, "applied_at": at} for name, at in moved
        )
        db[LEGACY_TABLE].drop()
    return [name for name, _ in moved]


def migrate(db: Database) -> list[str]:
    """Carry an old database over, then apply what is pending; returns the names applied."""
    carry_over(db)
    pending = [m.name for m in MIGRATIONS.pending(db)]
    MIGRATIONS.apply(db)
    return pending
