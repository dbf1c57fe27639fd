"""Prometheus figures of the bridge, on the hub's own registry (so /metrics shows them)."""

from __future__ import annotations

import weakref

from prometheus_client import CollectorRegistry, Counter, Gauge

_ONE_PER_REGISTRY: weakref.WeakKeyDictionary[CollectorRegistry, BoundaryMetrics] = (
    weakref.WeakKeyDictionary()
)


def boundary_metrics(registry: CollectorRegistry) -> BoundaryMetrics:
    """The bridge's figures on that registry, made once (a restarted bridge in one process,
    as tests do, reuses them rather than registering the names twice)."""
    found = _ONE_PER_REGISTRY.get(registry)
    if found is None:
        found = _ONE_PER_REGISTRY[registry] = BoundaryMetrics(registry)
    return found


class BoundaryMetrics:
    def __init__(self, registry: CollectorRegistry) -> None:
        self.files = Counter(
            "ld_hub_boundary_files_total",
            "Inbound gate files by outcome (done, rejected) and reason",
            ["outcome", "reason"],
            registry=registry,
        )
        self.backlog = Gauge(
            "ld_hub_boundary_outbound_backlog",
            "Status changes for the 110 side not yet written to outbound/",
            registry=registry,
        )
        self.age = Gauge(
            "ld_hub_boundary_outbound_age_seconds",
            "Age of the oldest status change not yet written to outbound/",
            registry=registry,
        )
        self.writable = Gauge(
            "ld_hub_boundary_outbound_ok",
            "1 while outbound/ takes files, 0 while it is full or unwritable",
            registry=registry,
        )
        self.writable.set(1)
