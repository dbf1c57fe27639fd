"""What the 110 gate bridge is handed (`hub.runtime` builds it): the one call into dispatch
for a gate message, and the store for the bridge's own tables.

The bridge writes only `boundary_files` and `boundary_cursor` (tests/test_layout.py checks
it) and reads the event log for what to tell the 110 side; every change to an incident
goes through `gate_message` (hub/dispatch/incoming.py).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from hub.db.store import Store
from hub.dispatch.views import IncidentView
from hub.metrics import HubMetrics
from hub.registry import Registry
from wire.clock import Clock

GateMessage = Callable[..., tuple[IncidentView, str]]
"""`Incoming.gate_message(kind, data, *, source, msg_id, refs, notes, reason)`."""


@dataclass(frozen=True)
class GatePorts:
    gate_message: GateMessage
    registry: Registry
    clock: Clock
    store: Store
    metrics: HubMetrics
