"""The gate's folders and the only file operations the bridge does on them.

Names come from `os.scandir` of our own folder and are only ever joined to our own
folders: a name from the gate is never a path. Links and anything but a regular file are
refused without being opened; files are read with O_NOFOLLOW and at most limit + 1 bytes.
Every write is a temporary name, fsync, rename, fsync of the folder, so neither the gate
nor a power cut ever sees half a file.
"""

from __future__ import annotations

import contextlib
import errno
import os
import shutil
import stat
from dataclasses import dataclass
from pathlib import Path


@dataclass(frozen=True)
class Folders:
    inbound: Path
    done: Path
    rejected: Path
    outbound: Path

    @classmethod
    def under(cls, root: Path) -> Folders:
        return cls(root / "inbound", root / "done", root / "rejected", root / "outbound")

    def create(self) -> None:
        for d in (self.inbound, self.done, self.rejected, self.outbound):
            d.mkdir(parents=True, exist_ok=True)


def is_temporary(name: str) -> bool:
    """A name the gate is still writing: leading dot, `.tmp`, `~` (and `.part`)."""
    return name.startswith(".") or name.endswith((".tmp", "~", ".part", ".why.json"))


def fsync_dir(folder: Path) -> None:
    fd = os.open(folder, os.O_RDONLY | os.O_DIRECTORY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


def read_limited(folder: Path, name: str, limit: int) -> bytes:
    """The file's bytes (at most limit + 1, enough to tell it is too large)."""
    fd = os.open(folder / name, os.O_RDONLY | os.O_NOFOLLOW | os.O_NONBLOCK)
    try:
        if not stat.S_ISREG(os.fstat(fd).st_mode):
            raise OSError(errno.EINVAL, "not a regular file")
        chunks, left = [], limit + 1
        while left > 0:
            chunk = os.read(fd, min(left, 1 << 16))
            if not chunk:
                break
            chunks.append(chunk)
            left -= len(chunk)
        return b"".join(chunks)
    finally:
        os.close(fd)


def write_temp(folder: Path, name: str, data: bytes) -> Path:
    """Write `.NAME.tmp` and fsync it; `publish` renames it to NAME."""
    tmp = folder / f".{name}.tmp"
    fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_TRUNC | os.O_NOFOLLOW, 0o640)
    try:
        view = memoryview(data)
        while view:
            view = view[os.write(fd, view) :]
        os.fsync(fd)
    finally:
        os.close(fd)
    return tmp


def publish(folder: Path, name: str) -> None:
    os.replace(folder / f".{name}.tmp", folder / name)
    fsync_dir(folder)


def write_atomic(folder: Path, name: str, data: bytes) -> None:
    write_temp(folder, name, data)
    publish(folder, name)


def free_name(folder: Path, name: str) -> str:
    """NAME, or NAME.2, NAME.3 ... when a file of that name is already there.

    A `NAME.why.json` alone does not take the name: it is what a crash between writing
    the why and moving the file leaves (or a reprocess between its two steps), and
    overwriting it beats leaving a why.json that explains no file."""
    candidate, n = name, 1
    while (folder / candidate).exists():
        n += 1
        candidate = f"{name}.{n}"
    return candidate


def move(
    src: Path, name: str, dst: Path, new_name: str | None = None, *, sync: bool = True
) -> Path:
    """Move src/NAME into dst (same file system: a rename; else copy, fsync, unlink).
    `sync=False` leaves both folders' fsync to the caller, who batches them (a rename lost
    to a power cut only puts a committed file back in inbound/, where it is taken again
    as a repeat and moved)."""
    dst.mkdir(parents=True, exist_ok=True)
    target = dst / (new_name or free_name(dst, name))
    try:
        os.rename(src / name, target)
    except OSError as e:
        if e.errno != errno.EXDEV:
            raise
        shutil.copyfile(src / name, target, follow_symlinks=False)
        with open(target, "rb+") as f:
            os.fsync(f.fileno())
        os.unlink(src / name)
    if sync:
        fsync_dir(dst)
        with contextlib.suppress(OSError):
            fsync_dir(src)
    return target
