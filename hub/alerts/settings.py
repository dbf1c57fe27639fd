"""hub.toml's `[notify]`: which channel sends the SMS, who gets which escalation, the figures.

Absent `[notify]`, nothing is queued and escalations are only logged (the hub before SMS).
Every figure has a default (docs/notifications.md); a figure that parses but cannot work
is named with the file, as hub/config.py does for its own sections.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from hub.errors import ConfigError

ROLES = ("duty", "leader", "supervisor")
"""duty: the unit's duty phones; leader: its leader's mobile; supervisor: the centre's."""
DEFAULT_LADDER: Mapping[str, tuple[str, ...]] = {
    "receive": ("duty",),  # the terminal did not take the order: phone the duty room
    "ack": ("duty",),
    "arrive": ("leader", "supervisor"),
    "rollcall_missed": ("leader", "supervisor"),
    "feedback": ("leader",),
}
CHANNELS = ("modem", "webhook")


@dataclass(frozen=True)
class ModemSettings:
    """`[notify.modem]`: a GSM/4G modem on the hub machine, spoken to in AT commands."""

    port: str = "/dev/ld-modem"  # a device path or a pyserial URL
    baudrate: int = 115200
    command_timeout_s: float = 10.0
    send_timeout_s: float = 60.0  # the network can take tens of seconds to take a message
    pin: str | None = field(default=None, repr=False)  # the SIM PIN, when it has one


@dataclass(frozen=True)
class WebhookSettings:
    """`[notify.webhook]`: the county SMS platform, a signed JSON POST."""

    url: str
    secret: bytes = field(repr=False)  # read from `secret_file`; never logged
    timeout_s: float = 10.0


@dataclass(frozen=True)
class NotifySettings:
    channel: str  # "modem" | "webhook"
    modem: ModemSettings | None = None
    webhook: WebhookSettings | None = None
    ladder: Mapping[str, tuple[str, ...]] = field(default_factory=lambda: dict(DEFAULT_LADDER))
    max_attempts: int = 12
    retry_first_s: float = 30.0  # the first retry; doubled each time up to retry_max_s
    retry_max_s: float = 900.0
    per_phone: int = 6  # at most this many messages to one phone ...
    per_phone_window_s: float = 600.0  # ... in this many seconds; the rest wait their turn
    drills: bool = True  # escalations of drill orders are sent too, marked 【演练】


def load_notify(data: Any, base: Path, where: Path) -> NotifySettings | None:
    """`[notify]` of hub.toml, paths relative to `base`; None when there is no section."""
    if data is None:
        return None
    if not isinstance(data, dict):
        raise ConfigError(f"{where}: [notify] must be a table")
    channel = data.get("channel")
    if channel not in CHANNELS:
        raise ConfigError(f"{where}: [notify] channel must be one of {CHANNELS}, not {channel!r}")
    try:
        settings = NotifySettings(
            channel=str(channel),
            modem=_modem(data.get("modem", {})) if channel == "modem" else None,
            webhook=_webhook(data.get("webhook"), base, where) if channel == "webhook" else None,
            ladder=_ladder(data.get("ladder", {}), where),
            max_attempts=int(data.get("max_attempts", 12)),
            retry_first_s=float(data.get("retry_first_s", 30.0)),
            retry_max_s=float(data.get("retry_max_s", 900.0)),
            per_phone=int(data.get("per_phone", 6)),
            per_phone_window_s=float(data.get("per_phone_window_s", 600.0)),
            drills=bool(data.get("drills", True)),
        )
    except (TypeError, ValueError) as e:
        raise ConfigError(f"{where}: [notify]: {e}") from None
    checks = [
        ("max_attempts", settings.max_attempts >= 1, "at least 1"),
        ("retry_first_s", settings.retry_first_s > 0, "above 0"),
        ("retry_max_s", settings.retry_max_s >= settings.retry_first_s, "at least retry_first_s"),
        ("per_phone", settings.per_phone >= 1, "at least 1"),
        ("per_phone_window_s", settings.per_phone_window_s > 0, "above 0"),
    ]
    for name, ok, want in checks:
        if not ok:
            raise ConfigError(f"{where}: [notify] {name} must be {want}")
    return settings


def _modem(data: Any) -> ModemSettings:
    if not isinstance(data, dict):
        raise ValueError("[notify.modem] must be a table")
    pin = data.get("pin")
    return ModemSettings(
        port=str(data.get("port", "/dev/ld-modem")),
        baudrate=int(data.get("baudrate", 115200)),
        command_timeout_s=float(data.get("command_timeout_s", 10.0)),
        send_timeout_s=float(data.get("send_timeout_s", 60.0)),
        pin=str(pin) if pin is not None else None,
    )


def _webhook(data: Any, base: Path, where: Path) -> WebhookSettings:
    if not isinstance(data, dict) or "url" not in data or "secret_file" not in data:
        raise ConfigError(f"{where}: [notify.webhook] needs url and secret_file")
    url = str(data["url"])
    if not url.startswith(("https://", "http://")):
        raise ConfigError(f"{where}: [notify.webhook] url must be http(s)://, not {url!r}")
    secret_path = base / str(data["secret_file"])
    try:
        secret = secret_path.read_bytes().strip()
    except OSError as e:
        raise ConfigError(f"{where}: [notify.webhook] secret_file {secret_path}: {e}") from None
    if len(secret) < 16:
        raise ConfigError(
            f"{where}: [notify.webhook] secret_file {secret_path}: the secret is shorter "
            "than 16 bytes"
        )
    return WebhookSettings(url=url, secret=secret, timeout_s=float(data.get("timeout_s", 10.0)))


def _ladder(data: Any, where: Path) -> dict[str, tuple[str, ...]]:
    """The default ladder with the file's rungs over it: `kind = ["leader", "supervisor"]`
    (an empty list sends nothing for that kind)."""
    if not isinstance(data, dict):
        raise ConfigError(f"{where}: [notify.ladder] must be a table")
    ladder = dict(DEFAULT_LADDER)
    for kind, roles in data.items():
        if not isinstance(roles, list) or any(r not in ROLES for r in roles):
            raise ConfigError(
                f"{where}: [notify.ladder] {kind} must be a list of {ROLES}, not {roles!r}"
            )
        ladder[str(kind)] = tuple(roles)
    return ladder
