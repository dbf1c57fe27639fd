"""Take one inbound file: parse, commit through the one writer, then move it.

The order is the exactly-once argument (docs/boundary.md): the incident, its orders and
the message's `boundary` event are one transaction; only after the commit is the file
moved to done/. A crash before the commit leaves the file to be taken again; after it,
taking it again finds the (source, 110 number) or the message id already stored and only
moves the file. A bad file is moved to rejected/ beside NAME.why.json and never stops the
files behind it; a database that is busy leaves the file where it is for the next pass.
"""

from __future__ import annotations

import hashlib
import json
import logging
import sqlite3
from dataclasses import dataclass
from pathlib import Path
from zoneinfo import ZoneInfo

from hub.errors import IntakeError, NotFound
from hub.sources.boundary import journal
from hub.sources.boundary.folders import (
    Folders,
    free_name,
    fsync_dir,
    move,
    read_limited,
    write_atomic,
)
from hub.sources.boundary.mapping import Mapping
from hub.sources.boundary.metrics import BoundaryMetrics
from hub.sources.boundary.model import GateRejection
from hub.sources.boundary.parse import parse_bytes
from hub.sources.boundary.ports import GatePorts

log = logging.getLogger(__name__)
LOCAL = ZoneInfo("Asia/Shanghai")


@dataclass
class Inbound:
    service: GatePorts
    mapping: Mapping
    folders: Folders
    source: str
    limit: int
    metrics: BoundaryMetrics

    def __post_init__(self) -> None:
        self._unsynced: set[Path] = set()
        self._done: list[journal.Entry] = []

    def flush(self) -> None:
        """End of a pass: fsync the folders the pass moved files into and out of, once,
        and write its files' history in one transaction. Neither decides exactly once
        (each incident was committed before its file moved; a move a power cut undoes is
        taken again as a repeat), so a burst pays one fsync per file, not four."""
        if self._unsynced:
            for folder in (*self._unsynced, self.folders.inbound):
                fsync_dir(folder)
            self._unsynced.clear()
        done, self._done = self._done, []
        journal.record_many(self.service.store, done)

    def take(self, name: str) -> str:
        """Process inbound/NAME; returns done, rejected, retry or gone. A done file's
        folders and history are settled by `flush()` at the end of the pass."""
        try:
            data = read_limited(self.folders.inbound, name, self.limit)
        except FileNotFoundError:
            return "gone"
        except OSError as e:  # a link, a folder, a device: refused unread
            return self._reject(name, b"", GateRejection(
                "not_a_file", "不是普通文件（链接或目录），未读取",
                f"not a regular file (link or folder), not read: {e.strerror}",
            ))  # fmt: skip
        try:
            msg = parse_bytes(data, self.service.registry, self.mapping, limit=self.limit)
            view, outcome = self.service.gate_message(
                msg.kind,
                msg.intake,
                source=self.source,
                msg_id=msg.msg_id,
                refs=msg.refs,
                notes=msg.notes,
                reason=msg.reason,
            )
        except GateRejection as e:
            return self._reject(name, data, e)
        except IntakeError as e:
            f, (zh, en) = next(iter(e.details.items()))
            return self._reject(name, data, GateRejection("invalid", zh, en, field=f))
        except NotFound as e:
            return self._reject(name, data, GateRejection(
                "unknown_incident", f"要撤销的警情不存在：{e}", f"nothing to cancel: {e}",
                field="source_id",
            ))  # fmt: skip
        except sqlite3.Error:
            log.exception("gate file %r: the database refused; left for the next pass", name)
            return "retry"
        except Exception as e:  # a bug of ours must not stop the files behind this one
            log.exception("gate file %r: unexpected error", name)
            return self._reject(name, data, GateRejection(
                "internal", f"枢纽内部错误：{type(e).__name__}",
                f"hub internal error: {type(e).__name__}",
            ))  # fmt: skip
        now = self.service.clock.now()
        day = self.folders.done / now.astimezone(LOCAL).strftime("%Y-%m-%d")
        target = move(self.folders.inbound, name, day, sync=False)  # fsynced by flush()
        self._unsynced.add(day)
        self._done.append(
            journal.Entry(
                at=now,
                name=name,
                stored_as=str(target.relative_to(self.folders.done.parent)),
                sha256=hashlib.sha256(data).hexdigest(),
                outcome="done",
                reason=outcome,
                incident_id=view.id,
            )
        )
        self.metrics.files.labels("done", outcome).inc()
        log.info("gate file %r: %s incident %s (%s)", name, outcome, view.id, msg.source_id)
        return "done"

    def _reject(self, name: str, data: bytes, why: GateRejection) -> str:
        rejected = self.folders.rejected
        rejected.mkdir(parents=True, exist_ok=True)
        stored = free_name(rejected, name)
        body = {"file": name, **why.to_json(), "at": self.service.clock.now().isoformat()}
        write_atomic(rejected, f"{stored}.why.json",
                     json.dumps(body, ensure_ascii=False, indent=2).encode())  # fmt: skip
        try:
            move(self.folders.inbound, name, rejected, stored)
        except FileNotFoundError:
            return "gone"
        journal.record(
            self.service.store,
            at=self.service.clock.now(),
            name=name,
            stored_as=f"rejected/{stored}",
            sha256=hashlib.sha256(data).hexdigest(),
            outcome="rejected",
            reason=why.reason,
            why=why.to_json(),
        )
        self.metrics.files.labels("rejected", why.reason).inc()
        log.warning("gate file %r rejected: %s", name, why)
        return "rejected"
