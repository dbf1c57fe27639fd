"""Prometheus metrics of one terminal, on its own registry (several terminals can share a
process in the demo). Counters are kept as things happen; gauges are read at scrape time
through the callables the terminal hands in (the same health the kiosk and the hub get),
so they can never drift from what the kiosk shows, and this module needs no terminal.

prometheus_client (1 MiB with the HTTP server and gzip it imports, docs/gateway.md
Figures) is imported at the first scrape of the kiosk's `/metrics`, not at start: until
then the counters are plain numbers under a lock, handed to the registry as counter
families (with each series' creation time, as prometheus_client's own counters give).
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable, Iterator
from typing import TYPE_CHECKING, Any

from wire.kinds import HealthBody

if TYPE_CHECKING:
    from prometheus_client import CollectorRegistry
    from prometheus_client.core import CounterMetricFamily, GaugeMetricFamily

log = logging.getLogger(__name__)

_PRINTER_STATES = ("ok", "paper_out", "paper_low", "offline", "unknown")


class Count:
    """A counter, by label values (none for an unlabelled one): `labels(...).inc()` and
    `inc()` as on a prometheus_client Counter, so callers read the same."""

    def __init__(self, name: str, doc: str, labels: tuple[str, ...] = ()) -> None:
        self.name, self.doc, self.label_names = name, doc, labels
        self._lock = threading.Lock()
        self._values: dict[tuple[str, ...], list[float]] = {}  # labels -> [value, created]
        if not labels:
            self._values[()] = [0.0, time.time()]

    def labels(self, **values: str) -> _Child:
        return _Child(self, tuple(str(values[n]) for n in self.label_names))

    def inc(self, amount: float = 1.0) -> None:
        self._add((), amount)

    def _add(self, key: tuple[str, ...], amount: float) -> None:
        with self._lock:
            self._values.setdefault(key, [0.0, time.time()])[0] += amount

    def value(self, **values: str) -> float:
        key = tuple(str(values[n]) for n in self.label_names)
        with self._lock:
            return self._values.get(key, [0.0])[0]

    def values(self) -> dict[tuple[str, ...], float]:
        with self._lock:
            return {k: v[0] for k, v in self._values.items()}

    def family(self) -> CounterMetricFamily:
        from prometheus_client.core import CounterMetricFamily

        family = CounterMetricFamily(self.name, self.doc, labels=self.label_names)
        with self._lock:
            for key, (value, created) in self._values.items():
                family.add_metric(list(key), value, created=created)
        return family


class _Child:
    def __init__(self, count: Count, key: tuple[str, ...]) -> None:
        self.count, self.key = count, key

    def inc(self, amount: float = 1.0) -> None:
        self.count._add(self.key, amount)


class _Gauges:
    def __init__(
        self,
        health: Callable[[], HealthBody],
        in_flight: Callable[[], int],
        link_up: Callable[[], bool],
    ) -> None:
        self.health = health
        self.in_flight = in_flight
        self.link_up = link_up

    def collect(self) -> Iterator[GaugeMetricFamily]:
        from prometheus_client.core import GaugeMetricFamily

        try:
            health = self.health()
        except Exception:  # a scrape must never raise into the web server
            log.exception("metrics: cannot read health")
            return
        yield GaugeMetricFamily(
            "liandong_gateway_outbox_depth",
            "Reports waiting for a receipt",
            value=health.outbox_depth,
        )
        yield GaugeMetricFamily(
            "liandong_gateway_outbox_in_flight",
            "Reports handed to MQTT awaiting PUBACK",
            value=self.in_flight(),
        )
        yield GaugeMetricFamily(
            "liandong_gateway_alarm_active",
            "1 while the alarm sounds",
            value=int(health.alarm_active),
        )
        yield GaugeMetricFamily(
            "liandong_gateway_open_orders", "Orders open on this terminal", value=health.open_orders
        )
        yield GaugeMetricFamily(
            "liandong_gateway_unprinted", "Print jobs waiting", value=health.unprinted
        )
        yield GaugeMetricFamily(
            "liandong_gateway_link_up",
            "1 while connected to the broker",
            value=int(self.link_up()),
        )
        yield GaugeMetricFamily(
            "liandong_gateway_uptime_seconds", "Seconds since start", value=health.uptime_s
        )
        printer = GaugeMetricFamily(
            "liandong_gateway_printer_state", "Printer state (1 = current)", labels=["state"]
        )
        for s in _PRINTER_STATES:
            printer.add_metric([s], int(health.printer == s))
        yield printer
        if health.gps is not None and health.gps.age_s is not None:
            yield GaugeMetricFamily(
                "liandong_gateway_gps_fix_age_seconds",
                "Age of the last fix",
                value=health.gps.age_s,
            )
        if health.clock_offset_s is not None:
            yield GaugeMetricFamily(
                "liandong_gateway_clock_offset_seconds",
                "Hub clock minus terminal clock",
                value=health.clock_offset_s,
            )


class Metrics:
    """The counters, and the gauges read at scrape time from `health`, the sender's
    `in_flight` and whether the link is up."""

    def __init__(
        self,
        health: Callable[[], HealthBody],
        in_flight: Callable[[], int],
        link_up: Callable[[], bool],
    ) -> None:
        self.rejected = Count(
            "liandong_gateway_rejected_messages", "Down messages rejected, by reason", ("reason",)
        )
        self.received = Count(
            "liandong_gateway_down_messages", "Verified down messages, by kind", ("kind",)
        )
        self.duplicates = Count(
            "liandong_gateway_duplicate_messages",
            "Down messages already seen (re-deliveries, older revisions)",
        )
        self._gauges = _Gauges(health, in_flight, link_up)
        self._registry: CollectorRegistry | None = None
        self._registry_lock = threading.Lock()

    def collect(self) -> Iterator[Any]:
        """The registry's one collector: the counters, then the gauges."""
        for count in (self.rejected, self.received, self.duplicates):
            yield count.family()
        yield from self._gauges.collect()

    def exposition(self) -> bytes:
        """The text format for `/metrics`; the first call imports prometheus_client."""
        from prometheus_client import CollectorRegistry, generate_latest

        with self._registry_lock:
            if self._registry is None:
                self._registry = CollectorRegistry()
                self._registry.register(self)
        return generate_latest(self._registry)
