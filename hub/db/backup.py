"""Backups of the hub's database, and putting one back (`liandong-hub backup`, `restore`).

A backup is SQLite's online backup API run in one step: it reads one consistent snapshot
(a WAL reader never blocks the hub's writers, nor they it), so the hub keeps serving while
it runs. The copy is written under a temporary name in the backup folder, switched out of
WAL mode (one self-contained file), checked (`PRAGMA quick_check`), fsynced, renamed, and
the folder fsynced: a power cut leaves the old set of backups, never half a file under a
backup's name. Backups are 0600: they hold password hashes and callers' phone numbers.

Retention keeps the newest backup of each of the last `keep` days that have one, and
deletes the rest (older days, and earlier copies of a kept day).

A restore refuses while a hub serves the file (hub/db/running.py), then checks the backup
(`PRAGMA integrity_check`, and that it is a hub database), copies the current database to
`<name>.before-restore-<time>` (through the same backup API, so what the WAL held is in
it), and copies the backup into the live file with the backup API: that write is one
SQLite transaction on the destination, so a crash in the middle leaves the old database.
What happened after the backup was taken is then gone from the hub: docs/deployment.md,
"Restoring", says what comes back from the terminals and what does not.
"""

from __future__ import annotations

import logging
import os
import re
import sqlite3
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

from hub.db.running import DatabaseLock
from hub.errors import BackupError, ConfigError

log = logging.getLogger(__name__)

PREFIX = "hub-"
SUFFIX = ".sqlite3"
_NAME = re.compile(r"^hub-(\d{8})T(\d{6})Z\.sqlite3$")
HUB_TABLES = ("_sqlite_migrations", "events", "incidents", "orders")
"""A file without these is not a hub database, whatever its integrity."""


@dataclass(frozen=True)
class Made:
    """A finished backup, and the older ones retention removed."""

    path: Path
    size: int
    removed: list[Path]


def backup_name(at: datetime) -> str:
    """`hub-20261205T071400Z.sqlite3`: sorts by time, says UTC."""
    return f"{PREFIX}{at.astimezone(UTC):%Y%m%dT%H%M%S}Z{SUFFIX}"


