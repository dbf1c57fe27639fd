"""The kiosk: the terminal's screen in the duty room (Flask app factory).

Simplified Chinese first, English with `?lang=en` (kept in a cookie). It shows the orders
with their state and a countdown to each deadline, the link and outbox, and offers
签收 / 到场 / 反馈. Its buttons call the same Gateway methods as the physical buttons, so
there is one code path for an acknowledgement however it is made. Forms carry a CSRF token
(flask-wtf): the kiosk listens on localhost, but any page the browser opens could post to it.
"""

from __future__ import annotations

import secrets
from typing import TYPE_CHECKING, Any

from flask import (
    Flask,
    Response,
    abort,
    flash,
    jsonify,
    redirect,
    render_template,
    request,
    url_for,
)
from flask_wtf import CSRFProtect, FlaskForm
from werkzeug.wrappers import Response as BaseResponse
from wtforms import SelectField, TextAreaField  # type: ignore[import-untyped]
from wtforms.validators import DataRequired, Length  # type: ignore[import-untyped]

from gateway.devices.plain import block
from gateway.errors import UnknownOrderError, UnknownRollcallError
from gateway.kiosk.causes import CAUSES
from gateway.kiosk.selfcall import bp as selfcall_bp
from gateway.kiosk.text import (
    RESULT_NAMES_EN,
    TEXT,
    countdown,
    link_words,
    printer_words,
    stage_name,
)
from wire.kinds import RESULT_NAMES
from wire.limits import MAX_TEXT

if TYPE_CHECKING:
    from gateway.terminal import Gateway


class ActionForm(FlaskForm):  # type: ignore[misc]
    """签收 / 到场: nothing to fill in, but the CSRF token."""


class FeedbackForm(FlaskForm):  # type: ignore[misc]
    result_code = SelectField(choices=list(RESULT_NAMES), validators=[DataRequired()])
    text = TextAreaField(validators=[DataRequired(), Length(max=MAX_TEXT)])


def _lang() -> str:
    lang = request.args.get("lang") or request.cookies.get("lang") or "zh"
    return lang if lang in TEXT else "zh"


def compile_templates(app: Flask) -> int:
    """Compile every kiosk template now (Jinja keeps them), so that the compiler's scratch
    memory can be given back before the duty room's browser asks for its first page
    (gateway.heap says why); returns how many."""
    names = app.jinja_env.list_templates()
    for name in names:
        app.jinja_env.get_template(name)
    return len(names)


def create_app(gateway: Gateway, test_config: dict[str, Any] | None = None) -> Flask:
    app = Flask(__name__)
    app.config.update(SECRET_KEY=secrets.token_hex(32), WTF_CSRF_TIME_LIMIT=None)
    if test_config:
        app.config.update(test_config)
    CSRFProtect(app)
    app.extensions["liandong.gateway"] = gateway
    app.register_blueprint(selfcall_bp)  # 自接警情 (gateway/kiosk/selfcall.py)

    @app.after_request
    def remember_lang(resp: Response) -> Response:
        if "lang" in request.args and request.args["lang"] in TEXT:
            resp.set_cookie("lang", request.args["lang"], samesite="Strict", httponly=True)
        return resp

    @app.get("/")
    def index() -> str:
        lang = _lang()
        return render_template(
            "kiosk/index.html",
            s=gateway.status(),
            t=TEXT[lang],
            causes=CAUSES[lang],
            lang=lang,
            stage_name=lambda st: stage_name(st, lang),
            countdown=lambda seconds: countdown(seconds, lang),
            printer_words=lambda state: printer_words(state, lang),
            link_words=lambda error: link_words(error, lang),
            results=RESULT_NAMES,
            results_en=RESULT_NAMES_EN,
            action=ActionForm(),
            feedback=FeedbackForm(),
        )

    @app.get("/status.json")
    def status() -> Response:
        return jsonify(gateway.status())

    @app.get("/metrics")
    def metrics() -> Response:
        return Response(gateway.metrics.exposition(), mimetype="text/plain; version=0.0.4")

    @app.post("/orders/<order_id>/ack")
    def ack(order_id: str) -> BaseResponse:
        if not ActionForm().validate_on_submit():
            abort(400)
        _known(order_id)
        gateway.acknowledge([order_id], "kiosk")
        return redirect(url_for("index"))

    @app.post("/orders/<order_id>/arrive")
    def arrive(order_id: str) -> BaseResponse:
        if not ActionForm().validate_on_submit():
            abort(400)
        _known(order_id)
        gateway.arrive(order_id, "kiosk")
        return redirect(url_for("index"))

    @app.post("/orders/<order_id>/feedback")
    def feedback(order_id: str) -> BaseResponse | tuple[str, int]:
        form = FeedbackForm()
        text = block(form.text.data or "").strip()  # a paste can carry control characters
        if not form.validate_on_submit() or not text:
            return TEXT[_lang()]["feedback_invalid"], 400
        _known(order_id)
        try:
            gateway.feedback(order_id, form.result_code.data, text)
        except UnknownOrderError:
            abort(409)
        flash(TEXT[_lang()]["feedback_sent"])
        return redirect(url_for("index"))

    @app.post("/rollcalls/<rollcall_id>/answer")
    def answer_rollcall(rollcall_id: str) -> BaseResponse | tuple[str, int]:
        if not ActionForm().validate_on_submit():
            abort(400)
        try:
            done = gateway.answer_rollcall(rollcall_id, "kiosk")
        except UnknownRollcallError:
            abort(404)
        if not done:
            return TEXT[_lang()]["rollcall_gone"], 409
        flash(TEXT[_lang()]["rollcall_done"])
        return redirect(url_for("index"))

    @app.post("/test/<device>")
    def test_device(device: str) -> BaseResponse | tuple[str, int]:
        if not ActionForm().validate_on_submit():
            abort(400)
        if device not in ("buzzer", "light", "printer"):
            abort(404)
        if not gateway.test_device(device):
            return TEXT[_lang()]["test_busy"], 409
        flash(TEXT[_lang()]["test_done"])
        return redirect(url_for("index"))

    def _known(order_id: str) -> None:
        try:
            gateway.orders.get(order_id)
        except UnknownOrderError:
            abort(404)

    return app
