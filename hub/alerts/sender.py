"""The SMS sender: takes due rows of the notification outbox and sends them, one by one.

Each row: first whether it still matters (a row whose deadline the unit has met since,
or whose order was cancelled, reassigned or closed, is `void`, never sent: a modem that
was down for an hour must not send stale alarms), then the phone's rate (at most
`per_phone` messages in `per_phone_window_s`; a row past it waits for the window, it is
not dropped), then the attempt is counted and its back-off set in the database, then the
channel is asked, and only its OK marks the row `sent`. A failure keeps the row pending
until `max_attempts`, each wait double the last (`retry_first_s` up to `retry_max_s`), then
`failed`: the incident page says so either way.

The honest limit: a kill -9 after the modem's (or platform's) OK and before the `sent`
mark commits sends that message again after the back-off. The window is one SQLite
commit; the webhook carries the message id so a platform can drop the repeat, a modem
cannot.

Time is the injected clock's; the thread sleeps until the next due row or `max_sleep_s`
real seconds, or until `enqueue` signals new rows.
"""

from __future__ import annotations

import logging
import threading
from datetime import datetime, timedelta

from hub.alerts.channel import Channel, ChannelDown, SendError
from hub.alerts.modem import Modem
from hub.alerts.outbox import Notification, Notifications
from hub.alerts.settings import NotifySettings
from hub.alerts.webhook import Webhook
from hub.metrics import HubMetrics
from wire.clock import Clock

log = logging.getLogger(__name__)


def channel_for(settings: NotifySettings, clock: Clock) -> Channel:
    """The channel `[notify] channel` names: the modem, else the county platform."""
    if settings.modem is not None:
        return Modem(settings.modem)
    if settings.webhook is not None:
        return Webhook(settings.webhook, clock.now)
    raise ValueError("[notify] names no channel")  # load_notify makes one of them


class Sender:
    def __init__(
        self,
        outbox: Notifications,
        channel: Channel,
        clock: Clock,
        metrics: HubMetrics,
        settings: NotifySettings,
        *,
        max_sleep_s: float = 1.0,
    ) -> None:
        self.outbox = outbox
        self.channel = channel
        self.clock = clock
        self.metrics = metrics
        self.settings = settings
        self.max_sleep_s = max_sleep_s
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None
        self.paused_until: datetime | None = None
        """Set when the channel is down: no row is tried before then."""
        metrics.notifications_pending.set_function(lambda: float(outbox.count("pending")))

    def backoff(self, attempt: int) -> timedelta:
        """The wait after attempt number `attempt` (1, 2, ...) before the next one."""
        s = self.settings
        return timedelta(seconds=min(s.retry_first_s * 2 ** (attempt - 1), s.retry_max_s))

    def step(self) -> float:
        """Send what is due now; returns the clock seconds until the next row is due."""
        now = self.clock.now()
        if self.paused_until is not None and now < self.paused_until:
            return min(self.max_sleep_s, (self.paused_until - now).total_seconds())
        self.paused_until = None
        for row in self.outbox.due(now):
            if self._stop.is_set() or not self._one(row):
                break
        nxt = self.outbox.next_due()
        if nxt is None:
            return self.max_sleep_s
        return max(0.0, min(self.max_sleep_s, (nxt - self.clock.now()).total_seconds()))

    def _one(self, row: Notification) -> bool:
        """Send one row; False when the channel is down (the pass ends, the sender pauses
        for the row's back-off: the other rows are not tried, nor counted as attempts)."""
        s = self.settings
        now = self.clock.now()
        why = self.outbox.overtaken(row)
        if why:
            self.outbox.mark_void(row.id, why)
            self.metrics.notifications.labels("void").inc()
            log.info("SMS %d (%s, %s) not sent: %s", row.id, row.kind, row.unit, why)
            return True
        recent = self.outbox.sent_since(row.phone, now - timedelta(seconds=s.per_phone_window_s))
        if len(recent) >= s.per_phone:
            until = recent[-s.per_phone] + timedelta(seconds=s.per_phone_window_s)
            self.outbox.defer(row.id, until)
            self.metrics.notifications.labels("deferred").inc()
            log.info("SMS %d to %s waits until %s (rate)", row.id, _masked(row.phone), until)
            return True
        attempt = self.outbox.begin_attempt(row.id, now + self.backoff(row.attempts + 1))
        try:
            ref = self.channel.send(
                row.phone, row.body, key=f"{row.key}/{row.phone}", reference=row.id % 256
            )
        except SendError as e:
            give_up = attempt >= s.max_attempts
            if isinstance(e, ChannelDown):
                self.paused_until = now + self.backoff(attempt)
            self.outbox.mark_error(row.id, str(e), give_up=give_up)
            self.metrics.notifications.labels("failed" if give_up else "retry").inc()
            log.warning(
                "SMS %d (%s, %s) to %s, attempt %d: %s%s",
                row.id,
                row.kind,
                row.unit,
                _masked(row.phone),
                attempt,
                e,
                " - giving up" if give_up else "",
            )
            return not isinstance(e, ChannelDown)
        self.outbox.mark_sent(row.id, self.clock.now(), ref)
        self.metrics.notifications.labels("sent").inc()
        log.info("SMS %d (%s, %s) sent to %s", row.id, row.kind, row.unit, _masked(row.phone))
        return True

    # ---- thread ------------------------------------------------------------------------
    def start(self) -> None:
        self._stop.clear()
        self._thread = threading.Thread(target=self._loop, name="hub-sms", daemon=True)
        self._thread.start()

    def stop(self) -> None:
        self._stop.set()
        self.outbox.ready.set()
        if self._thread:
            self._thread.join(10)
        self.channel.close()

    def _loop(self) -> None:
        while not self._stop.is_set():
            self.outbox.ready.clear()  # before the pass: no signal is lost
            try:
                wait = self.step()
            except Exception:  # a broken row or modem must not end the sender
                log.exception("SMS sender pass failed")
                wait = self.max_sleep_s
            self.outbox.ready.wait(wait)


def _masked(phone: str) -> str:
    """Logs name a number by its last four digits."""
    return "*" * max(0, len(phone) - 4) + phone[-4:]
