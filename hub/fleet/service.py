"""`Fleet`: the releases, the rollouts, and the loop that reads the units' health into the
active rollout every few seconds (a failure halts it without anyone looking at a page).
hub/runtime.py builds one; the console and the `/releases/` download use it."""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable, Collection
from pathlib import Path
from typing import Any

from hub.db.store import transaction
from hub.fleet.releases import ReleaseStore
from hub.fleet.rollouts import Rollouts, Send
from hub.registry import Registry
from wire.clock import Clock

log = logging.getLogger(__name__)


def terminal_units(registry: Registry, revoked: Collection[str] = ()) -> list[str]:
    """Units that have a terminal to update (the registry's `terminal` flag), less those
    whose certificate is revoked: the hub sends those nothing, so a rollout that waited for
    them would never end."""
    return sorted(u for u, unit in registry.units.items() if unit.terminal and u not in revoked)


class Fleet:
    def __init__(
        self,
        db_path: Path,
        releases_dir: Path,
        release_key: Path,
        registry: Registry,
        clock: Clock,
        send: Send,
        base_url: str,
        *,
        interval_s: float = 10.0,
        revoked: Callable[[], Collection[str]] = frozenset,
    ) -> None:
        self.db_path = db_path
        self.registry = registry
        self.releases = ReleaseStore(db_path, releases_dir, release_key)
        self.rollouts = Rollouts(
            self.releases, clock, lambda: terminal_units(registry, revoked()), send, base_url
        )
        self.interval_s = interval_s
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None
        self.on_change: Callable[[], None] = lambda: None

    def set_download_url(self, base_url: str) -> None:
        """Where terminals fetch bundles, once the hub knows its own address."""
        self.rollouts.base_url = base_url.rstrip("/") + "/"

    def unit_state(self) -> dict[str, dict[str, Any]]:
        """What each unit's health last said (the dispatch projection, read only)."""
        with transaction(self.db_path) as c:
            rows = c.execute(
                "SELECT unit, online, last_seen, version, update_failed, update_trial"
                " FROM unit_state"
            ).fetchall()
        return {r["unit"]: dict(r) for r in rows}

    def sync(self) -> dict[str, Any] | None:
        return self.rollouts.sync(self.unit_state())

    def versions(self) -> list[tuple[str, int]]:
        """Versions across the fleet and how many units run each ('' = never reported)."""
        state = self.unit_state()
        counts: dict[str, int] = {}
        for u in terminal_units(self.registry):
            v = str(state.get(u, {}).get("version") or "")
            counts[v] = counts.get(v, 0) + 1
        return sorted(counts.items(), key=lambda kv: (-kv[1], kv[0]))

    # ---- the loop ----------------------------------------------------------------------------
    def start(self) -> None:
        self.releases.migrate()
        self._stop.clear()
        self._thread = threading.Thread(target=self._loop, name="fleet", daemon=True)
        self._thread.start()

    def stop(self) -> None:
        self._stop.set()
        if self._thread is not None:
            self._thread.join(5)

    def _loop(self) -> None:
        while not self._stop.wait(self.interval_s):
            try:
                self.sync()
            except Exception:  # the hub's dispatch must never depend on this loop
                log.exception("fleet sync failed")
