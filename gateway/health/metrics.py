"""Prometheus metrics of one terminal, on its own registry (several terminals can share a
process in the demo). Counters are kept as things happen; gauges are read at scrape time
from the terminal itself, so they can never drift from what the kiosk shows.
"""

from __future__ import annotations

import logging
from collections.abc import Iterator
from typing import TYPE_CHECKING

from prometheus_client import CollectorRegistry, Counter, generate_latest
from prometheus_client.core import GaugeMetricFamily
from prometheus_client.registry import Collector

if TYPE_CHECKING:
    from gateway.terminal import Gateway

log = logging.getLogger(__name__)

_PRINTER_STATES = ("ok", "paper_out", "paper_low", "offline", "unknown")


class _Gauges(Collector):
    def __init__(self, gateway: Gateway) -> None:
        self.gw = gateway

    def collect(self) -> Iterator[GaugeMetricFamily]:
        gw = self.gw
        try:
            health = gw.health()
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
            value=gw.sender.in_flight,
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
            value=int(gw.link.connected.is_set()),
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
    def __init__(self, gateway: Gateway) -> None:
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
        self.registry.register(_Gauges(gateway))

    def exposition(self) -> bytes:
        return generate_latest(self.registry)
