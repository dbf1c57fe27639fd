"""The 110 boundary (DESIGN.md "The 110 boundary"): files across the gate (网闸) both ways.

Pure parsers (`parse.parse_bytes`: bytes in, a `GateMessage` out or a `GateRejection`
raised) for the project's JSON, OASIS CAP 1.2 and NENA EIDO JSON; the folder bridge
(`bridge.Bridge`) that takes each inbound file exactly once and writes status files out.
See docs/boundary.md.
"""

from hub.sources.boundary.model import GateMessage, GateRejection

__all__ = ["GateMessage", "GateRejection"]
