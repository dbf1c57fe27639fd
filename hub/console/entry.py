"""Manual entry at the dedicated seat (blueprint `console_entry`).

The form goes through `service.intake(data, source="console")`, the same path as the API,
so a console incident is validated, routed and stored exactly like one from 110. The hidden
`source_id` is made when the form is first shown: pressing "dispatch" twice (or the
browser re-posting) returns the same incident instead of dispatching two crews.
"""

from __future__ import annotations

from flask import Blueprint, flash, redirect, render_template, url_for
from flask.typing import ResponseReturnValue
from flask_babel import get_locale
from flask_babel import gettext as _

from hub.console import maps
from hub.console.forms import EntryForm, options
from hub.console.present import label, name_of
from hub.console.web import act, need, now, service
from hub.errors import IntakeError
from wire.clock import rfc3339
from wire.ids import new_id

bp = Blueprint("console_entry", __name__, template_folder="templates")

PRIORITIES = ("critical", "urgent", "normal")


def _form() -> EntryForm:
    registry = service().registry
    form = EntryForm()
    form.category.choices = options(
        (c.code, name_of(c)) for c in sorted(registry.categories.values(), key=lambda c: c.code)
    )
    form.township.choices = options((t.id, name_of(t)) for t in registry.townships.values())
    form.priority.choices = options(
        [("", _("as the category says"))] + [(p, label(p)) for p in PRIORITIES]
    )
    if not form.is_submitted():
        form.source_id.data = f"console-{new_id()}"
    return form


@bp.route("/entry", methods=["GET", "POST"])
def entry() -> ResponseReturnValue:
    """Show the form; on a valid post, take the incident in and open its page."""
    need("dispatch")
    form = _form()
    if form.validate_on_submit() and _position_ok(form):
        data = {
            "source_id": form.source_id.data,
            "category": form.category.data,
            "township": form.township.data,
            "address": form.address.data,
            "caller_phone": form.caller_phone.data or "",
            "summary": form.summary.data,
            "reported_at": rfc3339(now()),
        }
        if form.priority.data:
            data["priority"] = form.priority.data
        if form.arrive_min.data is not None:
            data["arrive_min"] = form.arrive_min.data
        if form.lat.data is not None and form.lon.data is not None:
            data["lat"] = round(form.lat.data, 6)
            data["lon"] = round(form.lon.data, 6)
        try:
            incident, created = service().intake(data, source="console")
        except IntakeError as exc:
            english = str(get_locale() or "zh").startswith("en")
            for field, (zh, en) in exc.details.items():
                target = getattr(form, field, None)
                message = en if english else zh
                if target is not None and target.type != "HiddenField":
                    target.errors = [*target.errors, message]
                else:
                    flash(f"{field}: {message}", "error")
            act("intake", outcome="invalid", detail={"errors": exc.errors})
            return render_template("console/entry.html", form=form, map=pick_map()), 422
        # The caller's phone stays out of the audit log: the incident keeps it masked.
        act(
            "intake",
            target=incident.id,
            detail={
                "created": created,
                "category": incident.category,
                "source_id": data["source_id"],
            },
        )
        flash(_("Incident entered and dispatched.") if created else _("Already entered."), "ok")
        return redirect(url_for("console_incidents.incident", incident_id=incident.id))
    if form.is_submitted():
        act("intake", outcome="invalid", detail={"errors": form.errors})
    return render_template("console/entry.html", form=form, map=pick_map())


def pick_map() -> maps.MapView:
    """The county map to pick the position on (townships labelled, no incident yet)."""
    towns = [(name_of(t), (t.lat, t.lon), t.urban) for t in service().registry.townships.values()]
    return maps.build(towns, None)


def _position_ok(form: EntryForm) -> bool:
    """Both coordinates or neither, and inside the county: a position elsewhere is a typo
    (or the other county) and would send a crew the wrong way."""
    lat, lon = form.lat.data, form.lon.data
    if lat is None and lon is None:
        return True
    if lat is None or lon is None:
        missing = form.lat if lat is None else form.lon
        missing.errors = [*missing.errors, _("Give both latitude and longitude, or neither.")]
        return False
    towns = [(t.lat, t.lon) for t in service().registry.townships.values()]
    lat_min, lat_max, lon_min, lon_max = maps.bounds(towns)
    if lat_min <= lat <= lat_max and lon_min <= lon <= lon_max:
        return True
    lats, lons = f"{lat_min:.3f}–{lat_max:.3f}", f"{lon_min:.3f}–{lon_max:.3f}"
    outside = _("Outside the county (latitude %(lat)s, longitude %(lon)s).", lat=lats, lon=lons)
    form.lat.errors = [*form.lat.errors, outside]
    return False
