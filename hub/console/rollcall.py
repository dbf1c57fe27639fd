"""点名 (blueprint `console_rollcall`): the last rounds, who answered in how long, who
missed, and (supervisors) a button to call the roll now.

Everyone who may view the console reads the page; calling the roll is a `command`
(supervisor), CSRF-protected like every form and written to the audit log, refused or not.
"""

from __future__ import annotations

from flask import Blueprint, flash, redirect, render_template, url_for
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from werkzeug.wrappers import Response
from wtforms import (  # type: ignore[import-untyped]
    SelectField,
    SelectMultipleField,
    StringField,
    SubmitField,
)
from wtforms.validators import AnyOf, Length, Optional  # type: ignore[import-untyped]

from hub.assessment.rollcall_checks import (
    REMARK_MAX,
    RESULTS,
    RollcallCheckError,
    RollcallChecks,
)
from hub.console.assessment import spot_checks
from hub.console.forms import options
from hub.console.present import name_of
from hub.console.refusals import refusal
from hub.console.roles import may
from hub.console.web import act, by, need, service
from hub.errors import HubError

bp = Blueprint("console_rollcall", __name__, template_folder="templates")
ROUNDS = 10


class RollcallForm(FlaskForm):  # type: ignore[misc]
    """Call the roll now: of every tier-1 duty room, or of the rooms picked (a room that
    missed this morning's call, checked again before the auditor phones it)."""

    units = SelectMultipleField(_l("Only these duty rooms"), validators=[Optional()])
    submit = SubmitField(_l("Call the roll now"))


def rollcall_form() -> RollcallForm:
    """The form with its choices: the duty rooms a round calls (tier 1, with a terminal)."""
    form = RollcallForm()
    rooms = [u for u in service().registry.units.values() if u.tier == 1 and u.terminal]
    form.units.choices = options([(u.id, name_of(u)) for u in rooms])
    return form


class RollcallCheckForm(FlaskForm):  # type: ignore[misc]
    """点名核实: what the auditor found on the phone to a room that did not answer."""

    result = SelectField(
        _l("Found"),
        choices=options(
            [("absent", _l("not on duty")), ("excused", _l("on duty, terminal or line at fault"))]
        ),
        validators=[AnyOf(RESULTS)],
    )
    remark = StringField(_l("Remark"), validators=[Optional(), Length(max=REMARK_MAX)])
    day = StringField(validators=[Optional(), Length(max=10)])
    submit = SubmitField(_l("Record"))


@bp.route("/rollcall")
def rollcall_page() -> str:
    user = need("view")
    rounds = service().rollcall_rounds(ROUNDS)
    return render_template(
        "console/rollcall.html",
        rounds=rounds,
        form=rollcall_form() if may(user.role, "command") else None,
    )


@bp.route("/rollcall", methods=["POST"])
def call_now() -> Response:
    need("command")
    form = rollcall_form()
    if not form.validate_on_submit():
        act("rollcall", outcome="invalid", detail={"errors": form.errors})
        reason = _("the form expired, try again") if "csrf_token" in form.errors else None
        for errors in form.errors.values():
            reason = reason or "; ".join(map(str, errors))
        flash(_("Not done: %(reason)s", reason=reason), "error")
        return redirect(url_for("console_rollcall.rollcall_page"))
    picked = list(form.units.data or [])
    detail = {"units": picked} if picked else {}
    try:
        round_id = service().rollcall_now(by=by(), units=picked or None)
    except HubError as exc:
        act("rollcall", outcome="refused", detail={**detail, "error": str(exc)})
        flash(_("Not done: %(reason)s", reason=refusal(exc)), "error")
    else:
        act("rollcall", target=round_id, detail=detail)
        if picked:
            flash(_("Roll-call sent to %(n)d duty rooms.", n=len(picked)), "ok")
        else:
            flash(_("Roll-call sent to every tier-1 duty room."), "ok")
    return redirect(url_for("console_rollcall.rollcall_page"))


@bp.route("/assessment/rollcalls/<rollcall_id>/check", methods=["POST"])
def check(rollcall_id: str) -> Response:
    """The auditor's check of a roll-call not answered in time (the day's spot check)."""
    need("spotcheck")
    form = RollcallCheckForm()
    day = form.day.data or ""
    back = redirect(
        url_for("console_spotchecks.queue", day=day) if day else url_for("console_spotchecks.queue")
    )
    if not form.validate_on_submit():
        act("rollcall_check", target=rollcall_id, outcome="invalid", detail=form.errors)
        flash(_("Not done: %(reason)s", reason=_("the form expired, try again")), "error")
        return back
    detail = {"result": form.result.data, "remark": form.remark.data or ""}
    try:
        found = spot_checks()
        checks = RollcallChecks(found.store, found.clock)
        checks.record(rollcall_id, by=by(), **detail)
    except RollcallCheckError as exc:
        act(
            "rollcall_check",
            target=rollcall_id,
            outcome="refused",
            detail={**detail, "error": str(exc)},
        )
        flash(_("Not done: %(reason)s", reason=refusal(exc)), "error")
    else:
        act("rollcall_check", target=rollcall_id, detail=detail)
        flash(_("Recorded."), "ok")
    return back
