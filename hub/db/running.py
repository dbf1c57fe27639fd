"""One process at a time on the hub's database: an exclusive `flock` on `<database>.lock`.

Held by `liandong-hub serve` for as long as it runs, and by `liandong-hub restore` while
it replaces the file (a hub run in-process, by the demo or a test, takes none). Two hubs
on one file would both deliver every order, and a restore must not swap the file under a
hub that is writing to it. The kernel drops the lock when the process dies, so kill -9
never leaves it stale (the terminal's state file works the same way,
gateway/state/store.py). The file holds the holder's pid, for the message only.
"""

from __future__ import annotations

import fcntl
import os
from pathlib import Path

from hub.errors import ConfigError


def lock_path(db_path: Path) -> Path:
    return db_path.with_name(db_path.name + ".lock")


class DatabaseLock:
    """The lock, taken at once or ConfigError naming the pid that holds it."""

    def __init__(self, db_path: Path) -> None:
        self.path = lock_path(db_path)
        self.path.parent.mkdir(parents=True, exist_ok=True)
        f = self.path.open("a+b")
        try:
            fcntl.flock(f, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            f.close()
            try:
                pid = self.path.read_text(encoding="ascii").strip() or "?"
            except OSError:
                pid = "?"
            raise ConfigError(
                f"a hub or a restore (pid {pid}) is using {db_path}: stop it first "
                "(systemctl stop liandong-hub); two hubs would deliver every order twice"
            ) from None
        f.truncate(0)
        f.write(f"{os.getpid()}\n".encode("ascii"))
        f.flush()
        self._file = f

    def release(self) -> None:
        self._file.close()  # closing drops the flock

    def __enter__(self) -> DatabaseLock:
        return self

    def __exit__(self, *exc: object) -> None:
        self.release()
