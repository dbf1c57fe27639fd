"""Rollouts: a release offered stage by stage, as an admin advances it (docs/updates.md).

Stages: `canary` (units the admin names), then `percent` (a stable share of the fleet,
the same units whatever the page's order, growing with each advance), then `all`. One
rollout is active at a time. A unit counts as updated when its health reports the version;
(and no longer on trial: READY and connected); a unit whose health reports it gave the
version up (`update_failed`) halts the rollout,
and the console shows which unit and why. Each stage's units are recorded here first and
offered after (dispatch queues the signed commands): a crash between the two leaves targets
not yet offered, which the next `sync` offers.
"""

from __future__ import annotations

import hashlib
import json
import logging
import math
import threading
from collections.abc import Callable
from datetime import datetime, timedelta
from typing import Any

from hub.db.store import transaction
from hub.db.times import parse_ts, ts
from hub.errors import Conflict, NotFound
from hub.fleet.releases import ReleaseStore
from wire.clock import Clock
from wire.kinds import UpdateOffer

log = logging.getLogger(__name__)

Send = Callable[[list[str], UpdateOffer, str], dict[str, str]]
"""Queue the `update` command to these units (Desk.offer_update), by this person."""

STALE_FAILURE = timedelta(minutes=5)
"""A failure dated this long before the unit's offer belongs to an older attempt (a
terminal's clock may run a little behind the hub's)."""


def share(version: str, unit: str) -> str:
    """The order units join a `percent` stage in: stable for a release, mixed across units."""
    return hashlib.sha256(f"{version}/{unit}".encode()).hexdigest()


