"""The daily spot check (日常抽查) and appeals (申诉) in the console (blueprint
`console_spotchecks`).

The auditor draws a day's sample, works through it order by order (callback to the caller,
dress and equipment, handling as observed) and decides appeals; a supervisor files an
appeal on a unit's behalf. Every write goes through `SpotChecks`, the one writer of the
assessment tables, which keeps each record append-only with its author and time; the
console adds the same action to its own audit log (`console_audit`), refusals included,
so the auditor's work shows beside every other state-changing request. A correction is a
new finding that supersedes the old one, never an edit.
"""

from __future__ import annotations

from datetime import date, timedelta
from typing import Any

from flask import Blueprint, abort, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from werkzeug.wrappers import Response

from hub.assessment import periods
from hub.assessment.evidence import read_orders
from hub.assessment.findings import Appeal, Finding, excused_stages
from hub.assessment.judge import OrderRow, judge
from hub.assessment.spotcheck import SpotCheckError
from hub.console.assessment import flag_labels, readonly, spot_checks, stage_cells, today
from hub.console.assessment_forms import SATISFACTION, AppealForm, DayForm, DecideForm, FindingForm
from hub.console.roles import may
from hub.console.rollcall import RollcallCheckForm
from hub.console.web import act, by, need, now, service
from hub.db.times import parse_ts
from hub.errors import NotFound

bp = Blueprint("console_spotchecks", __name__, template_folder="templates")


def judged(order_id: str) -> OrderRow:
    """One order judged as the reports judge it (its dispatch day read, as of now)."""
    try:
        dispatched = service().order(order_id).dispatched_at
    except NotFound:
        abort(404)
    day = periods.day(periods.beijing_day(dispatched))
    with readonly() as conn:
        facts = [f for f in read_orders(conn, day.start, day.end, now()) if f.order_id == order_id]
        excused = excused_stages(conn)
    if not facts or facts[0].drill:
        abort(404)
    return judge(facts[0], now(), excused)


def _day_arg() -> date:
    """?day=YYYY-MM-DD, else yesterday (Beijing): a finished day is what gets checked."""
    raw = request.args.get("day", "")
    if not raw:
        return today() - timedelta(days=1)
    try:
        return date.fromisoformat(raw)
    except ValueError:
        abort(404)


@bp.route("/assessment/spot-checks")
def queue() -> str:
    """The day's work queue: the sample (drawn once, then fixed) and what is done."""
    user = need("assessment")
    day = _day_arg()
    checks = spot_checks()
    items = checks.queue(day)
    svc = service()
    rows = []
    for item in items:
        order = svc.order(item.order_id)
        incident = svc.incident(order.incident_id)
        kinds = {f.kind for f in item.findings}
        rows.append({"item": item, "order": order, "incident": incident, "kinds": kinds})
    form = DayForm(formdata=None, data={"day": day}) if may(user.role, "spotcheck") else None
    return render_template(
        "console/spotchecks.html",
        day=day,
        rows=rows,
        day_orders=len(checks.day_orders(day)) if not items else None,
        form=form,
        prev_day=day - timedelta(days=1),
        next_day=day + timedelta(days=1) if day < today() else None,
        missed_rollcalls=[
            {
                "id": m.rollcall_id,
                "unit": m.unit,
                "called_at": parse_ts(m.called_at),
                "answer_by": parse_ts(m.answer_by),
                "check": m.check,
            }
            for m in checks.missed_rollcalls(day)
        ],
        rollcall_form=RollcallCheckForm() if may(user.role, "spotcheck") else None,
    )


@bp.route("/assessment/spot-checks/draw", methods=["POST"])
def draw() -> Response:
    need("spotcheck")
    form = DayForm()
    if not form.validate_on_submit():
        act("spot_check_draw", outcome="invalid", detail={"errors": form.errors})
        abort(400)
    day: date = form.day.data
    if day > today():
        flash(_("A day still ahead cannot be drawn."), "error")
        act("spot_check_draw", target=day.isoformat(), outcome="refused")
    else:
        picked = spot_checks().draw(day, by=by())
        act("spot_check_draw", target=day.isoformat(), detail={"orders": len(picked)})
        flash(_("Sample drawn: %(n)d orders.", n=len(picked)), "ok")
    return redirect(url_for("console_spotchecks.queue", day=day.isoformat()))


@bp.route("/assessment/orders/<order_id>")
def order_page(order_id: str) -> str:
    """One counted order: its judged stages, its findings (all, superseded ones too), its
    appeals; the auditor records and corrects here, a supervisor appeals."""
    user = need("assessment")
    row = judged(order_id)
    checks = spot_checks()
    history = checks.history(order_id)
    appeals = [a for a in checks.appeals() if a.order_id == order_id]
    superseded = {f.supersedes for f in history if f.supersedes}
    struck = {a.finding_id for a in appeals if a.finding_id and a.upheld}
    incident = service().incident(row.facts.incident_id)
    return render_template(
        "console/spotcheck_order.html",
        row=row,
        cells=stage_cells(row),
        flags=flag_labels(row),
        incident=incident,
        history=history,
        standing={f.id for f in history if f.id not in superseded and f.id not in struck},
        superseded=superseded,
        struck=struck,
        appeals=appeals,
        appealable=[c for c in stage_cells(row) if c["status"] in ("late", "missed")],
        satisfaction=SATISFACTION,
        records=may(user.role, "spotcheck"),
        files=may(user.role, "appeal"),
        finding_form=FindingForm(formdata=None),
        appeal_form=AppealForm(formdata=None),
        decide_form=DecideForm(formdata=None),
    )


def _yes_no(value: str | None) -> bool | None:
    return {"yes": True, "no": False}.get(value or "")


