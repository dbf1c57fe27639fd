"""What a sender sends through: a modem on the hub machine or the county SMS platform."""

from __future__ import annotations

from typing import Protocol

from hub.errors import HubError


class SendError(HubError):
    """A message was not taken: the modem or the platform said no, or did not answer.
    The message is retried after a back-off; the text says why, for the timeline."""


class ChannelDown(SendError):
    """The channel itself cannot send now (no port, no answer, SIM not ready, no network,
    platform unreachable or failing): the sender pauses for the back-off instead of trying
    every queued message against it."""


class Channel(Protocol):
    name: str

    def send(self, phone: str, text: str, *, key: str, reference: int) -> str:
        """Send `text` to `phone`; return the channel's reference once it has said OK, or
        raise SendError. `key` names the message (the platform can drop a repeat of it);
        `reference` (0..255) is kept the same for every try of one message."""
        ...

    def close(self) -> None: ...