def _fsync_dir(folder: Path) -> None:
    fd = os.open(folder, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


def _open_source(db_path: Path) -> sqlite3.Connection:
    if not db_path.is_file():
        raise BackupError(f"no database at {db_path}")
    try:
        return sqlite3.connect(db_path, timeout=30)
    except sqlite3.Error as e:
        raise BackupError(f"cannot open {db_path}: {e}") from None


def _copy(src: sqlite3.Connection, dest: Path) -> None:
    """The snapshot of `src` into a new file `dest` (0600), one self-contained file."""
    fd = os.open(dest, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    os.close(fd)
    dst = sqlite3.connect(dest)
    try:
        src.backup(dst)  # pages=-1: the whole file in one step, one consistent snapshot
        dst.execute("PRAGMA journal_mode=DELETE")
        verdict = dst.execute("PRAGMA quick_check").fetchone()[0]
        if verdict != "ok":
            raise BackupError(f"the copy at {dest} fails its check: {verdict}")
    finally:
        dst.close()
    with dest.open("rb+") as f:
        os.fsync(f.fileno())


def backup(db_path: Path, folder: Path, *, now: datetime, keep: int = 14) -> Made:
    """Back `db_path` up into `folder` (made 0700 if missing), then apply retention."""
    if keep < 1:
        raise BackupError(f"--keep must be at least 1, not {keep}")
    try:
        folder.mkdir(mode=0o700, parents=True, exist_ok=True)
    except OSError as e:
        raise BackupError(f"cannot make {folder}: {e}") from None
    final = folder / backup_name(now)
    tmp = folder / f".{final.name}.tmp"
    src = _open_source(db_path)
    try:
        tmp.unlink(missing_ok=True)  # left by a run that died
        _copy(src, tmp)
        os.replace(tmp, final)
        _fsync_dir(folder)
    except (sqlite3.Error, OSError) as e:
        tmp.unlink(missing_ok=True)
        raise BackupError(f"backup of {db_path} into {folder} failed: {e}") from None
    except BaseException:
        tmp.unlink(missing_ok=True)
        raise
    finally:
        src.close()
    removed = prune(folder, keep)
    log.info("backed up %s to %s (%d removed by retention)", db_path, final, len(removed))
    return Made(final, final.stat().st_size, removed)


def backups(folder: Path) -> list[tuple[datetime, Path]]:
    """The backups in `folder`, oldest first (other files are left alone)."""
    found = []
    for path in folder.iterdir() if folder.is_dir() else ():
        m = _NAME.match(path.name)
        if m:
            at = datetime.strptime(m.group(1) + m.group(2), "%Y%m%d%H%M%S").replace(tzinfo=UTC)
            found.append((at, path))
    return sorted(found)


def prune(folder: Path, keep: int) -> list[Path]:
    """Keep the newest backup of each of the newest `keep` days; remove the others."""
    newest_of_day: dict[str, Path] = {}
    for at, path in backups(folder):
        newest_of_day[f"{at:%Y-%m-%d}"] = path  # oldest first: the last one wins
    kept = {newest_of_day[day] for day in sorted(newest_of_day)[-keep:]}
    removed = [p for _, p in backups(folder) if p not in kept]
    for path in removed:
        path.unlink()
    if removed:
        _fsync_dir(folder)
    return removed


def check_backup(path: Path) -> None:
    """BackupError unless `path` is a sound hub database."""
    if not path.is_file():
        raise BackupError(f"no backup at {path}")
    try:
        conn = sqlite3.connect(f"file:{path}?mode=ro", uri=True)
    except sqlite3.Error as e:
        raise BackupError(f"cannot open {path}: {e}") from None
    try:
        verdict = conn.execute("PRAGMA integrity_check").fetchone()[0]
        tables = {r[0] for r in conn.execute("SELECT name FROM sqlite_master WHERE type='table'")}
    except sqlite3.DatabaseError as e:
        raise BackupError(f"{path} is not a usable SQLite database: {e}") from None
    finally:
        conn.close()
    if verdict != "ok":
        raise BackupError(f"{path} fails SQLite's integrity check: {verdict}")
    missing = [t for t in HUB_TABLES if t not in tables]
    if missing:
        raise BackupError(f"{path} is not a hub database (no {', '.join(missing)} table)")


def restore(db_path: Path, backup_file: Path, *, now: datetime) -> Path | None:
    """Put `backup_file` in place of `db_path`; returns where the old database was kept
    (None when there was none). Refuses while a hub serves `db_path`."""
    check_backup(backup_file)
    if db_path.exists() and db_path.stat().st_uid != os.geteuid():
        owner = db_path.stat().st_uid
        raise BackupError(
            f"{db_path} belongs to uid {owner}: restore as its owner (sudo -u liandong-hub "
            "...), or the hub could not open the files SQLite makes beside it"
        )
    try:
        lock = DatabaseLock(db_path)
    except ConfigError as e:
        raise BackupError(str(e)) from None
    with lock:
        kept = None
        if db_path.exists():
            kept = db_path.with_name(f"{db_path.name}.before-restore-{now:%Y%m%dT%H%M%SZ}")
            src = _open_source(db_path)
            try:
                _copy(src, kept)
            except (sqlite3.Error, OSError) as e:
                raise BackupError(f"cannot keep the current database as {kept}: {e}") from None
            finally:
                src.close()
        src = sqlite3.connect(f"file:{backup_file}?mode=ro", uri=True)
        dst = sqlite3.connect(db_path, timeout=30)
        try:
            # One transaction on the live file: all of the backup, or the old database.
            src.backup(dst)
            verdict = dst.execute("PRAGMA integrity_check").fetchone()[0]
            if verdict != "ok":
                raise BackupError(f"the restored {db_path} fails its check: {verdict}")
        except sqlite3.Error as e:
            raise BackupError(f"restore into {db_path} failed: {e}") from None
        finally:
            dst.close()
            src.close()
        _fsync_dir(db_path.parent)
    log.warning("restored %s from %s (the old one kept as %s)", db_path, backup_file, kept)
    return kept
