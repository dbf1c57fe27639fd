"""`/api/v1`: intake, incident and unit reads, operator actions; all HMAC-authenticated.

Errors are JSON: `{"error": code, "message": ..., "fields": {field: {"zh": ..., "en": ...}}}`.
Bodies are read by `hub.sources.jsonbody`, so no body, however odd, reaches a handler as a crash;
anything that still fails is a JSON 500, never Flask's HTML page.
"""

from __future__ import annotations

import dataclasses
import json
import logging
from datetime import datetime
from typing import Any

from flask import Blueprint, Response, current_app, request

from hub.dispatch.desk import Desk
from hub.dispatch.text import checked
from hub.errors import IntakeError
from hub.metrics import HubMetrics
from hub.sources.api_keys import IntakeKeys
from hub.sources.boundary.ports import GatePorts
from hub.sources.intake_answer import (
    INTERNAL,
    REFUSALS,
    Refusal,
    TooLarge,
    answer_intake,
    error_answer,
    error_body,
)
from hub.sources.jsonbody import load_object
from wire.clock import rfc3339
from wire.limits import MAX_MESSAGE_BYTES

log = logging.getLogger(__name__)

bp = Blueprint("api", __name__, url_prefix="/api/v1")
MAX_BODY = MAX_MESSAGE_BYTES  # 64 KiB


def _default(o: object) -> object:
    """What JSON has no type for: a datetime as RFC 3339, a view (a dataclass) as the
    object of its fields. The C encoder asks only for these, so a view is written in one
    pass without the deep copy `dataclasses.asdict` makes first (issue 17)."""
    if isinstance(o, datetime):
        return rfc3339(o)
    names = getattr(type(o), "__dataclass_fields__", None)
    if names is not None:
        return {name: getattr(o, name) for name in names}
    raise TypeError(f"cannot serialise {type(o).__name__}")


def to_json(view: Any) -> Any:
    """A view as `reply` writes it: its fields, its datetimes as RFC 3339 (the encoder's
    `_default` unfolds it)."""
    if not dataclasses.is_dataclass(view) or isinstance(view, type):
        raise TypeError(f"not a view: {type(view).__name__}")
    return view


def encode(payload: Any) -> bytes:
    """The JSON text of an answer, UTF-8, Chinese as itself."""
    return json.dumps(payload, ensure_ascii=False, default=_default).encode()


def reply(payload: Any, status: int = 200) -> Response:
    return Response(encode(payload), status=status, mimetype="application/json")


def error(status: int, code: str, message: str, fields: dict[str, Any] | None = None) -> Response:
    return reply(error_body(code, message, fields), status)


def _service() -> Desk:
    """The operator's desk: intake, actions and reads (hub/dispatch/desk.py)."""
    desk: Desk = current_app.extensions["liandong.desk"]
    return desk


def _metrics() -> HubMetrics:
    metrics: HubMetrics = current_app.extensions["liandong.metrics"]
    return metrics


def _keys() -> IntakeKeys:
    keys: IntakeKeys = current_app.extensions["liandong.intake_keys"]
    return keys


def _body() -> bytes:
    """The raw body, refusing anything over 64 KiB before reading it."""
    if request.content_length is not None and request.content_length > MAX_BODY:
        raise TooLarge
    return request.get_data(cache=True)


def _authenticate(body: bytes) -> str:
    return _keys().check_request(
        request.headers.get("X-Liandong-Source"),
        request.headers.get("X-Liandong-Timestamp"),
        request.method,
        request.full_path.rstrip("?"),
        body,
        request.headers.get("X-Liandong-Signature"),
        _service().clock.now(),
    )


def _refused(e: Refusal) -> Response:
    """A refusal's answer, as `answer_intake` gives it on the lean route."""
    status, body = error_answer(e, request.remote_addr)
    return reply(body, status)


for _refusal in REFUSALS:
    bp.register_error_handler(_refusal, _refused)


@bp.errorhandler(413)
def _too_large(_e: Exception) -> Response:
    """werkzeug's own refusal of a body over `MAX_CONTENT_LENGTH`."""
    return _refused(TooLarge())


@bp.errorhandler(500)
def _server_error(_e: Exception) -> Response:
    """A bug, not a bad request: logged by Flask; the caller gets JSON it can parse."""
    return reply(INTERNAL, 500)


