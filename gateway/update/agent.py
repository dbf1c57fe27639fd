"""`Updates`: the terminal's side of a rollout (docs/updates.md).

- The hub's `update` command only records the offer (durably, before the command counts as
  seen); nothing is fetched while an order is alarming or waiting for 签收: the duty room's
  alarm comes first, an update waits until the room is quiet.
- When idle, the installer fetches, verifies and installs into the other slot and switches;
  then the terminal restarts (systemd starts the new slot).
- A start on trial confirms once the terminal is READY and connected to the broker; if it
  is not within the limit, it asks for a restart, and the boot check (slots.py) switches
  back. Either way the failure is kept in `failed.json` and sent in every health report.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable
from datetime import datetime
from pathlib import Path

import msgspec

from gateway.state.orders import OrderBook
from gateway.update.installer import Installer, InstallError
from gateway.update.slots import SlotError, SlotRoot, remove, write_json
from wire.kinds import UpdateFailure, UpdateOffer

log = logging.getLogger(__name__)

OFFER = "offer.json"
MAX_TRIES = 10
"""Download attempts (one per poll) before a release counts as not installable."""


class Updates:
    def __init__(
        self,
        slots: SlotRoot,
        installer: Installer,
        orders: OrderBook,
        state_dir: Path,
        *,
        version: str,
        ready: Callable[[], bool],
        connected: Callable[[], bool],
        restart: Callable[[str], None],
        monotonic: Callable[[], float],
        poll_s: float = 5.0,
    ) -> None:
        self.slots = slots
        self.installer = installer
        self.orders = orders
        self.offer_path = state_dir / "update" / OFFER
        self.version = version
        self.ready = ready
        self.connected = connected
        self.restart = restart
        """Stop the terminal so systemd starts `current` again (tests: a callable)."""
        self.monotonic = monotonic
        self.poll_s = poll_s
        self.started = monotonic()
        self._wake = threading.Event()
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None
        self.restarting = False
        self.on_confirmed: Callable[[], None] = lambda: None
        """Send fresh health at once (the terminal's retained state) after confirming."""
        self._tries = 0
        self._prepared: tuple[UpdateOffer, str] | None = None
        """An offer installed in the inactive slot but not switched to (the room got busy)."""

    # ---- the hub's offer ---------------------------------------------------------------------
    def offer(self, offer: UpdateOffer) -> None:
        """Keep the offer (a newer one replaces it); the work waits for an idle room."""
        self.offer_path.parent.mkdir(parents=True, exist_ok=True)
        write_json(self.offer_path, msgspec.to_builtins(offer))
        failed = self.slots.failed()
        if failed is not None and failed.get("version") == offer.version:
            self.slots.clear_failure()  # offered again: a fresh attempt, the old one is history
        log.info("release %s offered; installs when no order is alarming or unacknowledged",
                 offer.version)  # fmt: skip
        self._wake.set()

    def pending(self) -> UpdateOffer | None:
        try:
            return msgspec.json.decode(self.offer_path.read_bytes(), type=UpdateOffer)
        except FileNotFoundError:
            return None
        except (msgspec.DecodeError, OSError) as e:
            log.error("dropping an unreadable update offer: %s", e)
            remove(self.offer_path)
            return None

    def on_trial(self) -> bool:
        """This start runs a release on trial (health says so until it is confirmed)."""
        try:
            return self.slots.in_trial() is not None
        except SlotError:
            return False

    def idle(self) -> bool:
        """No order alarming, none waiting for 签收."""
        return not self.orders.alarming() and not self.orders.unacknowledged()

    # ---- one round ---------------------------------------------------------------------------
    def step(self) -> str:
        """Confirm a trial, or install a pending offer when idle; returns what it did."""
        if self.restarting:
            return "restarting"
        trial = self.slots.in_trial()
        if trial is not None:
            if self.ready() and self.connected():
                self.slots.confirm()
                self.on_confirmed()  # the hub counts the unit updated from this health
                return f"confirmed {trial.version}"
            if self.monotonic() - self.started > self.installer.settings.confirm_within_s:
                log.error("release %s not ready and connected in time: restarting to roll back",
                          trial.version)  # fmt: skip
                self.slots.give_up(trial, "not_ready", "时限内未连上服务器 not connected in time",
                                   self.installer.now())  # fmt: skip
                self._restart("rolled back")
                return "rolled back"
            return f"waiting to confirm {trial.version}"
        offer = self.pending()
        if offer is None:
            return "nothing"
        if offer.version == self.version:  # a rollout that reached a unit already on it
            remove(self.offer_path)
            log.info("release %s offered, and already running: nothing to do", offer.version)
            return "already running"
        if not self.idle():
            return "busy"
        try:
            if self._prepared != (offer, self.slots.inactive()):
                self._prepared = (offer, self.installer.prepare(offer, self.version))
            if not self.idle():  # an order came in while installing: switch later
                return "busy"
            self.installer.switch(offer, self._prepared[1], self.version)
        except (InstallError, SlotError, OSError) as e:
            if isinstance(e, InstallError) and e.retry and self._tries < MAX_TRIES:
                self._tries += 1
                log.warning("release %s: %s; try %d of %d later", offer.version, e,
                            self._tries, MAX_TRIES)  # fmt: skip
                return "retry"
            self._tries = 0
            reason = e.reason if isinstance(e, InstallError) else "install_failed"
            self.slots.record_failure(offer.version, reason, str(e), self.installer.now())
            remove(self.offer_path)
            self._prepared = None
            log.error("release %s not installed: %s", offer.version, e)
            return f"failed: {reason}"
        remove(self.offer_path)
        self._tries = 0
        self._restart(f"switched to {offer.version}")
        return f"switched to {offer.version}"

    def _restart(self, why: str) -> None:
        self.restarting = True
        self.restart(why)

    def failure(self) -> UpdateFailure | None:
        """The last release given up, for health (until a newer one is confirmed)."""
        data = self.slots.failed()
        if data is None:
            return None
        try:
            return msgspec.convert(
                {**data, "at": datetime.fromisoformat(str(data.get("at")))}, UpdateFailure
            )
        except (msgspec.ValidationError, ValueError, TypeError) as e:
            log.error("unreadable failure record: %s", e)
            return None

    # ---- thread ------------------------------------------------------------------------------
    def start(self) -> None:
        self._stop.clear()
        self._thread = threading.Thread(target=self._loop, name="updates", daemon=True)
        self._thread.start()

    def stop(self) -> None:
        self._stop.set()
        self._wake.set()
        if self._thread is not None:
            self._thread.join(timeout=5)

    def _loop(self) -> None:
        while not self._stop.is_set():
            try:
                self.step()
            except Exception:  # keep the loop: the alarm path must never depend on it
                log.exception("update step failed")
            self._wake.wait(self.poll_s)
            self._wake.clear()
