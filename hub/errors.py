"""The hub's one exception hierarchy: every refusal raises one of these, never returns False."""

from __future__ import annotations


class HubError(Exception):
    """Base of every error the hub raises on purpose.

    A refusal a person may read is raised with a template and its values,
    `Conflict("order %(order)s is %(state)s", order=..., state=...)`: `str()` is the English
    text the API and the logs carry, and the console translates `template` itself (it is a
    msgid of the console's catalog) with the values put in the reader's words, so no
    operator reads an English sentence or a raw state code on a Chinese screen."""

    def __init__(self, template: str = "", /, **values: object) -> None:
        self.template = template
        self.values = values
        super().__init__(template % values if values else template)


class ConfigError(HubError):
    """hub.toml, a key file or the PKI folder cannot be used; the message names the file."""


class IntakeError(HubError):
    """An incident that cannot be accepted. `errors` maps each bad field to its message
    (Chinese first, then English); `details` keeps the two languages apart for the API."""

    def __init__(self, details: dict[str, tuple[str, str]]) -> None:
        self.details = dict(details)
        self.errors: dict[str, str] = {f: f"{zh} ({en})" for f, (zh, en) in self.details.items()}
        super().__init__("; ".join(f"{f}: {m}" for f, m in self.errors.items()))


class NotFound(HubError):
    """No incident, order or unit with that id."""


class Conflict(HubError):
    """The request does not fit the current state (e.g. cancelling a closed order)."""


class AuthError(HubError):
    """An API request without a valid source signature."""


class ReportRejected(HubError):
    """A report from a terminal that is refused (logged and stored, never applied).

    `reason` is a short code for metrics, as in `wire.WireError`."""

    def __init__(self, reason: str, message: str) -> None:
        super().__init__(message)
        self.reason = reason


class StoreUnavailable(HubError):
    """The database cannot take a write right now (busy, locked, full, read-only, failing
    I/O): no fault of the message being stored. The MQTT link leaves such a message
    unacknowledged and tries it again; every other failure refuses the message and
    acknowledges it, so that nothing one unit sends can hold up the county's uplink."""


class BackupError(HubError):
    """A backup or restore that cannot be made (the hub is running, the file is damaged or
    not a hub database, the folder cannot be written); nothing was replaced."""
