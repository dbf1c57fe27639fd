"""Wake the bridge when a file lands in inbound/: inotify, plus a rescan every few seconds.

inotify_simple was chosen over watchdog: the hub runs on Linux, and a ctypes wrapper of
under a hundred lines whose `read(timeout=...)` is the whole loop lets the rescan timer and
the stop flag live in one place, with no observer threads of a framework. inotify is only a
wake-up: every pass lists the folder, so a network mount that sends no events (as gates'
often do), an overflow, or a file that arrived while the hub was down is still taken on the
next rescan. A file named by CLOSE_WRITE or MOVED_TO is complete and taken at once; one
found only by a rescan is taken when it has not changed for `settle_s`.
"""

from __future__ import annotations

import logging
import os
import threading
import time
from collections.abc import Callable
from pathlib import Path

from inotify_simple import INotify, flags

from hub.sources.boundary.folders import is_temporary

log = logging.getLogger(__name__)


class Watcher:
    def __init__(
        self,
        folder: Path,
        on_pass: Callable[[set[str]], object],
        *,
        rescan_s: float = 2.0,
    ) -> None:
        self.folder = folder
        self.on_pass = on_pass
        self.rescan_s = rescan_s
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None
        self._inotify: INotify | None = None

    def start(self) -> None:
        try:
            self._inotify = INotify()
            self._inotify.add_watch(self.folder, flags.CLOSE_WRITE | flags.MOVED_TO)
        except OSError as e:
            log.warning("inotify unavailable on %s (%s): rescanning only", self.folder, e)
            self._inotify = None
        self._thread = threading.Thread(target=self._run, name="boundary-watch", daemon=True)
        self._thread.start()

    def stop(self) -> None:
        self._stop.set()
        if self._thread:
            self._thread.join(10)
        if self._inotify is not None:
            self._inotify.close()

    def _run(self) -> None:
        next_scan = 0.0
        while not self._stop.is_set():
            ready: set[str] = set()
            wait = max(0.0, min(0.5, next_scan - time.monotonic()))
            if self._inotify is not None:
                try:
                    events = self._inotify.read(timeout=int(wait * 1000))
                except OSError:
                    events = []
                # A gate writes `.NAME.tmp` and renames it: the CLOSE_WRITE of the temporary
                # name wakes nobody (a pass per temp file listed the whole folder each time
                # and held a 1,000-file burst to a fifth of its speed); the rename does.
                ready = {
                    e.name
                    for e in events
                    if e.name and os.sep not in e.name and not is_temporary(e.name)
                }
            else:
                self._stop.wait(wait)
            if ready or time.monotonic() >= next_scan:
                try:
                    self.on_pass(ready)
                except Exception:  # the watcher must outlive any one pass
                    log.exception("boundary pass failed; next pass in %.1f s", self.rescan_s)
                if not ready:
                    next_scan = time.monotonic() + self.rescan_s
