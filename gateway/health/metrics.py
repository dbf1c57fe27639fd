"""Prometheus metrics of one terminal, on its own registry (several terminals can share a
process in the demo). Counters are kept as things happen; gauges are read at scrape time
through the callables the terminal hands in (the same health the kiosk and the hub get),
so they can never drift from what the kiosk shows, and this module needs no terminal.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Iterator

from prometheus_client import CollectorRegistry, Counter, generate_latest
from prometheus_client.core import GaugeMetricFamily
from prometheus_client.registry import Collector

from wire.kinds import HealthBody

log = logging.getLogger(__name__)

_PRINTER_STATES = ("ok", "paper_out", "paper_low", "offline", "unknown")


class _Gauges(Collector):
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
        self.registry = CollectorRegistry()
        self.rejected = Counter(
            "liandong_gateway_rejected_messages",
            "Down messages rejected, by reason",
            ["reason"],
            registry=self.registry,
        )
        self.received = Counter(
            "liandong_gateway_down_messages",
            "Verified down messages, by kind",
            ["kind"],
            registry=self.registry,
        )
        self.duplicates = Counter(
            "liandong_gateway_duplicate_messages",
            "Down messages already seen (re-deliveries, older revisions)",
            registry=self.registry,
        )
        self.registry.register(_Gauges(health, in_flight, link_up))

    def exposition(self) -> bytes:
        return generate_latest(self.registry)
