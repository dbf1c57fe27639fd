"""Who else hears of a missed deadline: an interface an SMS modem or phone bridge plugs into.

For now the hub logs each escalation (and the console shows it live).
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from datetime import datetime
from typing import Protocol

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class Escalation:
    order_id: str
    incident_id: str
    unit: str
    deadline: str  # receive | ack | arrive | feedback
    due_at: datetime
    fired_at: datetime
    late: bool  # fired after a hub outage, not on time
    drill: bool
    duty_phones: tuple[str, ...]


class Notifier(Protocol):
    def notify(self, escalation: Escalation) -> None: ...


class LogNotifier:
    """Writes each escalation to the log; the default until a modem is wired in."""

    def notify(self, escalation: Escalation) -> None:
        log.warning(
            "escalation: %s missed the %s deadline (due %s) on order %s%s%s",
            escalation.unit,
            escalation.deadline,
            escalation.due_at.isoformat(),
            escalation.order_id,
            " [drill]" if escalation.drill else "",
            " [fired late after a hub outage]" if escalation.late else "",
        )
