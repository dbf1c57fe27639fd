"""`POST /api/v1/incidents` with a JSON body, answered without Flask's request machinery.

The intake is the hub's hottest HTTP path: the 110 bridge and the 12345 hotline post every
call to it, in bursts. Profiled at 1,000 terminals (issue 17, docs/hub.md "Measured"),
Flask's request context, routing, header objects and `Response` cost about as much CPU as
the intake's own validation, so this WSGI middleware, installed in front of the Flask app
by `hub.web.create_app`, answers that one request from the WSGI environ directly. Its
checks and answers are `hub.sources.intake_answer.answer_intake`, the same function
`hub.sources.api.post_incident` calls: the body refused over 64 KiB before it is read, the
source's HMAC over the raw body, the strict JSON reader, the desk's intake (whose
`Store.grouped` returns only after the commit that holds the incident, so the answer
always follows its own commit), the same JSON errors (401, 413, 422 with the fields,
409/404) and the same metrics; what is left here is reading the WSGI environ and a JSON
500 for a failure inside. Every other request, and a CAP or EIDO body for the same path
(the 110 gate's parsers), goes on to Flask unchanged.
"""

from __future__ import annotations

import logging
from typing import TYPE_CHECKING, Any

from hub.sources.api import GATE_TYPES, MAX_BODY, encode
from hub.sources.intake_answer import INTERNAL, TooLarge, answer_intake
from hub.sources.jsonbody import load_object

if TYPE_CHECKING:
    from collections.abc import Iterable

    from _typeshed.wsgi import StartResponse, WSGIApplication, WSGIEnvironment
    from flask import Flask

    from hub.dispatch.desk import Desk

log = logging.getLogger(__name__)

PATH = "/api/v1/incidents"
_STATUS = {
    200: "200 OK",
    201: "201 Created",
    401: "401 UNAUTHORIZED",
    404: "404 NOT FOUND",
    409: "409 CONFLICT",
    413: "413 REQUEST ENTITY TOO LARGE",
    422: "422 UNPROCESSABLE ENTITY",
    500: "500 INTERNAL SERVER ERROR",
}


class IntakeRoute:
    """WSGI middleware: the JSON intake here, everything else to `app` (the Flask app's
    own `wsgi_app`). The desk, keys and metrics are the ones `create_app` put in the Flask
    app's extensions, read per request like the blueprint reads them."""

    def __init__(self, app: WSGIApplication, flask_app: Flask) -> None:
        self.app = app
        self.flask_app = flask_app

    def __call__(self, environ: WSGIEnvironment, start_response: StartResponse) -> Iterable[bytes]:
        if (
            environ.get("PATH_INFO") != PATH
            or environ.get("REQUEST_METHOD") != "POST"
            or _mimetype(environ) in GATE_TYPES
        ):
            return self.app(environ, start_response)
        status, payload = self._answer(environ)
        body = encode(payload)
        start_response(
            _STATUS[status],
            [("Content-Type", "application/json"), ("Content-Length", str(len(body)))],
        )
        return [body]

    def _answer(self, environ: WSGIEnvironment) -> tuple[int, Any]:
        ext = self.flask_app.extensions
        desk: Desk = ext["liandong.desk"]
        try:
            return answer_intake(
                lambda: _body(environ),
                environ.get("HTTP_X_LIANDONG_SOURCE"),
                environ.get("HTTP_X_LIANDONG_SIGNATURE"),
                environ.get("REMOTE_ADDR"),
                lambda body, source: desk.intake(load_object(body), source=source),
                keys=ext["liandong.intake_keys"],
                metrics=ext["liandong.metrics"],
            )
        except Exception:
            if self.flask_app.config.get("PROPAGATE_EXCEPTIONS") or self.flask_app.testing:
                raise  # as Flask does in tests: a bug fails the test, not a quiet 500
            log.exception("intake failed")
            return 500, INTERNAL


def _mimetype(environ: WSGIEnvironment) -> str:
    return str(environ.get("CONTENT_TYPE", "")).split(";", 1)[0].strip().lower()


def _body(environ: WSGIEnvironment) -> bytes:
    """The raw body, refusing anything over 64 KiB before reading it (as Flask's
    `MAX_CONTENT_LENGTH` does); without a length, only a terminated stream is read."""
    stream = environ["wsgi.input"]
    raw = environ.get("CONTENT_LENGTH") or ""
    if raw:
        try:
            length = int(raw)
        except ValueError:
            length = 0  # werkzeug reads no body for a length it cannot parse
        if length > MAX_BODY:
            raise TooLarge
        return bytes(stream.read(length)) if length > 0 else b""
    if not environ.get("wsgi.input_terminated"):
        return b""
    data = bytes(stream.read(MAX_BODY + 1))
    if len(data) > MAX_BODY:
        raise TooLarge
    return data
