"""The kiosk's 自接警情 form (双轨制): the duty room records a call it took itself.

A blueprint of its own (and its own template and words), so the kiosk's order page stays
as it is. Times are typed in Beijing time, as on the duty room's clock; the caller's phone
may be typed in full and is masked before anything is stored or shown (`SelfCalls`).
"""

from __future__ import annotations

from datetime import datetime
from typing import TYPE_CHECKING, Any

from flask import Blueprint, current_app, flash, redirect, render_template, request, url_for
from flask_wtf import FlaskForm
from werkzeug.wrappers import Response as BaseResponse
from wtforms import (  # type: ignore[import-untyped]
    BooleanField,
    DateTimeLocalField,
    SelectField,
    StringField,
    TextAreaField,
)
from wtforms.fields.choices import SelectChoice  # type: ignore[import-untyped]
from wtforms.validators import DataRequired, Length, Optional, Regexp  # type: ignore[import-untyped]

from gateway.devices.plain import block, one_line
from gateway.errors import InvalidInputError
from wire.clock import SHANGHAI, shanghai
from wire.kinds import RESULT_NAMES
from wire.limits import MAX_SHORT, MAX_TEXT
from wire.phone import mask_phone

if TYPE_CHECKING:
    from gateway.terminal import Gateway

bp = Blueprint("selfcall", __name__)

WORDS: dict[str, dict[str, str]] = {
    "zh": {
        "title": "自接警情登记",
        "link": "登记自接警情",
        "intro": "本单位直接接到的群众报警求助，处置后在此登记，上报指挥中心纳入考核。",
        "category": "警情类别",
        "township": "乡镇",
        "address": "地址",
        "taken_at": "接警时间",
        "caller_phone": "报警人电话（将隐去中间四位）",
        "summary": "报警内容",
        "arrived_at": "到场时间（未到场可不填）",
        "result_code": "处置结果",
        "result_text": "处置情况",
        "needs_assist": "需要其他单位协助",
        "assist_note": "需要哪些单位、做什么",
        "save": "登记并上报",
        "back": "返回",
        "saved": "自接警情已登记（报警人电话 %s），将发送至指挥中心。",
        "waiting": "待上报的自接警情",
        "invalid": "登记未保存：",
        "switch": "English",
    },
    "en": {
        "title": "Record a call taken here",
        "link": "Record a call taken here",
        "intro": "A call for help the public made to this unit directly: record it once handled;"
        " it goes to the centre and counts in assessment.",
        "category": "Category",
        "township": "Township",
        "address": "Address",
        "taken_at": "Taken at",
        "caller_phone": "Caller's phone (the middle digits are hidden)",
        "summary": "What the caller said",
        "arrived_at": "On scene at (leave empty if not attended)",
        "result_code": "Result",
        "result_text": "What was done",
        "needs_assist": "Needs another unit",
        "assist_note": "Which units, to do what",
        "save": "Record and send",
        "back": "Back",
        "saved": "Call recorded (caller %s); it will be sent to the centre.",
        "waiting": "Recorded calls waiting to be sent",
        "invalid": "Not recorded: ",
        "switch": "中文",
    },
}

_CODE = r"^[a-z0-9][a-z0-9-]{0,31}$"


class SelfCallForm(FlaskForm):  # type: ignore[misc]
    category = SelectField(validators=[DataRequired(), Regexp(_CODE)], validate_choice=False)
    township = SelectField(validators=[DataRequired(), Regexp(_CODE)], validate_choice=False)
    address = StringField(validators=[DataRequired(), Length(max=MAX_SHORT)])
    taken_at = DateTimeLocalField(format="%Y-%m-%dT%H:%M", validators=[DataRequired()])
    caller_phone = StringField(validators=[Optional(), Regexp(r"^[0-9 +-]{3,24}$")])
    summary = TextAreaField(validators=[DataRequired(), Length(max=MAX_TEXT)])
    arrived_at = DateTimeLocalField(format="%Y-%m-%dT%H:%M", validators=[Optional()])
    result_code = SelectField(
        choices=[SelectChoice(c, c) for c in RESULT_NAMES], validators=[DataRequired()]
    )
    result_text = TextAreaField(validators=[DataRequired(), Length(max=MAX_TEXT)])
    needs_assist = BooleanField()
    assist_note = StringField(validators=[Length(max=MAX_TEXT)])


def _gateway() -> Gateway:
    gw: Gateway = current_app.extensions["liandong.gateway"]
    return gw


def _lang() -> str:
    lang = request.args.get("lang") or request.cookies.get("lang") or "zh"
    return lang if lang in WORDS else "zh"


def _utc(local: datetime | None) -> datetime | None:
    """A time typed on the duty room's clock (Beijing time) as an aware time."""
    return local.replace(tzinfo=SHANGHAI) if local is not None else None


def _choices(pairs: list[tuple[str, str]]) -> list[SelectChoice]:
    """Select choices (wtforms 3.3 deprecates bare tuples), a blank one first."""
    return [SelectChoice(value, label) for value, label in [("", "—"), *pairs]]


def _form(gw: Gateway) -> SelfCallForm:
    form = SelfCallForm()
    lists = gw.config.selfcall
    form.category.choices = _choices(sorted(lists.categories.items()))
    form.township.choices = _choices(list(lists.townships.items()))
    if form.taken_at.data is None and not form.is_submitted():
        form.taken_at.data = shanghai(gw.clock.now()).replace(tzinfo=None, second=0, microsecond=0)
    return form


def _page(form: SelfCallForm, status: int = 200, error: str = "") -> tuple[str, int]:
    gw = _gateway()
    lang = _lang()
    page = render_template(
        "kiosk/selfcall.html",
        form=form,
        w=WORDS[lang],
        lang=lang,
        results=RESULT_NAMES,
        free_codes=not gw.config.selfcall.categories,
        free_townships=not gw.config.selfcall.townships,
        waiting=gw.outbox.waiting("selfcall"),
        unit=gw.unit,
        error=error,
    )
    return page, status


@bp.get("/selfcall")
def show() -> tuple[str, int]:
    return _page(_form(_gateway()))


@bp.post("/selfcall")
def record() -> BaseResponse | tuple[str, int]:
    gw = _gateway()
    form = _form(gw)
    w = WORDS[_lang()]
    if not form.validate_on_submit():
        named = ", ".join(w.get(name, name) for name in form.errors)
        return _page(form, 400, w["invalid"] + named)
    fields: dict[str, Any] = {
        "category": form.category.data,
        "township": form.township.data,
        "address": one_line(form.address.data).strip(),
        "taken_at": _utc(form.taken_at.data),
        "summary": block(form.summary.data).strip(),
        "result_code": form.result_code.data,
        "result_text": block(form.result_text.data).strip(),
        "caller_phone": form.caller_phone.data or "",
        "arrived_at": _utc(form.arrived_at.data),
        "needs_assist": bool(form.needs_assist.data),
        "assist_note": block(form.assist_note.data or "").strip(),
    }
    try:
        gw.record_selfcall(**fields)
    except InvalidInputError as e:
        return _page(form, 400, w["invalid"] + str(e))
    flash(w["saved"] % (mask_phone(fields["caller_phone"]) or "—"))
    return redirect(url_for("index"))
