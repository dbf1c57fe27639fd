"""The demo's 110 side of the gate (网闸): part of the calls arrive as files, status goes back.

Calls are split by their index: one in three is posted over HTTP as before, one in three is
dropped into the hub's inbound/ as the project's JSON, and one in three as an OASIS CAP 1.2
alert made from the scenario (the event named in the county mapping's words, the address
as `<areaDesc>`, the position as a `<circle>`), when the mapping has a word for that
category, else as JSON. Files go in by rename, as a gate does (`MockGate`). One CAP 1.1
alert is dropped on purpose at the start so the run shows a refusal beside its why.json.
The gate's outbound side ferries the status files away as they appear and counts them.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any
from xml.sax.saxutils import escape

from demo.scenario import Call
from hub.dispatch.desk import Desk
from hub.sources.boundary.folders import Folders
from hub.sources.boundary.mapping import Mapping
from hub.sources.boundary.mockgate import MockGate
from wire.clock import shanghai

log = logging.getLogger(__name__)

PLANTED = "0000-cap11-refused-on-purpose.xml"
CAP11 = b"""<?xml version="1.0" encoding="UTF-8"?>
<alert xmlns="urn:oasis:names:tc:emergency:cap:1.1"><identifier>old-vendor-1</identifier>
<sender>110@shuangbai</sender><sent>2026-11-28T14:30:00+08:00</sent><status>Actual</status>
<msgType>Alert</msgType><scope>Public</scope></alert>
"""


def route(call: Call, *, outage: bool) -> str:
    """How a call reaches the hub: `http`, `json` or `cap` (the outage's call stays on HTTP,
    whose answer names the lead unit at once)."""
    if outage:
        return "http"
    return ("http", "json", "cap")[call.index % 3]


def cap_alert(body: dict[str, Any], event: str, sent: datetime) -> bytes:
    """A CAP 1.2 alert carrying what the intake body says, as a 110 vendor would write it."""
    at = shanghai(sent).isoformat(timespec="seconds")
    lat, lon = body["lat"], body["lon"]
    return f"""<?xml version="1.0" encoding="UTF-8"?>
<alert xmlns="urn:oasis:names:tc:emergency:cap:1.2">
  <identifier>{escape(body["source_id"])}</identifier>
  <sender>110@shuangbai.gov</sender>
  <sent>{at}</sent>
  <status>Actual</status>
  <msgType>Alert</msgType>
  <scope>Restricted</scope>
  <restriction>县社会应急联动</restriction>
  <info>
    <language>zh-CN</language>
    <category>Safety</category>
    <event>{escape(event)}</event>
    <urgency>Immediate</urgency>
    <severity>Moderate</severity>
    <certainty>Observed</certainty>
    <senderName>双柏县公安局110指挥中心</senderName>
    <headline>{escape(event)}</headline>
    <description>{escape(body["summary"])}</description>
    <area>
      <areaDesc>{escape(body["address"])}</areaDesc>
      <circle>{lat},{lon} 0</circle>
    </area>
  </info>
</alert>
""".encode()


@dataclass
class GateFeed:
    """Drops calls into inbound/, finds the incidents the bridge made, ferries status out."""

    folders: Folders
    mapping: Mapping
    source: str
    gate: MockGate = field(init=False)
    waiting: dict[str, Call] = field(default_factory=dict)  # 110 number -> call not yet seen
    dropped: int = 0
    by_format: dict[str, int] = field(default_factory=lambda: {"json": 0, "cap": 0})
    status_out: int = 0

    def __post_init__(self) -> None:
        self.gate = MockGate(self.folders)
        self._events = {
            category: word for word, category in self.mapping.tables.get("cap.event", {}).items()
        }

    def plant_refusal(self) -> None:
        self.gate.drop(PLANTED, CAP11)
        self.dropped += 1

    def drop(self, call: Call, body: dict[str, Any], fmt: str, sent: datetime) -> str:
        """Drop one call; returns the format used (CAP falls back to JSON without a word)."""
        number = body["source_id"]
        event = self._events.get(call.category)
        if fmt == "cap" and event:
            self.gate.drop(f"{number}.xml", cap_alert(body, event, sent))
        else:
            fmt = "json"
            self.gate.drop(f"{number}.json", body)
        self.waiting[number] = call
        self.dropped += 1
        self.by_format[fmt] += 1
        return fmt

    def taken(self, desk: Desk) -> list[tuple[Call, str]]:
        """Calls whose incident the bridge has made since the last look: (call, id)."""
        found = []
        for number, call in list(self.waiting.items()):
            view = desk.incident_by_source(self.source, number)
            if view is not None:
                found.append((call, view.id))
                del self.waiting[number]
        return found

    def ferry(self) -> int:
        """Take the finished status files away, as the gate does; returns how many."""
        try:
            n = len(self.gate.take_outbound())
        except (OSError, ValueError):  # a file being replaced under us: next time
            log.exception("ferrying outbound/")
            return 0
        self.status_out += n
        return n

    def counts(self) -> tuple[int, int, int]:
        """(done, rejected, still in inbound/)."""
        return len(self.gate.done()), len(self.gate.rejected()), len(self.gate.inbound())
