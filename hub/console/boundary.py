"""The 110 gate page, 边界交换 (blueprint `console_boundary`, page `/boundary`).

What the people running the exchange with 110 need to see at a glance: the files that came
in through the gate and what became of each (taken, or refused and why, in the reader's
language), the status files still owed to 110 and how old the oldest is, and a red banner
when outbound/ cannot take files (the bridge keeps the changes and retries, but 110 hears
nothing until someone frees the folder). A refused file can be put back into inbound/ once
its cause is fixed (usually the county's mapping); that is a supervisor's or an admin's
call and is written to the audit log. The bridge itself (`hub.sources.boundary.Bridge`)
does the work; this page only reads it and asks it to re-process.
"""

from __future__ import annotations

from typing import Any

from flask import Blueprint, abort, current_app, flash, redirect, render_template, request, url_for
from flask_babel import get_locale
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from werkzeug.wrappers import Response

from hub.console.roles import may
from hub.console.web import act, need
from hub.db.times import parse_ts
from hub.errors import NotFound
from hub.sources.boundary.bridge import APP_KEY, Bridge

bp = Blueprint("console_boundary", __name__, template_folder="templates")

RECENT = 100
DONE_LABELS = {
    "created": _l("new incident"),
    "updated": _l("incident updated"),
    "cancelled": _l("incident cancelled by 110"),
    "repeat": _l("already taken (repeat)"),
}


class ReprocessForm(FlaskForm):  # type: ignore[misc]
    """A bare form (CSRF token only) for the re-process button of one refused file."""


def bridge() -> Bridge | None:
    """The running bridge, or None when hub.toml has no `[boundary]`."""
    found: Bridge | None = current_app.extensions.get(APP_KEY)
    return found


def _row(r: dict[str, Any], english: bool) -> dict[str, Any]:
    """One journal row as the page shows it: Beijing time from `local`, the 110 number
    rather than our incident id, the refusal in the reader's language."""
    why = r.get("why") or {}
    if r["outcome"] == "done":
        fate = str(DONE_LABELS.get(r["reason"], r["reason"]))
    else:
        fate = str(why.get("en" if english else "zh") or r["reason"])
    where = [
        f"{label} {why[key]}"
        for key, label in (("field", _("field")), ("element", _("element")), ("line", _("line")))
        if why.get(key) is not None and f"{label} {why[key]}" not in fate
    ]  # (the hub's field errors already name the field in their text)
    return {
        "at": parse_ts(r["at"]),
        "name": r["name"],
        "outcome": r["outcome"],
        "fate": fate,
        "where": ", ".join(where),
        "limit": why.get("limit"),
        "number": r.get("source_id"),
        "incident_id": r.get("incident_id"),
        "rejected_name": r.get("rejected_name"),
    }


@bp.route("/boundary")
def boundary_page() -> str:
    """Inbound files and their fate, the outbound backlog, the banner when it is stuck."""
    user = need("boundary")
    b = bridge()
    if b is None:
        return render_template("console/boundary.html", bridge=None)
    english = str(get_locale() or "zh").startswith("en")
    rows = [_row(r, english) for r in b.recent_files(RECENT)]
    return render_template(
        "console/boundary.html",
        bridge=b,
        rows=rows,
        out=b.outbound_status(),
        waiting=b.waiting(),
        folders=b.folders,
        form=ReprocessForm(),
        may_reprocess=may(user.role, "reprocess"),
    )


@bp.route("/boundary/reprocess", methods=["POST"])
def reprocess() -> Response:
    """Put one refused file back into inbound/ (the bridge takes it on its next pass)."""
    need("reprocess")
    if not ReprocessForm().validate_on_submit():
        abort(400)
    name = request.form.get("name", "")
    b = bridge()
    if b is None:
        act("boundary_reprocess", target=name, outcome="not_configured")
        abort(404)
    try:
        into = b.reprocess(name)
    except NotFound:
        act("boundary_reprocess", target=name, outcome="not_found")
        flash(_("No refused file of that name (already put back?)."), "error")
        return redirect(url_for("console_boundary.boundary_page"))
    act("boundary_reprocess", target=name, detail={"inbound": into})
    flash(_("%(name)s is back in inbound/ and will be taken again.", name=into), "ok")
    return redirect(url_for("console_boundary.boundary_page"))
