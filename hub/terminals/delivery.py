"""Delivery of the outbox to terminals over a bounded window, and receipts for reports.

An order stays in the outbox until its `received` report (`hub.dispatch.order_reports`
marks it done); the
loop re-sends it on a back-off (30 s, 60 s, 120 s ... at most 10 min) and at once when its
unit comes online. Other down messages (cancel, command) are done when the broker
acknowledges them. Never more than `window` messages are handed to paho unacknowledged.

After a connection on which the broker held no session for the hub, every unit gets a
`resync` command (also not stored), so reports the broker lost come back at once.

Receipts are not stored: one lost in a crash only makes the terminal send its report again,
which is a duplicate (deduplicated by id) and receipted then.

Nothing at all goes to a unit whose certificate is revoked (`RevocationWatch`, checked at the
start of every pass): its messages stay in the outbox untouched, so an order to it shows as
not received and escalates, and a terminal enrolled again in its place gets them.
"""

from __future__ import annotations

import logging
import threading
from collections import defaultdict

from hub.dispatch.outbox import Outbox
from hub.metrics import HubMetrics
from hub.terminals.link import MqttLink
from hub.terminals.revocation import RevocationWatch
from wire import codec, topics
from wire import kinds as k
from wire.clock import Clock
from wire.limits import MAX_RECEIPT_IDS
from wire.signing import Signer

log = logging.getLogger(__name__)