def _finding_args(form: FindingForm) -> dict[str, Any]:
    sat = form.satisfaction.data
    return {
        "reached": _yes_no(form.reached.data),
        "satisfaction": int(sat) if sat else None,
        "ok": _yes_no(form.ok.data),
        "remark": (form.remark.data or "").strip(),
    }


def _back(order_id: str) -> Response:
    return redirect(url_for("console_spotchecks.order_page", order_id=order_id))


@bp.route("/assessment/orders/<order_id>/findings", methods=["POST"])
def record(order_id: str) -> Response:
    """A new finding: callback, dress and equipment, or handling."""
    need("spotcheck")
    form = FindingForm()
    if not form.validate_on_submit():
        act("spot_check_finding", target=order_id, outcome="invalid", detail=form.errors)
        abort(400)
    args = _finding_args(form)
    kind = form.kind.data
    checks = spot_checks()
    try:
        if kind == "callback":
            f = checks.record_callback(
                order_id,
                reached=args["reached"],
                satisfaction=args["satisfaction"],
                remark=args["remark"],
                by=by(),
            )
        elif kind == "dress":
            f = checks.record_dress(order_id, ok=args["ok"], remark=args["remark"], by=by())
        else:
            f = checks.record_handling(order_id, ok=args["ok"], remark=args["remark"], by=by())
    except SpotCheckError as e:
        return _refused("spot_check_finding", order_id, {"kind": kind, **args}, e)
    act("spot_check_finding", target=order_id, detail=_detail(f))
    flash(_("Recorded."), "ok")
    return _back(order_id)


@bp.route("/assessment/findings/<finding_id>/correct", methods=["POST"])
def correct(finding_id: str) -> Response:
    """A correction: a new record that supersedes the finding, which stays on record."""
    need("spotcheck")
    form = FindingForm()
    if not form.validate_on_submit():
        act("spot_check_correct", target=finding_id, outcome="invalid", detail=form.errors)
        abort(400)
    args = _finding_args(form)
    checks = spot_checks()
    try:
        old = checks.finding(finding_id)
    except SpotCheckError:
        abort(404)
    try:
        f = checks.correct(finding_id, by=by(), **args)
    except SpotCheckError as e:
        return _refused("spot_check_correct", old.order_id, {"supersedes": finding_id}, e)
    act("spot_check_correct", target=old.order_id, detail=_detail(f))
    flash(_("Corrected: the earlier record stays, marked as superseded."), "ok")
    return _back(old.order_id)


@bp.route("/assessment/orders/<order_id>/appeals", methods=["POST"])
def appeal(order_id: str) -> Response:
    """A supervisor's appeal for the unit: against a finding (`finding:ID`) or a stage's
    late mark (`stage:ack`)."""
    need("appeal")
    form = AppealForm()
    if not form.validate_on_submit():
        act("appeal_file", target=order_id, outcome="invalid", detail=form.errors)
        abort(400)
    what, _sep, key = form.target.data.partition(":")
    reason = form.reason.data.strip()
    checks = spot_checks()
    try:
        if what == "stage":
            a = checks.appeal_stage(order_id, key, reason=reason, by=by())
        elif what == "finding" and any(f.id == key for f in checks.history(order_id)):
            a = checks.appeal_finding(key, reason=reason, by=by())
        else:
            abort(400)
    except SpotCheckError as e:
        return _refused("appeal_file", order_id, {"target": form.target.data}, e)
    act("appeal_file", target=order_id, detail=_appeal_detail(a))
    flash(_("Appeal filed; the auditor decides."), "ok")
    return _back(order_id)


@bp.route("/assessment/appeals")
def appeals() -> str:
    """Every appeal, undecided first, with the latest decision."""
    user = need("assessment")
    found = spot_checks().appeals()
    found.sort(key=lambda a: (a.upheld is not None, a.filed_at))
    return render_template(
        "console/appeals.html",
        appeals=found,
        decides=may(user.role, "spotcheck"),
        decide_form=DecideForm(formdata=None),
    )


@bp.route("/assessment/appeals/<appeal_id>/decide", methods=["POST"])
def decide(appeal_id: str) -> Response:
    """The auditor's decision; the figures follow the latest one."""
    need("spotcheck")
    form = DecideForm()
    if not form.validate_on_submit():
        act("appeal_decide", target=appeal_id, outcome="invalid", detail=form.errors)
        abort(400)
    upheld = form.upheld.data == "yes"
    try:
        a = spot_checks().decide(
            appeal_id, upheld=upheld, remark=(form.remark.data or "").strip(), by=by()
        )
    except SpotCheckError as e:
        act("appeal_decide", target=appeal_id, outcome="refused", detail={"error": str(e)})
        abort(404)
    act("appeal_decide", target=a.order_id, detail={**_appeal_detail(a), "upheld": upheld})
    flash(_("Decision recorded."), "ok")
    back = request.form.get("back", "")
    if back == "order":
        return _back(a.order_id)
    return redirect(url_for("console_spotchecks.appeals"))


def _refused(action: str, order_id: str, detail: dict[str, Any], error: Exception) -> Response:
    act(action, target=order_id, outcome="refused", detail={**detail, "error": str(error)})
    flash(_("Not recorded: %(reason)s", reason=str(error)), "error")
    return _back(order_id)


def _detail(f: Finding) -> dict[str, Any]:
    return {
        "finding": f.id,
        "kind": f.kind,
        "reached": f.reached,
        "satisfaction": f.satisfaction,
        "ok": f.ok,
        "remark": f.remark,
        "supersedes": f.supersedes,
    }


def _appeal_detail(a: Appeal) -> dict[str, Any]:
    return {"appeal": a.id, "unit": a.unit, "finding": a.finding_id, "stage": a.stage}
