"""`liandong-hub backup` and `restore` (hub/db/backup.py) on real hub database files.

The restore drill with a broker and a terminal is tests/e2e/test_restore_drill.py."""

from __future__ import annotations

import os
import sqlite3
import stat
import threading
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from click.testing import CliRunner

from hub.cli import main
from hub.db.backup import backup, backups, check_backup, restore
from hub.db.running import DatabaseLock
from hub.errors import BackupError, ConfigError
from tests.hub.conftest import incident_data
from tests.support.hubparts import TestService
from wire.clock import FakeClock

T0 = datetime(2026, 12, 5, 7, 0, tzinfo=UTC)


def incidents(db: Path) -> int:
    conn = sqlite3.connect(f"file:{db}?mode=ro", uri=True)
    try:
        return int(conn.execute("SELECT count(*) FROM incidents").fetchone()[0])
    finally:
        conn.close()


def add_incidents(service: TestService, first: int, n: int) -> None:
    for i in range(first, first + n):
        service.intake(incident_data(source_id=f"J532322000000{i:04d}"), source="gate-110")


def test_backup_is_consistent_while_the_hub_writes(service: TestService, tmp_path: Path) -> None:
    """Incidents go in from another thread during the backup: the copy holds a whole
    number of them, passes its check, is one file (no -wal) and private (0600)."""
    add_incidents(service, 0, 5)
    stop = threading.Event()

    def write() -> None:
        i = 100
        while not stop.is_set() and i < 400:
            add_incidents(service, i, 1)
            i += 1

    writer = threading.Thread(target=write)
    writer.start()
    try:
        made = backup(service.db_path, tmp_path / "backups", now=T0)
    finally:
        stop.set()
        writer.join()
    assert made.path.name == "hub-20261205T070000Z.sqlite3"
    assert stat.S_IMODE(made.path.stat().st_mode) == 0o600
    assert stat.S_IMODE((tmp_path / "backups").stat().st_mode) == 0o700
    check_backup(made.path)
    n = incidents(made.path)
    assert 5 <= n <= incidents(service.db_path)
    conn = sqlite3.connect(made.path)
    try:  # every incident in the copy has its events: a snapshot, not a torn read
        orphans = conn.execute(
            "SELECT count(*) FROM incidents i WHERE NOT EXISTS "
            "(SELECT 1 FROM events e WHERE e.incident_id = i.id)"
        ).fetchone()[0]
        assert orphans == 0
        assert conn.execute("PRAGMA journal_mode").fetchone()[0] == "delete"
    finally:
        conn.close()
    assert sorted(p.name for p in (tmp_path / "backups").iterdir()) == [made.path.name]


def test_retention_keeps_the_newest_of_each_of_the_last_days(
    service: TestService, tmp_path: Path
) -> None:
    folder = tmp_path / "backups"
    stray = folder / "notes.txt"
    folder.mkdir()
    stray.write_text("not a backup")
    times = [T0 + timedelta(days=d, hours=h) for d in range(5) for h in (0, 6)]
    for at in times:
        made = backup(service.db_path, folder, now=at, keep=3)
    kept = [p.name for _, p in backups(folder)]
    assert kept == [
        "hub-20261207T130000Z.sqlite3",
        "hub-20261208T130000Z.sqlite3",
        "hub-20261209T130000Z.sqlite3",
    ]
    assert made.path.name == kept[-1] and stray.exists()
    with pytest.raises(BackupError, match="at least 1"):
        backup(service.db_path, folder, now=T0, keep=0)


def test_restore_puts_the_backup_back_and_keeps_the_old_file(
    service: TestService, tmp_path: Path
) -> None:
    add_incidents(service, 0, 3)
    made = backup(service.db_path, tmp_path / "b", now=T0)
    add_incidents(service, 10, 2)  # after the backup; still in the WAL, never checkpointed
    service.store.close()  # the hub is stopped
    db = service.db_path
    kept = restore(db, made.path, now=T0 + timedelta(hours=1))
    assert kept is not None and kept.name == "hub.sqlite3.before-restore-20261205T080000Z"
    assert incidents(db) == 3
    assert incidents(kept) == 5, "the replaced database is kept whole, WAL included"
    reopened = TestService.open(db, clock=FakeClock(service.clock.now()))
    try:
        assert len(reopened.open_incidents()) == 3
        add_incidents(reopened, 20, 1)  # and the hub can write to it again
    finally:
        reopened.store.close()


def test_restore_refuses_while_a_hub_serves(service: TestService, tmp_path: Path) -> None:
    add_incidents(service, 0, 2)
    made = backup(service.db_path, tmp_path / "b", now=T0)
    add_incidents(service, 10, 1)
    serving = DatabaseLock(service.db_path)  # what Hub.start() holds
    try:
        with pytest.raises(BackupError, match=rf"pid {os.getpid()}\).*stop it first"):
            restore(service.db_path, made.path, now=T0)
        with pytest.raises(ConfigError, match="stop it first"):
            DatabaseLock(service.db_path)  # nor can a second hub start
    finally:
        serving.release()
    assert incidents(service.db_path) == 3
    assert not list(tmp_path.glob("**/*before-restore*"))


@pytest.mark.parametrize(
    ("content", "message"),
    [
        (b"", "not a hub database"),
        (b"SQLite format 3\x00" + b"\xff" * 5000, "not a usable SQLite database"),
        (b"hello, not a database at all" * 200, "not a usable SQLite database"),
    ],
)
def test_restore_refuses_a_damaged_or_foreign_file(
    service: TestService, tmp_path: Path, content: bytes, message: str
) -> None:
    add_incidents(service, 0, 2)
    bad = tmp_path / "bad.sqlite3"
    bad.write_bytes(content)
    service.store.close()
    with pytest.raises(BackupError, match=message):
        restore(service.db_path, bad, now=T0)
    assert incidents(service.db_path) == 2
    assert not list(tmp_path.glob("**/*before-restore*"))


def test_restore_refuses_a_torn_backup(service: TestService, tmp_path: Path) -> None:
    add_incidents(service, 0, 30)
    made = backup(service.db_path, tmp_path / "b", now=T0)
    data = made.path.read_bytes()
    torn = tmp_path / "torn.sqlite3"
    torn.write_bytes(data[: len(data) // 2])
    service.store.close()
    with pytest.raises(BackupError):
        restore(service.db_path, torn, now=T0)
    assert incidents(service.db_path) == 30


def test_commands(service: TestService, tmp_path: Path) -> None:
    """`backup` and `restore` as the timer and an operator run them, on a hub.toml."""
    add_incidents(service, 0, 2)
    service.store.close()
    toml = tmp_path / "hub.toml"
    toml.write_text(
        f'[county]\nid = "shuangbai"\n[store]\npath = "{service.db_path.name}"\n',
        encoding="utf-8",
    )
    runner = CliRunner()
    done = runner.invoke(main, ["backup", "--config", str(toml), "--keep", "3"])
    assert done.exit_code == 0, done.output
    made = backups(tmp_path / "backups")
    assert len(made) == 1 and str(made[0][1]) in done.output
    done = runner.invoke(main, ["restore", "--config", str(toml), str(made[0][1])])
    assert done.exit_code == 0, done.output
    assert "before-restore" in done.output and incidents(service.db_path) == 2
    junk = tmp_path / "junk.sqlite3"
    junk.write_bytes(b"junk" * 100)
    done = runner.invoke(main, ["restore", "--config", str(toml), str(junk)])
    assert done.exit_code == 1 and "Error: " in done.output and "Traceback" not in done.output