class Delivery:
    """Publishes what `Outbox` says is due; signs receipts (never stored) itself."""

    def __init__(
        self,
        outbox: Outbox,
        link: MqttLink,
        *,
        ready: threading.Event,
        signer: Signer,
        county: str,
        clock: Clock,
        metrics: HubMetrics,
        window: int = 100,
        revocations: RevocationWatch | None = None,
        units: tuple[str, ...] = (),
    ) -> None:
        self.outbox = outbox
        self.link = link
        self.ready = ready
        """Set by the writers after a commit that queued something (and by paho's acks)."""
        self.signer = signer
        self.county = county
        self.clock = clock
        self.metrics = metrics
        self.window = window
        self.revocations = revocations
        self._lock = threading.Lock()
        self._inflight: dict[int, tuple[int, str]] = {}  # paho mid -> (outbox seq, kind)
        self._acked: list[int] = []  # outbox seqs of non-order messages the broker has
        self._early: set[int] = set()
        self._publishing = False  # an ack for an unknown mid counts only during a publish
        self._receipts: dict[str, list[str]] = defaultdict(list)
        self._clears: set[str] = set()  # topics whose retained message is to be removed
        self.units = units
        """Every unit of the county: each gets a `resync` after the broker lost our session."""
        self._resync = False
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None
        link.on_published = self._published
        link.on_connected = self._reconnected
        link.on_subscribed = self._subscribed

    # ---- called from other threads -------------------------------------------------------
    def receipt(self, unit: str, msg_id: str) -> None:
        with self._lock:
            self._receipts[unit].append(msg_id)
        self.ready.set()

    def clear_retained(self, topic: str) -> None:
        """Have the broker drop the retained message on `topic` (an empty retained one
        replaces it), sent from this loop like receipts, outside the outbox window."""
        with self._lock:
            self._clears.add(topic)
        self.ready.set()

    def _published(self, mid: int) -> None:
        # paho calls this holding its own message lock: take only ours, briefly, and never
        # call paho while holding ours (publish() below runs outside it).
        with self._lock:
            entry = self._inflight.pop(mid, None)
            if entry is None:
                if self._publishing:
                    self._early.add(mid)  # acknowledged before pump() registered it
            elif entry[1] != "order":
                self._acked.append(entry[0])
            self.metrics.inflight.set(len(self._inflight))
        self.ready.set()

    def _reconnected(self) -> None:
        with self._lock:  # paho re-sends its own copies; our window starts afresh
            self._inflight.clear()
            self._early.clear()
        self.ready.set()

    def _subscribed(self, session_present: bool) -> None:
        if session_present:
            return
        # The broker lost our session (a crash, its queue gone): whatever the terminals
        # published before our subscriptions stood reached no one, and each would wait for
        # its resend timer (30 s and more). A `resync` starts their round now.
        log.info("the broker held no session for the hub: resync to %d unit(s)", len(self.units))
        with self._lock:
            self._resync = True
        self.ready.set()

    # ---- the loop ------------------------------------------------------------------------
    def pump(self) -> int:
        """One pass: mark broker-acked messages done, send receipts and due messages."""
        refused = self.revocations.refresh() if self.revocations else frozenset()
        now = self.clock.now()
        with self._lock:
            acked, self._acked = self._acked, []
        if acked:
            self.outbox.acknowledged(acked, now)
        if not self.link.connected.is_set():
            return 0
        self._send_receipts(refused)
        with self._lock:
            free = self.window - len(self._inflight)
        if free <= 0:
            return 0
        rows = self.outbox.due(now, refused, free)
        # Publish outside any database transaction (paho takes its own locks); a crash
        # before the update below only means a duplicate, which terminals drop by id.
        for r in rows:
            with self._lock:
                self._publishing = True
            try:
                mid = self.link.publish(topics.down(self.county, r["unit"]), r["payload"])
            except Exception:
                # A flag left set would file every later unknown broker ack as "early".
                with self._lock:
                    self._publishing = False
                raise
            with self._lock:
                self._publishing = False  # in the same section as the check below: no gap
                if mid in self._early:
                    self._early.discard(mid)
                    if r["kind"] != "order":
                        self._acked.append(r["seq"])
                else:
                    self._inflight[mid] = (r["seq"], r["kind"])
            self.metrics.published.labels(r["kind"]).inc()
        if rows:
            self.outbox.sent(rows, now)
        sent = len(rows)
        with self._lock:
            self.metrics.inflight.set(len(self._inflight))
        return sent

    def _send_receipts(self, refused: frozenset[str]) -> None:
        with self._lock:
            pending, self._receipts = self._receipts, defaultdict(list)
            clears, self._clears = self._clears, set()
        for topic in sorted(clears):
            log.info("clearing the retained message on %s", topic)
            self.link.publish(topic, b"", retain=True)
            self.metrics.published.labels("clear_retained").inc()
        with self._lock:
            resync, self._resync = self._resync, False
        if resync:
            self._send_resyncs(refused)
        for unit, ids in pending.items():
            if unit in refused:  # its reports are refused from now on, so it sends them again
                log.info("%d receipt(s) for revoked unit %s not sent", len(ids), unit)
                continue
            for i in range(0, len(ids), MAX_RECEIPT_IDS):
                body = k.ReceiptBody(ids=ids[i : i + MAX_RECEIPT_IDS])
                _, payload = codec.encode("receipt", unit, body, self.signer, at=self.clock.now())
                self.link.publish(topics.down(self.county, unit), payload)
                self.metrics.published.labels("receipt").inc()

    def _send_resyncs(self, refused: frozenset[str]) -> None:
        """A signed `resync` command to every unit, not stored (like receipts): one lost
        only leaves that terminal on its own resend timer."""
        body = k.CommandBody(command="resync")
        for unit in self.units:
            if unit in refused:
                continue
            _, payload = codec.encode("command", unit, body, self.signer, at=self.clock.now())
            self.link.publish(topics.down(self.county, unit), payload)
            self.metrics.published.labels("resync").inc()

    def start(self) -> None:
        self._stop.clear()
        self._thread = threading.Thread(target=self._loop, name="hub-delivery", daemon=True)
        self._thread.start()

    def stop(self) -> None:
        self._stop.set()
        self.ready.set()
        if self._thread:
            self._thread.join(10)

    def _loop(self) -> None:
        while not self._stop.is_set():
            # Clear before the pass, not after the wait: a wake-up that arrives during the
            # pass is then never lost.
            self.ready.clear()
            try:
                sent = self.pump()
            except Exception:
                log.exception("delivery pass failed")
                sent = 0
            with self._lock:
                full = len(self._inflight) >= self.window
            if sent and not full:
                continue  # more may be due right away
            self.ready.wait(1.0)
