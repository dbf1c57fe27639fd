"""The intake's checks and answers, written once for both ways a POST reaches them.

`POST /api/v1/incidents` is answered by two callers: `hub.sources.intake_route` (the JSON
intake as plain WSGI, before Flask, the hub's hottest request, issue 17) and the Flask
blueprint in `hub.sources.api` (CAP and EIDO bodies through the 110 gate's parsers, and
whatever else reaches Flask). Both call `answer_intake` with the request's bytes and
headers, so the size limit, the source's HMAC over the raw body, the reader, the metrics
and the error answers are one sequence: a check added here holds for both. The same
`error_answer` builds the blueprint's error handlers' bodies, so a refusal reads the same
whichever route gave it.

Known refusals come back as `(status, body)`; anything else (a bug, a database that cannot
commit) is raised for the caller's own 500: Flask's handler, or the WSGI route's.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from typing import TYPE_CHECKING, Any

from hub.errors import AuthError, Conflict, IntakeError, NotFound

if TYPE_CHECKING:
    from hub.metrics import HubMetrics
    from hub.sources.api_keys import IntakeKeys

log = logging.getLogger(__name__)

#: what the desk's intake (or the gate's) returns: the incident's view, and whether it is new
Intake = Callable[[bytes, str], tuple[Any, bool]]


class TooLarge(Exception):
    """A body over 64 KiB, refused before it is read."""


def error_body(code: str, message: str, fields: dict[str, Any] | None = None) -> dict[str, Any]:
    body: dict[str, Any] = {"error": code, "message": message}
    if fields:
        body["fields"] = fields
    return body


INTERNAL = error_body("internal", "中心内部错误，请联系指挥中心 (internal error)")


#: what the API refuses with an answer of its own; anything else is a 500
Refusal = TooLarge | AuthError | IntakeError | NotFound | Conflict
REFUSALS = (TooLarge, AuthError, IntakeError, NotFound, Conflict)


def error_answer(e: Refusal, remote: str | None) -> tuple[int, dict[str, Any]]:
    """The API's answer to a refusal (`remote` is the caller's address, logged for a
    refused signature)."""
    if isinstance(e, TooLarge):
        return 413, error_body("too_large", "请求体超过 64 KiB (body over 64 KiB)")
    if isinstance(e, AuthError):
        log.warning("API request refused from %s: %s", remote, e)
        return 401, error_body("unauthorized", f"认证失败 (authentication failed): {e}")
    if isinstance(e, IntakeError):
        fields = {f: {"zh": zh, "en": en} for f, (zh, en) in e.details.items()}
        return 422, error_body("invalid", "数据有误，请按字段说明更正 (invalid fields)", fields)
    if isinstance(e, NotFound):
        return 404, error_body("not_found", f"未找到 (not found): {e}")
    return 409, error_body("conflict", f"当前状态不允许 (not allowed now): {e}")


def answer_intake(
    read_body: Callable[[], bytes],
    source: str | None,
    signature: str | None,
    remote: str | None,
    intake: Intake,
    *,
    keys: IntakeKeys,
    metrics: HubMetrics,
) -> tuple[int, Any]:
    """Check and take one intake: the body (`read_body` raises `TooLarge` over 64 KiB),
    the source's HMAC over it (the `X-Liandong-Source` and `X-Liandong-Signature`
    headers), then `intake` (the desk's, whose commit has happened when it returns).
    Returns 201 with the new incident's view, 200 with a repeat's, or a refusal's
    status and body; anything else is raised."""
    try:
        body = read_body()
        checked_source = keys.check_body(source, body, signature)
        try:
            view, created = intake(body, checked_source)
        except IntakeError:
            metrics.intake.labels("invalid").inc()
            raise
        metrics.intake.labels("created" if created else "repeat").inc()
        return (201 if created else 200), view
    except REFUSALS as e:
        return error_answer(e, remote)
