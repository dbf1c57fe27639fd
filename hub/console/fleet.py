"""Fleet software updates (blueprint `console_fleet`, docs/updates.md): for admins, the
versions the terminals run, the releases kept, the rollout under way with each unit's
progress and failure, and the three steps of a rollout (start with canaries, advance to a
share or all, halt). Every step is audited; the work is hub/fleet/'s."""

from __future__ import annotations

import json
from datetime import datetime
from typing import Any

from flask import Blueprint, abort, current_app, flash, redirect, render_template, url_for
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from werkzeug.wrappers import Response

from hub.console.fleet_forms import AdvanceForm, HaltForm, RolloutForm
from hub.console.forms import options
from hub.console.present import name_of
from hub.console.refusals import refusal
from hub.console.web import act, by, need
from hub.db.times import parse_ts
from hub.errors import HubError
from hub.fleet.service import Fleet, terminal_units
from hub.fleet.web import EXTENSION

bp = Blueprint("console_fleet", __name__, template_folder="templates")

FAILURE_REASONS = {
    "not_ready": _l("not ready and connected in time"),
    "crashed": _l("kept failing to start"),
    "install_failed": _l("installation failed"),
    "refused": _l("bundle refused"),
    "interrupted": _l("switch interrupted"),
}
"""wire.kinds.UpdateFailureReason in words."""


def fleet() -> Fleet:
    found: Fleet | None = current_app.extensions.get(EXTENSION)
    if found is None:
        abort(404)
    return found


def _rollout_form(f: Fleet) -> RolloutForm:
    form = RolloutForm()
    form.version.choices = options([(r["version"], r["version"]) for r in f.releases.all()])
    units = f.registry.units
    form.canary.choices = options(
        [(u, f"{name_of(units[u])} ({u})") for u in terminal_units(f.registry)]
    )
    return form


def _progress(f: Fleet, rollout: dict[str, Any] | None) -> dict[str, Any] | None:
    if rollout is None:
        return None
    targets = f.rollouts.targets(rollout["id"])
    for t in targets:
        t["unit_obj"] = f.registry.units.get(t["unit"])
        for key in ("offered_at", "updated_at", "failed_at"):
            t[key] = parse_ts(t[key])
    return {
        "rollout": {
            **rollout,
            "started": parse_ts(rollout["started_at"]),
            "updated": parse_ts(rollout["updated_at"]),
        },
        "targets": targets,
        "updated": sum(1 for t in targets if t["updated_at"]),
        "failed": [t for t in targets if t["failed_at"]],
        "waiting": sum(1 for t in targets if not t["updated_at"] and not t["failed_at"]),
        "fleet_size": len(terminal_units(f.registry)),
    }


@bp.route("/fleet")
def fleet_page() -> str:
    need("fleet")
    f = fleet()
    f.sync()
    active = f.rollouts.active()
    recent = f.rollouts.recent(5)
    shown = active or (recent[0] if recent else None)
    state = f.unit_state()
    units = [
        (f.registry.units[u], state.get(u, {}), _failure(state.get(u, {})))
        for u in terminal_units(f.registry)
    ]
    releases = [{**r, "added": parse_ts(r["added_at"])} for r in f.releases.all()]
    return render_template(
        "console/fleet.html",
        versions=f.versions(),
        units=units,
        releases=releases,
        progress=_progress(f, shown),
        recent=recent,
        rollout_form=_rollout_form(f) if active is None and releases else None,
        advance_form=AdvanceForm() if active else None,
        halt_form=HaltForm() if active else None,
        reasons=FAILURE_REASONS,
    )


def _failure(state: dict[str, Any]) -> dict[str, Any] | None:
    raw = state.get("update_failed")
    if not raw:
        return None
    try:
        data = json.loads(raw)
    except ValueError:
        return None
    if not isinstance(data, dict):
        return None
    try:
        data["at"] = datetime.fromisoformat(str(data.get("at")))
    except ValueError:
        data["at"] = None
    return data


def _done(action: str, detail: dict[str, Any], step: Any) -> Response:
    try:
        step()
    except HubError as exc:
        act(action, outcome="refused", detail={**detail, "error": str(exc)})
        flash(_("Not done: %(reason)s", reason=refusal(exc)), "error")
    else:
        act(action, target=str(detail.get("version", "")), detail=detail)
        flash(_("Done."), "ok")
    return redirect(url_for("console_fleet.fleet_page"))


@bp.route("/fleet/start", methods=["POST"])
def start() -> Response:
    need("fleet")
    f = fleet()
    form = _rollout_form(f)
    if not form.validate_on_submit():
        act("rollout_start", outcome="invalid", detail={"errors": form.errors})
        flash(_("Choose a release and at least one canary unit."), "error")
        return redirect(url_for("console_fleet.fleet_page"))
    detail = {
        "version": form.version.data,
        "canary": list(form.canary.data),
        "allow_downgrade": bool(form.allow_downgrade.data),
    }
    return _done(
        "rollout_start",
        detail,
        lambda: f.rollouts.start(
            form.version.data,
            list(form.canary.data),
            by=by(),
            allow_downgrade=bool(form.allow_downgrade.data),
        ),
    )


@bp.route("/fleet/advance", methods=["POST"])
def advance() -> Response:
    need("fleet")
    f = fleet()
    form = AdvanceForm()
    if not form.validate_on_submit() or (not form.to_all.data and not form.percent.data):
        act("rollout_advance", outcome="invalid", detail={"errors": form.errors})
        flash(_("Give a share between 1 and 99 %, or choose all units."), "error")
        return redirect(url_for("console_fleet.fleet_page"))
    percent = None if form.to_all.data else int(form.percent.data)
    active = f.rollouts.active() or {}
    detail = {"version": active.get("version", ""), "percent": percent or 100}
    return _done("rollout_advance", detail, lambda: f.rollouts.advance(percent=percent, by=by()))


@bp.route("/fleet/halt", methods=["POST"])
def halt() -> Response:
    need("fleet")
    f = fleet()
    form = HaltForm()
    if not form.validate_on_submit():
        act("rollout_halt", outcome="invalid", detail={"errors": form.errors})
        flash(_("Say why the rollout is halted."), "error")
        return redirect(url_for("console_fleet.fleet_page"))
    active = f.rollouts.active() or {}
    detail = {"version": active.get("version", ""), "reason": form.reason.data}
    return _done("rollout_halt", detail, lambda: f.rollouts.halt(by=by(), reason=form.reason.data))
