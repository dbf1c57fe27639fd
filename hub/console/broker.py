"""The red banner on every console page while the hub is cut off from the broker.

Cut off, the hub can neither send orders to the units' terminals nor receive their
reports: the board still looks normal, so the duty officer must be told on every page.
The state is the hub link's `LinkWatch` (mqttlink/watch.py), which `hub.runtime` puts in
`app.extensions`; a console without a link (tests, the API alone) shows no banner.

A board left open all night is never reloaded by hand: every console response carries
`X-Liandong-Broker: up|down`, and live.js reloads the page when the fragment it fetches
(on every change, and at least once a minute) disagrees with the banner on screen.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from flask import Flask, current_app, request
from flask_babel import lazy_gettext as _l
from werkzeug.wrappers import Response

from hub.terminals.link import BROKER_KEY
from mqttlink.watch import LinkWatch

_CAUSES = {
    "dns": _l("the broker's host name does not resolve"),
    "refused": _l("connection refused: is Mosquitto running?"),
    "timeout": _l("the broker does not answer"),
    "tls": _l("the TLS handshake failed (certificates)"),
    "rejected": _l("the broker refused the hub's login"),
    "closed": _l("the broker closed the connection"),
}


@dataclass(frozen=True)
class Banner:
    since: datetime | None
    cause: str
    where: str


def broker_banner() -> Banner | None:
    """What the banner says, or None while the hub reaches the broker."""
    watch = current_app.extensions.get(BROKER_KEY)
    if not isinstance(watch, LinkWatch):
        return None
    state = watch.state()
    if not state.cut_off or state.problem is None:
        return None
    cause = _CAUSES.get(state.problem.code, _l("cannot connect"))
    return Banner(state.since, str(cause), watch.where)


HEADER = "X-Liandong-Broker"


def _state_header(response: Response) -> Response:
    if (request.blueprint or "").startswith("console"):
        watch = current_app.extensions.get(BROKER_KEY)
        if isinstance(watch, LinkWatch):
            response.headers[HEADER] = "down" if watch.state().cut_off else "up"
    return response


def register(app: Flask) -> None:
    """Tell every console response's reader whether the broker is reachable."""
    app.after_request(_state_header)
