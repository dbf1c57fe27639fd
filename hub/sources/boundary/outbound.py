"""Status back to 110: every change of a 110-sourced incident as one file in outbound/.

Driven by the event log (the same query as `GET /api/v1/boundary/outbox`, so drills are
already left out) with a cursor persisted in the hub file. Exactly once across a crash:
write `.NAME.tmp` and fsync it, commit the cursor, then rename and fsync the folder. At
start, a temporary file at or below the cursor is renamed (its commit happened), one above
it is removed (its commit did not). NAME is `<sequence>-<110 number>.json`, zero-padded so
the gate ferries them in order. A full or unwritable folder keeps the cursor where it is
and retries; `status()` and the metrics say so.
"""

from __future__ import annotations

import json
import logging
import os
import re
from dataclasses import dataclass, field
from typing import Any

from hub.db.times import parse_ts
from hub.dispatch.read import BOUNDARY_QUERY
from hub.sources.boundary import journal
from hub.sources.boundary.eidostatus import status_document
from hub.sources.boundary.folders import Folders, fsync_dir, publish, write_temp
from hub.sources.boundary.metrics import BoundaryMetrics
from hub.sources.boundary.ports import GatePorts

log = logging.getLogger(__name__)
_TMP = re.compile(r"\.(\d{12})-[^/]*\.tmp")
_UNSAFE = re.compile(r"[^0-9A-Za-z_.-]")
BATCH = 200


def file_name(seq: int, source_id: str, ext: str) -> str:
    return f"{seq:012d}-{_UNSAFE.sub('_', source_id)[:64]}.{ext}"


def render(
    item: dict[str, Any],
    fmt: str,
    unit_name: str | None,
    *,
    county: str = "",
    category: tuple[str, str] = ("", ""),
) -> bytes:
    """The project's JSON (the outbox API's item), or an EIDO document (eidostatus.py)."""
    if fmt == "eido":
        doc = status_document(
            item, county=county, category=category[0], category_name=category[1],
            unit_name=unit_name,
        )  # fmt: skip
        return json.dumps(doc, ensure_ascii=False, indent=1).encode()
    return json.dumps({**item, "unit_name": unit_name}, ensure_ascii=False, indent=1).encode()


@dataclass
class Outbound:
    service: GatePorts
    folders: Folders
    source: str
    fmt: str
    metrics: BoundaryMetrics
    error: str = ""
    _ext: str = field(init=False, default="json")

    def recover(self) -> None:
        """Finish or drop the temporary file a crash left (see the module's docstring)."""
        done = journal.cursor(self.service.store)
        for entry in list(self.folders.outbound.iterdir()):
            m = _TMP.fullmatch(entry.name)
            if not m:
                continue
            if int(m.group(1)) <= done:
                publish(self.folders.outbound, entry.name[1:-4])
            else:
                entry.unlink()
                fsync_dir(self.folders.outbound)

    def _rows(self, after: int, limit: int) -> list[dict[str, Any]]:
        return self.service.store.query(BOUNDARY_QUERY, (after, limit))

    def pump(self) -> int:
        """Write what is due; returns the number of files written. Never raises OSError.

        A batch at a time: every temp file written and fsynced, then the cursor committed
        once to the last row handled, then the renames and one fsync of the folder. The
        crash argument is the module's (temps at or below the cursor are renamed at start,
        the rest removed); one commit per batch instead of one per file keeps the bridge
        from taking the hub's write lock three times for every incident of a burst."""
        written = 0
        store = self.service.store
        if self.error:  # a rename may have failed after its commit: finish it first
            try:
                self.recover()
            except OSError as e:
                self._failed(e)
                return 0
        while True:
            rows = self._rows(journal.cursor(store), BATCH)
            if not rows:
                break
            names: list[str] = []
            last = 0
            failed: OSError | None = None
            for r in rows:
                if r["source"] == self.source:
                    try:
                        names.append(self._write_temp(r))
                    except OSError as e:
                        failed = e
                        break
                last = r["seq"]
            if last:
                journal.set_cursor(store, last, self.service.clock.now())
            try:
                for name in names:
                    os.replace(self.folders.outbound / f".{name}.tmp", self.folders.outbound / name)
                if names:
                    fsync_dir(self.folders.outbound)
            except OSError as e:  # committed: recover() renames them at the next start
                failed = failed or e
            written += len(names)
            if failed is not None:
                self._failed(failed)
                return written
        self.error = ""
        self.metrics.writable.set(1)
        self.backlog()
        return written

    def _write_temp(self, r: dict[str, Any]) -> str:
        """`.NAME.tmp` of one row, fsynced; returns NAME."""
        item = {
            "cursor": r["seq"], "incident_id": r["incident_id"], "source": r["source"],
            "source_id": r["source_id"], "type": r["type"], "at": r["at"],
            "order_id": r["order_id"], "unit": r["unit"], "detail": json.loads(r["detail"]),
        }  # fmt: skip
        unit = self.service.registry.units.get(r["unit"] or "")
        name = file_name(r["seq"], r["source_id"], "json")
        data = render(
            item, self.fmt, unit.name_zh if unit else None,
            county=self.service.registry.county_id, category=self._category(r["incident_id"]),
        )  # fmt: skip
        write_temp(self.folders.outbound, name, data)
        return name

    def _category(self, incident_id: str) -> tuple[str, str]:
        """(code, Chinese name) of the incident's category, for the EIDO format only."""
        if self.fmt != "eido":
            return ("", "")
        row = self.service.store.one("SELECT category FROM incidents WHERE id=?", (incident_id,))
        code = str(row["category"]) if row else ""
        cat = self.service.registry.categories.get(code)
        return (code, cat.name_zh if cat else code)

    def _failed(self, e: OSError) -> None:
        if not self.error:
            log.error("outbound/ cannot take files (%s): keeping the changes, retrying", e)
        self.error = f"{e.strerror or e}"
        self.metrics.writable.set(0)
        self.backlog()

    def backlog(self) -> tuple[int, float]:
        """(changes not yet written, age in seconds of the oldest) for metrics and console."""
        rows = [
            r for r in self._rows(journal.cursor(self.service.store), 10000)
            if r["source"] == self.source
        ]  # fmt: skip
        age = 0.0
        if rows:
            oldest = parse_ts(rows[0]["at"])
            if oldest is not None:
                age = max(0.0, (self.service.clock.now() - oldest).total_seconds())
        self.metrics.backlog.set(len(rows))
        self.metrics.age.set(age)
        return len(rows), age
