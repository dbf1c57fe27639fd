"""One incident (blueprint `console_incidents`): timeline, map, and the actions on it.

Every action is a small POST form: the view checks the role, calls the one service method,
writes the audit row (refusals included) and returns to the page. The page listens to the
same event stream as the board and reloads its live part when this incident changes.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from flask import Blueprint, abort, flash, redirect, render_template, url_for
from flask_babel import gettext as _
from werkzeug.wrappers import Response

from hub.alerts.outbox import Notification, for_incident
from hub.console import maps, phone
from hub.console.forms import (
    AssistForm,
    CancelForm,
    CloseForm,
    NoteForm,
    ReassignForm,
    SelectChoice,
    options,
)
from hub.console.present import name_of
from hub.console.refusals import refusal
from hub.console.roles import Permission, may
from hub.console.web import act, by, need, now, service
from hub.dispatch.views import IncidentView
from hub.errors import Conflict, HubError, NotFound

bp = Blueprint("console_incidents", __name__, template_folder="templates")


def unit_choices() -> list[SelectChoice]:
    """Every unit of the registry as (id, name), tier 1 first."""
    units = sorted(service().registry.units.values(), key=lambda u: (u.tier, u.id))
    return options((u.id, name_of(u)) for u in units)  # names are unique in a registry


def _load(incident_id: str) -> IncidentView:
    try:
        return service().incident(incident_id)
    except NotFound:
        abort(404)


def county_map(incident: IncidentView) -> maps.MapView:
    """The offline map with this incident's place (its own position, else its township's)."""
    registry = service().registry
    towns = [(name_of(t), (t.lat, t.lon), t.urban) for t in registry.townships.values()]
    where: tuple[float, float] | None = None
    if incident.lat is not None and incident.lon is not None:
        where = (incident.lat, incident.lon)
    elif incident.township in registry.townships:
        t = registry.townships[incident.township]
        where = (t.lat, t.lon)
    return maps.build(towns, (incident.address, where) if where else None)


def sms_reason(error: str | None) -> str:
    """Why an SMS has not gone yet, in the reader's language (the raw text is the title)."""
    text = error or ""
    for needle, reason in (
        ("no network", _("the modem has no network")),
        ("SIM not ready", _("the modem's SIM card is not ready")),
        ("CME ERROR: 10", _("the modem's SIM card is not ready")),
        ("CMS ERROR", _("the SMS centre refused it")),
        ("SMS platform", _("the county SMS platform did not take it")),
    ):
        if needle in text:
            return str(reason)
    return _("the modem did not answer") if text else ""


def sms_rows(incident_id: str) -> list[tuple[Notification, str]]:
    """The incident's escalation SMS with their reasons, oldest first."""
    return [(n, sms_reason(n.last_error)) for n in for_incident(service().db_path, incident_id)]


def _context(incident_id: str) -> dict[str, Any]:
    user = need("view")
    incident = _load(incident_id)
    choices = unit_choices()
    assist = AssistForm(prefix="assist")
    assist.unit.choices = choices
    reassign = ReassignForm(prefix="reassign")
    reassign.unit.choices = choices
    return {
        "incident": incident,
        "map": county_map(incident),
        "server_now": now(),
        "can_dispatch": may(user.role, "dispatch"),
        "can_command": may(user.role, "command"),
        "assist_form": assist,
        "reassign_form": reassign,
        "cancel_form": CancelForm(prefix="cancel"),
        "close_form": CloseForm(prefix="close"),
        "note_form": NoteForm(prefix="note"),
        "sms": sms_rows(incident_id),
        # units without a terminal: their duty phones and the form (hub/console/phone.py)
        "phone_orders": phone.phone_orders(incident),
        "phone_form": phone.phone_form(incident),
    }


@bp.route("/incidents/<incident_id>")
def incident(incident_id: str) -> str:
    """The incident page."""
    return render_template("console/incident.html", **_context(incident_id))


