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
from wtforms import SubmitField  # type: ignore[import-untyped]

from hub.console.roles import may
from hub.console.web import act, by, need, service
from hub.errors import HubError

bp = Blueprint("console_rollcall", __name__, template_folder="templates")
ROUNDS = 10


class RollcallForm(FlaskForm):  # type: ignore[misc]
    """Call the roll of every tier-1 duty room now: nothing to fill in but the token."""

    submit = SubmitField(_l("Call the roll now"))


@bp.route("/rollcall")
def rollcall_page() -> str:
    user = need("view")
    rounds = service().rollcall_rounds(ROUNDS)
    return render_template(
        "console/rollcall.html",
        rounds=rounds,
        form=RollcallForm() if may(user.role, "command") else None,
    )


@bp.route("/rollcall", methods=["POST"])
def call_now() -> Response:
    need("command")
    form = RollcallForm()
    if not form.validate_on_submit():
        act("rollcall", outcome="invalid", detail={"errors": form.errors})
        flash(_("Not done: %(reason)s", reason=_("the form expired, try again")), "error")
        return redirect(url_for("console_rollcall.rollcall_page"))
    try:
        round_id = service().rollcall_now(by=by())
    except HubError as exc:
        act("rollcall", outcome="refused", detail={"error": str(exc)})
        flash(_("Not done: %(reason)s", reason=str(exc)), "error")
    else:
        act("rollcall", target=round_id)
        flash(_("Roll-call sent to every tier-1 duty room."), "ok")
    return redirect(url_for("console_rollcall.rollcall_page"))
