"""The gateway's one exception hierarchy.

Everything the terminal raises on purpose derives from GatewayError, so the CLI can print a
clear message for the installer and the loops can tell our failures from programming errors.
"""

from __future__ import annotations


class GatewayError(Exception):
    """Base of every error the gateway raises on purpose."""


class ConfigError(GatewayError):
    """gateway.toml is missing, unreadable or holds a bad value (the message names the key)."""


class StoreError(GatewayError):
    """The SQLite state could not be opened or migrated."""


class PrinterError(GatewayError):
    """The printer is offline, out of paper, or vanished mid-job."""


class UnknownOrderError(GatewayError):
    """A person or the hub named an order this terminal does not hold."""


class SpeechError(GatewayError):
    """The spoken order could not be rendered or played (no audio device, no espeak-ng)."""


class InvalidInputError(GatewayError):
    """What a person typed at the kiosk cannot make a valid report (the message says why)."""


class UnknownRollcallError(GatewayError):
    """A person named a roll-call (点名) this terminal does not hold."""
