"""paho's MQTT 5 `Properties`, made without rebuilding its tables for every packet.

paho-mqtt 2.x decodes every MQTT 5 PUBLISH, PUBACK, SUBACK... into a new `Properties`,
whose `__init__` builds three lookup tables (the property names, their types, which
packets take them: about thirty entries, each set through its checking `__setattr__`)
for every packet. The tables never change after that: paho only reads them. On the hub
that was 7 us per packet on an idle core, three packets per order (the `received` report
and the broker's acknowledgements of the order and of its receipt), about 5 % of the hub's
CPU at 1,000 terminals (issue 17, docs/hub.md "Measured").

`share_tables()` gives paho's packet decoder a subclass whose instances share one copy
of those tables: every property is still read, checked and written by paho's own code.
It checks first that a real `Properties` holds exactly the attributes this expects;
a paho whose `Properties` differs is left as it is (logged), never half-patched.
"""

from __future__ import annotations

import logging
from typing import Any, ClassVar

from paho.mqtt import _packet
from paho.mqtt.packettypes import PacketTypes
from paho.mqtt.properties import Properties

log = logging.getLogger(__name__)

_TABLES = ("types", "names", "properties")


class SharedTablesProperties(Properties):
    """A `Properties` whose read-only lookup tables are the class's, built once."""

    _shared: ClassVar[dict[str, Any]] = {}

    def __init__(self, packetType: int) -> None:  # paho's own parameter name
        # paho's `__setattr__` lets exactly these names through unchecked
        object.__setattr__(self, "packetType", packetType)
        for name, table in self._shared.items():
            object.__setattr__(self, name, table)


def share_tables() -> bool:
    """Make paho's decoder build `SharedTablesProperties` (once; idempotent). False
    when this paho's `Properties` is not the one this was written for."""
    decoder = vars(_packet)  # the module's globals: what its decode_* functions call
    if decoder.get("Properties") is SharedTablesProperties:
        return True
    template = Properties(PacketTypes.PUBLISH)  # type: ignore[no-untyped-call]
    held = vars(template)
    if set(held) != {"packetType", *_TABLES} or decoder.get("Properties") is not Properties:
        log.warning("paho's Properties has changed (%s): its tables stay per packet", sorted(held))
        return False
    SharedTablesProperties._shared = {name: held[name] for name in _TABLES}
    decoder["Properties"] = SharedTablesProperties
    return True
