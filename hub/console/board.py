"""The live board (blueprint `console_board`): open incidents, their orders and deadlines.

The page renders the board once; a small script (static/board.js) listens on `/events`
(server-sent events) and, on any change, fetches `/board/fragment` and swaps it in, so the
HTML comes from one template whether it is the first paint or the hundredth update. An
`escalation` event also sounds a beep (WebAudio, no sound file).
"""

from __future__ import annotations

import json
import logging
import queue
import time
from collections.abc import Iterator
from typing import Any

from flask import (
    Blueprint,
    Response,
    current_app,
    render_template,
    session,
    stream_with_context,
)

from hub.alerts.live import CLOSING
from hub.console import sessions
from hub.console.web import TOKEN_KEY, need, now, service, state

log = logging.getLogger(__name__)

bp = Blueprint("console_board", __name__, template_folder="templates")

HEARTBEAT_S = 15.0


def _board_context() -> dict[str, Any]:
    incidents = service().open_incidents()
    late = sum(1 for i in incidents for o in i.orders if o.overdue)
    return {"incidents": incidents, "late_orders": late, "server_now": now()}


@bp.route("/")
def board() -> str:
    """The board, first paint."""
    need("view")
    return render_template("console/board.html", **_board_context())


@bp.route("/board/fragment")
def fragment() -> str:
    """The board's table alone, for the live update."""
    need("view")
    return render_template("console/_board_table.html", **_board_context())


@bp.route("/events")
def events() -> Response:
    """Server-sent events: one `change` per hub event, a comment every 15 s to keep it open.

    The stream ends when the browser goes away (the server closes the generator, and the
    `finally` unsubscribes) or when the login expires (checked once per heartbeat, busy or not).
    """
    need("view")
    hub = service()
    heartbeat = float(current_app.config.get("CONSOLE_SSE_HEARTBEAT_S", HEARTBEAT_S))
    streams = state().streams
    limit = current_app.config["CONSOLE_MAX_STREAMS"]

    def stream() -> Iterator[str]:
        # Each stream holds one of the server's few threads for as long as it is open: past
        # CONSOLE_MAX_STREAMS, 110's intake and every page would wait behind the boards. A
        # stream over the limit ends at once and the browser tries again in 10 s.
        if not streams.acquire(blocking=False):
            log.warning("%d live streams open already; one more is asked to retry", limit)
            yield "retry: 10000\n\n"
            return
        subscription = hub.events.subscribe()
        checked = time.monotonic()
        try:
            yield "retry: 3000\n\n"
            while True:
                try:
                    event: dict[str, Any] | None = subscription.get(timeout=heartbeat)
                except queue.Empty:
                    event = None
                if time.monotonic() - checked >= heartbeat:
                    # However busy the hub, the login is re-checked once per heartbeat.
                    if not _still_signed_in():
                        return
                    checked = time.monotonic()
                if event is None:
                    yield ": keep-alive\n\n"
                    continue
                if event is CLOSING:
                    return  # the hub is stopping; the browser retries in 3 s
                kind = "escalation" if event.get("type") == "escalation" else "change"
                yield f"event: {kind}\ndata: {json.dumps(event, default=str)}\n\n"
        finally:
            hub.events.unsubscribe(subscription)
            streams.release()

    return Response(
        stream_with_context(stream()),
        mimetype="text/event-stream",
        headers={"Cache-Control": "no-cache", "X-Accel-Buffering": "no"},
    )


def _still_signed_in() -> bool:
    """Whether the stream's login is still valid, without counting the stream as activity."""
    token = session.get(TOKEN_KEY)
    if not isinstance(token, str):
        return False
    return sessions.resume(state().db_path, token, now=now(), touch=False) is not None