@bp.route("/incidents/<incident_id>/live")
def live(incident_id: str) -> str:
    """The live part of the page (orders and timeline), for the event-driven refresh."""
    return render_template("console/_incident_live.html", **_context(incident_id))


def _do(
    permission: Permission,
    action: str,
    incident_id: str,
    form: Any,
    call: Callable[[], object],
    detail: dict[str, Any],
) -> Response:
    """Check, validate, call the service, audit, and go back to the incident page."""
    need(permission)
    back = redirect(url_for("console_incidents.incident", incident_id=incident_id))
    if not form.validate_on_submit():
        act(action, target=incident_id, outcome="invalid", detail={"errors": form.errors})
        for field, errors in form.errors.items():
            flash(f"{getattr(form, field).label.text}: {'; '.join(map(str, errors))}", "error")
        return back
    order_id = detail.get("order")
    try:
        if order_id and service().order(order_id).incident_id != incident_id:
            # The page names one incident; an order of another must not be changed (or
            # audited) under its name.
            raise NotFound(
                "order %(order)s is not part of incident %(incident)s",
                order=order_id,
                incident=incident_id,
            )
        call()
    except NotFound:
        act(action, target=incident_id, outcome="not_found", detail=detail)
        abort(404)
    except (Conflict, HubError) as exc:
        act(action, target=incident_id, outcome="refused", detail={**detail, "error": str(exc)})
        flash(_("Not done: %(reason)s", reason=refusal(exc)), "error")
        return back
    act(action, target=incident_id, detail=detail)
    flash(_("Done."), "ok")
    return back


@bp.route("/incidents/<incident_id>/assist", methods=["POST"])
def assist(incident_id: str) -> Response:
    """Order a further unit to the scene (视情指令)."""
    form = AssistForm(prefix="assist")
    form.unit.choices = unit_choices()
    return _do(
        "dispatch",
        "add_assist",
        incident_id,
        form,
        lambda: service().add_assist(
            incident_id, form.unit.data, by=by(), note=form.note.data or ""
        ),
        {"unit": form.unit.data, "note": form.note.data},
    )


@bp.route("/incidents/<incident_id>/reassign", methods=["POST"])
def reassign(incident_id: str) -> Response:
    """Move an order to another unit."""
    form = ReassignForm(prefix="reassign")
    form.unit.choices = unit_choices()
    return _do(
        "command",
        "reassign",
        incident_id,
        form,
        lambda: service().reassign(
            form.order_id.data, form.unit.data, by=by(), reason=form.reason.data or ""
        ),
        {"order": form.order_id.data, "unit": form.unit.data, "reason": form.reason.data},
    )


@bp.route("/incidents/<incident_id>/cancel", methods=["POST"])
def cancel(incident_id: str) -> Response:
    """Cancel one order."""
    form = CancelForm(prefix="cancel")
    return _do(
        "command",
        "cancel_order",
        incident_id,
        form,
        lambda: service().cancel_order(form.order_id.data, by=by(), reason=form.reason.data),
        {"order": form.order_id.data, "reason": form.reason.data},
    )


@bp.route("/incidents/<incident_id>/close", methods=["POST"])
def close(incident_id: str) -> Response:
    """Close the incident."""
    form = CloseForm(prefix="close")
    return _do(
        "command",
        "close_incident",
        incident_id,
        form,
        lambda: service().close_incident(incident_id, by=by(), note=form.note.data or ""),
        {"note": form.note.data},
    )


@bp.route("/incidents/<incident_id>/note", methods=["POST"])
def note(incident_id: str) -> Response:
    """Write a note on the timeline."""
    form = NoteForm(prefix="note")
    return _do(
        "dispatch",
        "note",
        incident_id,
        form,
        lambda: service().add_note(incident_id, form.text.data, by=by()),
        {"text": form.text.data},
    )
