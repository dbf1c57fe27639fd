"""The message contract shared by the hub and the gateways.

Everything that crosses MQTT is defined here once: the envelope, the typed body of every
kind, canonical JSON, signing, topic names and the limits. Both sides import this package;
neither imports the other.
"""

from wire.codec import Message, decode, encode
from wire.errors import WireError
from wire.kinds import (
    DOWN_KINDS,
    STATE_KINDS,
    UP_KINDS,
    AckBody,
    ArrivedBody,
    CancelBody,
    CommandBody,
    Deadlines,
    FeedbackBody,
    GpsHealth,
    HealthBody,
    OrderBody,
    Position,
    PositionBody,
    ReceiptBody,
    ReceivedBody,
    StateBody,
)
from wire.signing import Signer, Verifier

__all__ = [
    "DOWN_KINDS",
    "STATE_KINDS",
    "UP_KINDS",
    "AckBody",
    "ArrivedBody",
    "CancelBody",
    "CommandBody",
    "Deadlines",
    "FeedbackBody",
    "GpsHealth",
    "HealthBody",
    "Message",
    "OrderBody",
    "Position",
    "PositionBody",
    "ReceiptBody",
    "ReceivedBody",
    "Signer",
    "StateBody",
    "Verifier",
    "WireError",
    "decode",
    "encode",
]

VERSION = 1
