"""Migration 0002: a hub upgraded with refused messages on file keeps their exact counts."""

from __future__ import annotations

from pathlib import Path

from hub.db.migrations import named_set
from hub.db.store import Store
from hub.dispatch.schema import MIGRATIONS as DISPATCH
from hub.parts import open_store

MIGRATIONS = [(m.name, m.fn) for m in DISPATCH._migrations]


def test_counts_are_carried_over_from_the_rows_already_kept(tmp_path: Path) -> None:
    path = tmp_path / "hub.sqlite3"
    old = Store(path, [named_set("dispatch", MIGRATIONS[:1])])
    with old.write() as db:
        for i, (unit, reason) in enumerate(
            [("power-co", "bad_signature")] * 3 + [("water-co", "not_json"), (None, "bad_topic")]
        ):
            db.execute(
                "INSERT INTO rejected (recorded_at, topic, unit, reason, message, raw)"
                " VALUES (?, 't', ?, ?, 'm', x'00')",
                (f"2026-01-05T0{i}:00:00.000Z", unit, reason),
            )
    old.close()
    store = open_store(path)
    rows = store.query("SELECT unit, reason, sum(n) AS n FROM rejected_counts GROUP BY 1, 2")
    assert {(r["unit"], r["reason"]): r["n"] for r in rows} == {
        ("power-co", "bad_signature"): 3,
        ("water-co", "not_json"): 1,
        ("", "bad_topic"): 1,
    }
    assert store.one("SELECT count(*) AS n FROM rejected") == {"n": 5}  # nothing dropped
    store.close()