@bp.post("/incidents")
def post_incident() -> Response:
    status, view = answer_intake(
        _body,
        request.headers.get("X-Liandong-Source"),
        request.headers.get("X-Liandong-Signature"),
        request.remote_addr,
        _intake_by_type,
        keys=_keys(),
        metrics=_metrics(),
    )
    return reply(to_json(view) if status < 300 else view, status)


# ---- 110 boundary: CAP and EIDO bodies go through the gate's parsers ----
GATE_TYPES = ("application/cap+xml", "application/emergency+json")


def _intake_by_type(body: bytes, source: str) -> tuple[Any, bool]:
    ctype = (request.mimetype or "").lower()
    if ctype not in GATE_TYPES:
        return _service().intake(load_object(body), source=source)
    from hub.sources.boundary.api import intake_gate_body

    gate: GatePorts = current_app.extensions["liandong.gate"]
    return intake_gate_body(gate, body, source, ctype)


@bp.get("/incidents/<incident_id>")
def get_incident(incident_id: str) -> Response:
    _authenticate(b"")
    return reply(to_json(_service().incident(incident_id)))


@bp.get("/incidents")
def list_open() -> Response:
    _authenticate(b"")
    return reply([to_json(v) for v in _service().open_incidents()])


@bp.get("/boundary/outbox")
def boundary_outbox() -> Response:
    """Status changes for the 110 side to pull, oldest first: `?after=<cursor>&limit=<n>`.
    Each item carries its `cursor`; pass the last one back as `after`."""
    _authenticate(b"")
    try:
        after = int(request.args.get("after", "0"))
        limit = min(max(int(request.args.get("limit", "500")), 1), 1000)
    except ValueError:
        raise IntakeError({"after": ("须为整数", "must be an integer")}) from None
    if not -(2**63) <= after < 2**63:  # what SQLite can compare with
        raise IntakeError({"after": ("超出范围", "out of range")})
    items = _service().boundary_changes(after, limit)
    return reply({"items": items, "next": items[-1]["cursor"] if items else after})


@bp.get("/units")
def get_units() -> Response:
    _authenticate(b"")
    return reply([to_json(u) for u in _service().units_status()])


def _action() -> tuple[str, dict[str, Any]]:
    body = _body()
    source = _authenticate(body)
    data = load_object(body)
    by = data.get("by")
    if isinstance(by, str):  # who acted is shown on the timeline and sent to the 110 side
        by = checked("by", by, multiline=False)
    who = f"api:{source}" if not isinstance(by, str) or not by else f"{source}/{by[:64]}"
    return who, data


def _str(data: dict[str, Any], name: str, required: bool = False) -> str:
    value = data.get(name, "")
    if not isinstance(value, str) or (required and not value.strip()):
        raise IntakeError({name: ("必填文字", "required string")})
    return value


@bp.post("/incidents/<incident_id>/assist")
def post_assist(incident_id: str) -> Response:
    who, data = _action()
    order = _service().add_assist(
        incident_id, _str(data, "unit", True), by=who, note=_str(data, "note")
    )
    return reply(to_json(order), 201)


@bp.post("/orders/<order_id>/reassign")
def post_reassign(order_id: str) -> Response:
    who, data = _action()
    order = _service().reassign(
        order_id, _str(data, "unit", True), by=who, reason=_str(data, "reason")
    )
    return reply(to_json(order), 201)


@bp.post("/orders/<order_id>/cancel")
def post_cancel(order_id: str) -> Response:
    who, data = _action()
    return reply(
        to_json(_service().cancel_order(order_id, by=who, reason=_str(data, "reason", True)))
    )


@bp.post("/incidents/<incident_id>/close")
def post_close(incident_id: str) -> Response:
    who, data = _action()
    return reply(to_json(_service().close_incident(incident_id, by=who, note=_str(data, "note"))))


@bp.post("/orders/<order_id>/phone")
def post_phone(order_id: str) -> Response:
    """电话录入 for a unit without a terminal: `step` (delivered, acknowledged with
    `taken_by`, arrived, fed_back with `result_code` and `text`), as the console's form."""
    who, data = _action()
    order = _service().record_by_phone(
        order_id,
        _str(data, "step", True),
        by=who,
        taken_by=_str(data, "taken_by"),
        result_code=_str(data, "result_code"),
        text=_str(data, "text"),
    )
    return reply(to_json(order))