class Rollouts:
    def __init__(
        self,
        releases: ReleaseStore,
        clock: Clock,
        units: Callable[[], list[str]],
        send: Send,
        base_url: str,
    ) -> None:
        self.releases = releases
        self.db_path = releases.db_path
        self.clock = clock
        self.units = units
        self.send = send
        self.base_url = base_url.rstrip("/") + "/"
        self._lock = threading.RLock()
        """One step at a time: the fleet loop, console requests and the CLI share this."""

    # ---- reading -----------------------------------------------------------------------------
    def active(self) -> dict[str, Any] | None:
        self.releases.migrate()
        with transaction(self.db_path) as c:
            r = c.execute("SELECT * FROM fleet_rollouts WHERE state='active'").fetchone()
        return dict(r) if r else None

    def recent(self, limit: int = 10) -> list[dict[str, Any]]:
        self.releases.migrate()
        with transaction(self.db_path) as c:
            rows = c.execute(
                "SELECT * FROM fleet_rollouts ORDER BY id DESC LIMIT ?", (limit,)
            ).fetchall()
        return [dict(r) for r in rows]

    def targets(self, rollout_id: int) -> list[dict[str, Any]]:
        with transaction(self.db_path) as c:
            rows = c.execute(
                "SELECT * FROM fleet_targets WHERE rollout_id=? ORDER BY unit", (rollout_id,)
            ).fetchall()
        return [dict(r) for r in rows]

    def offer_for(self, rollout: dict[str, Any]) -> UpdateOffer:
        rel = self.releases.must(rollout["version"])
        return UpdateOffer(
            version=rel["version"],
            url=self.base_url + rel["file"],
            sha256=rel["sha256"],
            size=rel["size"],
            allow_downgrade=bool(rollout["allow_downgrade"]),
        )

    # ---- an admin's steps --------------------------------------------------------------------
    def start(
        self, version: str, canary: list[str], *, by: str, allow_downgrade: bool = False
    ) -> int:
        """A new rollout whose first stage is the `canary` units."""
        self.releases.must(version)
        known = set(self.units())
        unknown = sorted(set(canary) - known)
        if not canary or unknown:
            raise NotFound(
                "canary units must be known units: %(units)s", units=unknown or "none given"
            )
        with self._lock:
            return self._start(version, canary, by, allow_downgrade)

    def _start(self, version: str, canary: list[str], by: str, allow_downgrade: bool) -> int:
        if self.active() is not None:
            raise Conflict("a rollout is already under way: halt it or let it finish first")
        now = ts(self.clock.now())
        with transaction(self.db_path) as c:
            cur = c.execute(
                "INSERT INTO fleet_rollouts (version, stage, percent, state, allow_downgrade,"
                " started_at, started_by, updated_at)"
                " VALUES (?, 'canary', 0, 'active', ?, ?, ?, ?)",
                (version, int(allow_downgrade), now, by, now),
            )
            rollout_id = int(cur.lastrowid or 0)
            self._add_targets(c, rollout_id, canary, "canary", now)
        self.offer_pending(by=by)
        log.info("rollout %d of %s started by %s: canary %s", rollout_id, version, by, canary)
        return rollout_id

    def advance(self, *, percent: int | None, by: str) -> list[str]:
        """The next stage: `percent` of the fleet (more than before), or all (None).
        Returns the units newly offered the release."""
        with self._lock:
            return self._advance(percent, by)

    def _advance(self, percent: int | None, by: str) -> list[str]:
        rollout = self.active()
        if rollout is None:
            raise Conflict("no rollout is under way")
        if percent is not None and not (0 < percent < 100 and percent > rollout["percent"]):
            raise Conflict(
                "the next share must be between %(percent)s%% and 100%%",
                percent=rollout["percent"],
            )
        units = sorted(self.units(), key=lambda u: share(rollout["version"], u))
        chosen = units if percent is None else units[: math.ceil(len(units) * percent / 100)]
        stage = "all" if percent is None else "percent"
        now = ts(self.clock.now())
        with transaction(self.db_path) as c:
            c.execute(
                "UPDATE fleet_rollouts SET stage=?, percent=?, updated_at=? WHERE id=?",
                (stage, 100 if percent is None else percent, now, rollout["id"]),
            )
            added = self._add_targets(c, rollout["id"], chosen, stage, now)
        self.offer_pending(by=by)
        return added

    def halt(self, *, by: str, reason: str) -> None:
        with self._lock:
            rollout = self.active()
            if rollout is None:
                raise Conflict("no rollout is under way")
            self._set_state(rollout["id"], "halted", f"{by}: {reason}"[:300])

    # ---- the loop ----------------------------------------------------------------------------
    def offer_pending(self, *, by: str = "fleet") -> int:
        """Offer the release to the active rollout's targets not yet offered."""
        with self._lock:  # the loop and a console request must not both offer a unit
            return self._offer_pending(by)

    def _offer_pending(self, by: str) -> int:
        rollout = self.active()
        if rollout is None:
            return 0
        with transaction(self.db_path) as c:
            pending = [
                r["unit"]
                for r in c.execute(
                    "SELECT unit FROM fleet_targets WHERE rollout_id=? AND offered_at IS NULL",
                    (rollout["id"],),
                )
            ]
        if not pending:
            return 0
        sent = self.send(pending, self.offer_for(rollout), by)
        now = ts(self.clock.now())
        with transaction(self.db_path) as c:
            c.executemany(
                "UPDATE fleet_targets SET offered_at=?, msg_id=? WHERE rollout_id=? AND unit=?",
                [(now, msg_id, rollout["id"], unit) for unit, msg_id in sent.items()],
            )
        return len(sent)

    def sync(self, unit_state: dict[str, dict[str, Any]]) -> dict[str, Any] | None:
        """Read what the units' health says (`unit_state`: unit -> version, update_failed)
        into the active rollout: updated units, a failure that halts it, the end."""
        with self._lock:
            return self._sync(unit_state)

    def _sync(self, unit_state: dict[str, dict[str, Any]]) -> dict[str, Any] | None:
        rollout = self.active()
        if rollout is None:
            return None
        self.offer_pending()
        now = self.clock.now()
        failure: tuple[str, str, str] | None = None  # unit, reason, detail
        with transaction(self.db_path) as c:
            for t in c.execute(
                "SELECT * FROM fleet_targets WHERE rollout_id=? AND offered_at IS NOT NULL"
                " AND updated_at IS NULL AND failed_at IS NULL",
                (rollout["id"],),
            ).fetchall():
                state = unit_state.get(t["unit"], {})
                if state.get("version") == rollout["version"] and not state.get("update_trial"):
                    c.execute(
                        "UPDATE fleet_targets SET updated_at=? WHERE rollout_id=? AND unit=?",
                        (ts(now), rollout["id"], t["unit"]),
                    )
                    continue
                failed = _failure(state.get("update_failed"), rollout["version"])
                offered = parse_ts(t["offered_at"])
                if failed and offered and failed[2] >= offered - STALE_FAILURE:
                    c.execute(
                        "UPDATE fleet_targets SET failed_at=?, fail_reason=?, fail_detail=?"
                        " WHERE rollout_id=? AND unit=?",
                        (ts(now), failed[0], failed[1], rollout["id"], t["unit"]),
                    )
                    failure = failure or (t["unit"], failed[0], failed[1])
        if failure is not None:
            unit, reason, detail = failure
            self._set_state(rollout["id"], "halted", f"{unit}: {reason} {detail}".strip()[:300])
            log.error("rollout %d of %s halted: %s %s", rollout["id"], rollout["version"],
                      unit, reason)  # fmt: skip
        elif rollout["stage"] == "all" and self._all_updated(rollout["id"]):
            self._set_state(rollout["id"], "done", None)
        return self.active() or self._get(rollout["id"])

    # ---- helpers -----------------------------------------------------------------------------
    def _all_updated(self, rollout_id: int) -> bool:
        """Every target updated, but for units no longer to update (revoked since their
        offer): the hub sends those nothing, so waiting for them would never end."""
        current = set(self.units())
        return all(t["updated_at"] or t["unit"] not in current for t in self.targets(rollout_id))

    def _add_targets(
        self, c: Any, rollout_id: int, units: list[str], stage: str, now: str
    ) -> list[str]:
        added = []
        for u in dict.fromkeys(units):
            cur = c.execute(
                "INSERT OR IGNORE INTO fleet_targets (rollout_id, unit, stage, added_at)"
                " VALUES (?, ?, ?, ?)",
                (rollout_id, u, stage, now),
            )
            if cur.rowcount:
                added.append(u)
        return added

    def _set_state(self, rollout_id: int, state: str, reason: str | None) -> None:
        with transaction(self.db_path) as c:
            c.execute(
                "UPDATE fleet_rollouts SET state=?, halted_reason=?, updated_at=? WHERE id=?",
                (state, reason, ts(self.clock.now()), rollout_id),
            )

    def _get(self, rollout_id: int) -> dict[str, Any] | None:
        with transaction(self.db_path) as c:
            r = c.execute("SELECT * FROM fleet_rollouts WHERE id=?", (rollout_id,)).fetchone()
        return dict(r) if r else None


def _failure(raw: Any, version: str) -> tuple[str, str, datetime] | None:
    """(reason, detail, at) of a unit's `update_failed` for this version, else None."""
    if not raw:
        return None
    try:
        data = json.loads(raw) if isinstance(raw, str) else raw
    except ValueError:
        return None
    if not isinstance(data, dict) or data.get("version") != version:
        return None
    try:
        at = datetime.fromisoformat(str(data.get("at")))
    except ValueError:
        return None
    if at.tzinfo is None:
        return None
    return str(data.get("reason", "")), str(data.get("detail", "")), at
