"""Orders to units without a terminal (blueprint `console_phone`): the incident page shows
the unit's duty phones, and the operator records what the unit said on the phone.

The record goes through `Desk.record_by_phone` (hub/dispatch/phone_reports.py) with the
operator as its source; every attempt, refused ones included, is an audit row.
"""

from __future__ import annotations

from flask import Blueprint, abort, flash, redirect, url_for
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from werkzeug.wrappers import Response

from hub.console.forms import PhoneRecordForm, options
from hub.console.present import label, name_of
from hub.console.refusals import refusal
from hub.console.web import act, by, need, service
from hub.dispatch.ledger import ACTIVE_STATES
from hub.dispatch.views import IncidentView, OrderView
from hub.errors import HubError, NotFound
from hub.registry import Unit
from wire.kinds import RESULT_NAMES

bp = Blueprint("console_phone", __name__, template_folder="templates")


def phone_orders(incident: IncidentView) -> list[tuple[OrderView, Unit]]:
    """The incident's running orders to units reached by phone, with their registry entry."""
    units = service().registry.units
    return [
        (o, units[o.unit])
        for o in incident.orders
        if not o.terminal and o.state in ACTIVE_STATES and o.unit in units
    ]


def phone_form(incident: IncidentView) -> PhoneRecordForm:
    form = PhoneRecordForm(prefix="phone")
    form.order_id.choices = options(
        (o.id, f"{name_of(u)} · {label(o.role)}") for o, u in phone_orders(incident)
    )
    form.result_code.choices = options([("", "—"), *RESULTS.items()])
    return form


RESULTS = {
    "resolved": _l("resolved"),
    "referred": _l("referred elsewhere"),
    "no_action_needed": _l("no action needed"),
    "unable": _l("could not be handled"),
    "false_report": _l("false report"),
}
"""处置结果 (`wire.kinds.ResultCode`), in the reader's language."""
assert set(RESULTS) == set(RESULT_NAMES)  # noqa: S101 - one list of result codes


@bp.route("/incidents/<incident_id>/phone", methods=["POST"])
def record(incident_id: str) -> Response:
    """电话录入: one step told on the phone by a unit without a terminal; audited."""
    need("dispatch")
    back = redirect(url_for("console_incidents.incident", incident_id=incident_id))
    try:
        incident = service().incident(incident_id)
    except NotFound:
        abort(404)
    form = phone_form(incident)
    detail = {
        "order": form.order_id.data,
        "step": form.step.data,
        "taken_by": form.taken_by.data,
        "result_code": form.result_code.data,
        "text": form.text.data,
    }
    if not form.validate_on_submit():  # an order not among this incident's phone orders too
        act("phone_record", target=incident_id, outcome="invalid", detail={"errors": form.errors})
        for field, errors in form.errors.items():
            flash(f"{getattr(form, field).label.text}: {'; '.join(map(str, errors))}", "error")
        return back
    try:
        service().record_by_phone(
            form.order_id.data,
            form.step.data,
            by=by(),
            taken_by=form.taken_by.data or "",
            result_code=form.result_code.data or "",
            text=form.text.data or "",
        )
    except HubError as exc:
        act(
            "phone_record",
            target=incident_id,
            outcome="refused",
            detail={**detail, "error": str(exc)},
        )
        flash(_("Not done: %(reason)s", reason=refusal(exc)), "error")
        return back
    act("phone_record", target=incident_id, detail=detail)
    flash(_("Phone call recorded."), "ok")
    return back
