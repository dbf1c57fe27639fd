"""`Bridge`: the gate folders run by `liandong-hub serve` when `[boundary]` is configured.

One watcher thread takes inbound files in arrival order (mtime, then name), one at a time;
one outbound thread writes status files. The functions the console page (边界交换) needs
are here: `recent_files()`, `outbound_status()`, `reprocess(name)`.
"""

from __future__ import annotations

import logging
import os
import threading
import time
from typing import Any

from hub.errors import NotFound
from hub.sources.boundary import journal
from hub.sources.boundary.api import use_mapping
from hub.sources.boundary.config import BoundaryConfig
from hub.sources.boundary.folders import free_name, fsync_dir, is_temporary, move
from hub.sources.boundary.inbound import Inbound
from hub.sources.boundary.mapping import load_mapping
from hub.sources.boundary.metrics import boundary_metrics
from hub.sources.boundary.outbound import Outbound
from hub.sources.boundary.ports import GatePorts
from hub.sources.boundary.watch import Watcher

log = logging.getLogger(__name__)

FLUSH_EVERY = 100
"""Files taken between two settlings of folders and history in a long pass (inbound.py)."""

APP_KEY = "liandong.boundary"
"""Where `liandong-hub serve` leaves the running `Bridge` on the Flask app for the console
page (边界交换); absent when hub.toml has no `[boundary]`."""


class Bridge:
    def __init__(self, service: GatePorts, config: BoundaryConfig) -> None:
        self.service = service
        self.config = config
        self.folders = config.folders
        self.mapping = load_mapping(config.mapping, service.registry)
        use_mapping(service, self.mapping)  # POST /api/v1/incidents reads CAP alike
        self.metrics = boundary_metrics(service.metrics.registry)
        self.inbound = Inbound(
            service, self.mapping, self.folders, config.source, config.limit_bytes, self.metrics
        )
        self.outbound = Outbound(
            service, self.folders, config.source, config.outbound_format, self.metrics
        )
        self.watcher = Watcher(self.folders.inbound, self.take_all, rescan_s=config.rescan_s)
        self._stop = threading.Event()
        self._out: threading.Thread | None = None
        self._lock = threading.Lock()  # one pass at a time (watcher, tests, reprocess)

    def prepare(self) -> None:
        """Folders made, tables migrated, a crashed outbound write finished: the state
        `start` needs, without threads (tests and `boundary check` use it alone)."""
        self.folders.create()
        journal.migrate(self.service.store)
        self.outbound.recover()

    def start(self) -> None:
        self.prepare()
        self.take_all(set())  # whatever arrived while the hub was down
        self.watcher.start()
        self._out = threading.Thread(target=self._run_out, name="boundary-out", daemon=True)
        self._out.start()
        log.info("110 gate: watching %s", self.folders.inbound)

    def stop(self) -> None:
        self._stop.set()
        self.watcher.stop()
        if self._out:
            self._out.join(10)

    # ---- inbound -------------------------------------------------------------------------
    def pending(self, ready: set[str] | frozenset[str] = frozenset()) -> list[str]:
        """Inbound names to take now, oldest first; temporary names wait, and so does
        everything from the first unsettled file on (found by rescan, still changing).

        Stopping at that file rather than skipping it keeps the gate's order: an update
        dropped while the hub was down and still unsettled at its start must not be
        overtaken by the cancel of the same 110 number that inotify names a moment later
        (the kill -9 drill found exactly that). The wait is bounded: a file that stops
        changing settles, and a half-written one is then refused as truncated."""
        now = time.time()
        found = []
        with os.scandir(self.folders.inbound) as it:
            for entry in it:
                if is_temporary(entry.name):
                    continue
                try:
                    st = entry.stat(follow_symlinks=False)
                except OSError:
                    continue
                settled = entry.name in ready or now - st.st_mtime >= self.config.settle_s
                found.append((st.st_mtime_ns, entry.name, settled))
        taken = []
        for _, name, settled in sorted(found):
            if not settled:
                break
            taken.append(name)
        return taken

    def take_all(self, ready: set[str]) -> dict[str, str]:
        outcomes: dict[str, str] = {}
        with self._lock:
            try:
                for i, name in enumerate(self.pending(ready), 1):
                    if self._stop.is_set():
                        break
                    outcomes[name] = self.inbound.take(name)
                    if i % FLUSH_EVERY == 0:
                        self.inbound.flush()
            finally:
                self.inbound.flush()
        return outcomes

    def reprocess(self, name: str) -> str:
        """Put rejected/NAME back into inbound/ (after the mapping is fixed); the caller
        audits who asked. Returns the name it got in inbound/."""
        if os.sep in name or name.startswith(".") or name.endswith(".why.json"):
            raise NotFound("no rejected file %(file)s", file=name)
        rejected = self.folders.rejected
        if not (rejected / name).is_file():
            raise NotFound("no rejected file %(file)s", file=name)
        target = free_name(self.folders.inbound, name)
        move(rejected, name, self.folders.inbound, target)
        (rejected / f"{name}.why.json").unlink(missing_ok=True)
        fsync_dir(rejected)
        return target

    def recent_files(self, limit: int = 100) -> list[dict[str, Any]]:
        """The journal's last files, each marked `can_reprocess` while its file is still in
        rejected/ (not yet put back, not removed by hand)."""
        rows = journal.recent(self.service.store, limit)
        for r in rows:
            stored = str(r["stored_as"])
            name = stored.removeprefix("rejected/")
            r["can_reprocess"] = (
                r["outcome"] == "rejected"
                and stored.startswith("rejected/")
                and (self.folders.rejected / name).is_file()
            )
            r["rejected_name"] = name if r["can_reprocess"] else None
        return rows

    def waiting(self) -> int:
        """Files in inbound/ not yet taken (temporary names left out)."""
        try:
            return sum(1 for p in os.scandir(self.folders.inbound) if not is_temporary(p.name))
        except OSError:
            return 0

    # ---- outbound ------------------------------------------------------------------------
    def outbound_status(self) -> dict[str, Any]:
        backlog, age = self.outbound.backlog()
        return {"backlog": backlog, "oldest_age_s": age, "ok": not self.outbound.error,
                "error": self.outbound.error}  # fmt: skip

    def _run_out(self) -> None:
        delay = 0.2
        while not self._stop.wait(delay):
            try:
                self.outbound.pump()
            except Exception:
                log.exception("outbound pass failed")
            delay = 0.2 if not self.outbound.error else min(5.0, delay * 2)
