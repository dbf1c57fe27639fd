"""Units and drills (blueprint `console_units`).

The units page puts what needs a phone call first: dark terminals, then degraded ones
(printer out of paper or faulty, GPS fix stale, reports piling up in the outbox, messages
the hub refused in the last 24 h), then the healthy ones, then the units that have no
terminal (registry `terminal = false`): their duty phones and 电话联络, never red 离线.
Drills (演练) go to one unit, a tier, or all; the service marks them as drills everywhere so
assessment leaves them out.
"""

from __future__ import annotations

from flask import Blueprint, flash, redirect, render_template, url_for
from flask_babel import gettext as _
from werkzeug.wrappers import Response

from hub.console.forms import DrillForm, options
from hub.console.present import name_of
from hub.console.refusals import refusal
from hub.console.roles import may
from hub.console.web import act, by, need, now, service
from hub.console.words import CLOCK_DRIFT_WARN_S
from hub.dispatch.views import UnitStatus
from hub.errors import HubError

bp = Blueprint("console_units", __name__, template_folder="templates")

GPS_STALE_S = 600.0
OUTBOX_BACKLOG = 5
PRINTER_OK = ("ok", "unknown", None, "")


def problems(unit: UnitStatus) -> list[str]:
    """What is wrong with a unit's terminal, as keys the template translates. A unit
    without a terminal has none to be wrong: it is reached by phone (电话联络)."""
    if not unit.terminal:
        return []
    found = []
    if unit.revoked:  # the hub sends it nothing (hub/revocation.py), whatever it says
        found.append("revoked")
    if not unit.online:
        found.append("offline")
    if unit.printer not in PRINTER_OK:
        found.append("printer")
    if unit.gps_fix_age_s is not None and unit.gps_fix_age_s > GPS_STALE_S:
        found.append("gps")
    if unit.outbox_depth is not None and unit.outbox_depth >= OUTBOX_BACKLOG:
        found.append("outbox")
    if unit.clock_offset_s is not None and abs(unit.clock_offset_s) > CLOCK_DRIFT_WARN_S:
        found.append("clock")
    if unit.refused:
        # Forged, malformed or wrongly dated messages: a terminal's clock, a flood, or
        # someone with its key. The count shows which (the `rejected` table says why).
        found.append("refused")
    return found


def ordered(units: list[UnitStatus]) -> list[tuple[UnitStatus, list[str]]]:
    """Terminals first: revoked (a stolen or retired terminal: someone must act), then dark,
    then degraded, then healthy; then the units reached by phone; by tier and id within
    each."""
    rows = [(u, problems(u)) for u in units]
    return sorted(
        rows,
        key=lambda r: (
            not r[0].terminal,
            not r[0].revoked,
            r[0].online,
            not r[1],
            r[0].tier,
            r[0].id,
        ),
    )


@bp.route("/units")
def units() -> str:
    """Every unit's terminal and its health."""
    user = need("view")
    rows = ordered(service().units_status())
    dark = sum(1 for u, _p in rows if u.terminal and not u.online)
    degraded = sum(1 for u, p in rows if u.terminal and u.online and p)
    by_phone = sum(1 for u, _p in rows if not u.terminal)
    return render_template(
        "console/units.html",
        rows=rows,
        dark=dark,
        degraded=degraded,
        by_phone=by_phone,
        server_now=now(),
        drill_form=_drill_form() if may(user.role, "command") else None,
    )


def _drill_form() -> DrillForm:
    registry = service().registry
    form = DrillForm()
    units = sorted(registry.units.values(), key=lambda u: (u.tier, u.id))
    categories = sorted(registry.categories.values(), key=lambda c: c.code)
    form.unit.choices = options([("", "—")] + [(u.id, name_of(u)) for u in units])
    form.category.choices = options([("", "—")] + [(c.code, name_of(c)) for c in categories])
    return form


def drill_targets(target: str, unit: str) -> list[str]:
    """The unit ids a drill goes to: one unit, every unit of a tier, or all."""
    registry = service().registry
    if target == "unit":
        return [unit] if unit in registry.units else []
    if target == "all":
        return sorted(registry.units)
    tier = int(target.removeprefix("tier"))
    return sorted(u.id for u in registry.units.values() if u.tier == tier)


@bp.route("/drills", methods=["GET", "POST"])
def drills() -> str | Response:
    """Send a drill order; GET shows the form alone."""
    need("command")
    form = _drill_form()
    if form.validate_on_submit():
        targets = drill_targets(form.target.data, form.unit.data or "")
        if not targets:
            form.unit.errors = [*form.unit.errors, _("Choose a unit.")]
        else:
            detail = {"target": form.target.data, "units": targets, "category": form.category.data}
            try:
                orders = service().send_drill(targets, by=by(), category=form.category.data or None)
            except HubError as exc:
                act("drill", outcome="refused", detail={**detail, "error": str(exc)})
                flash(_("Not done: %(reason)s", reason=refusal(exc)), "error")
            else:
                act("drill", target=form.target.data, detail=detail)
                flash(_("Drill sent to %(n)d units.", n=len(orders)), "ok")
                return redirect(url_for("console_units.units"))
    elif form.is_submitted():
        act("drill", outcome="invalid", detail={"errors": form.errors})
    return render_template("console/drills.html", form=form)
