"""Stored codes as words: detail keys, detail values, audit actions and outcomes.

The audit log and the timeline store what happened as codes (`password_change`,
`outcome refused`, `via button`) because codes are what tests and tools compare. A person
reads words: this module is where a code becomes one, in the reader's language, and where
an unknown code still becomes something readable (underscores to spaces), never JSON.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from flask import Flask
from flask_babel import gettext

from hub.console.present import label, local


def _(text: str, **values: object) -> str:
    """gettext, typed: the translated text as a `str`."""
    return str(gettext(text, **values))


POSITION_DECIMALS = 5
"""About a metre: enough to find a gate, without the float's noise (24.225981666666666)."""


def position(value: object) -> str:
    """`[lat, lon]` (or a dict with lat/lon) as `24.22598, 101.12345`; the value itself
    when it is not a position."""
    pair: Any = value
    if isinstance(value, dict):
        pair = (value.get("lat"), value.get("lon"))
    if isinstance(pair, list | tuple) and len(pair) == 2:
        try:
            lat, lon = float(pair[0]), float(pair[1])
        except (TypeError, ValueError):
            return value_text(value)
        return f"{lat:.{POSITION_DECIMALS}f}, {lon:.{POSITION_DECIMALS}f}"
    return value_text(value)


def when(value: object, fmt: str = "%m-%d %H:%M:%S") -> str:
    """A stored UTC time as Beijing time (month-day hour:minute:second by default)."""
    if isinstance(value, str):
        try:
            return local(datetime.fromisoformat(value.replace("Z", "+00:00")), fmt)
        except ValueError:
            return value
    return value_text(value)


def value_text(value: object) -> str:
    """Any detail value in words: known codes translated, times in Beijing time, floats
    rounded, lists joined, nested records as `label value` pairs."""
    if isinstance(value, bool):
        return _("yes") if value else _("no")
    if isinstance(value, float):
        return f"{value:.{POSITION_DECIMALS}f}".rstrip("0").rstrip(".")
    if isinstance(value, dict):
        return "，".join(f"{key_label(k)} {value_text(v)}" for k, v in sorted(value.items()))
    if isinstance(value, list | tuple):
        return "、".join(value_text(v) for v in value)
    text = str(value)
    reason = _reasons().get(text)
    if reason is not None:
        return reason
    if len(text) >= 16 and text[4:5] == "-" and text[10:11] == "T":
        return when(text)
    return label(text)


def _reasons() -> dict[str, str]:
    """Refusal reasons the login code records (hub/console/users.py, throttle.py)."""
    return {
        "unknown user": _("unknown user"),
        "wrong password": _("wrong password"),
        "unknown user, now locked": _("unknown user, now locked"),
        "wrong password, now locked": _("wrong password, now locked"),
        "disabled": _("account disabled"),
        "address blocked": _("address blocked"),
        "locked": _("locked"),
        "account slowed": _("account slowed"),
        "wrong current password": _("wrong current password"),
    }


def key_label(key: str) -> str:
    """The word for a detail key; the key with spaces for underscores when unknown."""
    known = _key_labels().get(key)
    return known if known is not None else key.replace("_", " ")


def _key_labels() -> dict[str, str]:
    return {
        "role": _("role"),
        "reason": _("reason"),
        "note": _("note"),
        "text": _("text"),
        "unit": _("unit"),
        "units": _("units"),
        "order": _("order"),
        "error": _("error"),
        "errors": _("errors"),
        "deadline": _("deadline"),
        "due_at": _("due"),
        "fired_at": _("alarm raised"),
        "via": _("by"),
        "rev": _("version"),
        "result_code": _("result"),
        "position": _("position"),
        "signed_at": _("signed at"),
        "source": _("source"),
        "source_id": _("number"),
        "category": _("category"),
        "serial": _("certificate serial"),
        "format": _("format"),
        "bytes": _("bytes"),
        "inbound": _("inbound folder"),
        "orders": _("orders"),
        "origin": _("origin"),
        "upheld": _("upheld"),
        "to": _("to"),
        "kind": _("kind"),
        "notes": _("notes"),
        "changes": _("changes"),
        "drill": _("drill"),
    }


def action_name(action: str) -> str:
    """An audit action (`password_change`) in words; a refused page (`denied:<endpoint>`)
    as "opened a page it may not"."""
    if action.startswith("denied:"):
        return _("refused page")
    known = {
        "login": _("log in"),
        "logout": _("log out"),
        "password_change": _("change password"),
        "user_create": _("create user"),
        "user_reset": _("reset password"),
        "user_disable": _("disable user"),
        "user_enable": _("enable user"),
        "intake": _("manual entry"),
        "drill": _("send drill"),
        "add_assist": _("add assisting unit"),
        "reassign": _("reassign order"),
        "cancel_order": _("cancel order"),
        "close_incident": _("close incident"),
        "note": _("write note"),
        "boundary_reprocess": _("reprocess 110 file"),
        "assessment_download": _("download assessment"),
        "appeal_file": _("file appeal"),
        "appeal_decide": _("decide appeal"),
        "spot_check_draw": _("draw spot check"),
        "spot_check_finding": _("record spot-check finding"),
        "spot_check_correct": _("correct spot-check finding"),
        "csrf_refused": _("form refused (expired or from another site)"),
    }
    return known.get(action, action.replace("_", " "))


def outcome_name(outcome: str) -> str:
    """An audit outcome (`ok`, `refused`...) in words."""
    known = {
        "ok": _("done"),
        "refused": _("turned down"),
        "invalid": _("invalid input"),
        "forbidden": _("not permitted"),
        "not_found": _("not found"),
        "not_configured": _("not configured"),
    }
    return known.get(outcome, outcome.replace("_", " "))


def detail_facts(detail: dict[str, object]) -> list[str]:
    """An audit or event detail as `label value` phrases, keys in a stable order."""
    return [f"{key_label(k)} {value_text(v)}" for k, v in sorted(detail.items())]


def creator(by: str) -> str:
    """Who made an account: a user name, or the command line (`cli`) at installation."""
    return _("command line") if by == "cli" else by


def register(app: Flask) -> None:
    """Install these as Jinja filters on the console's app."""
    app.jinja_env.filters.update(
        position=position,
        when=when,
        action_name=action_name,
        outcome_name=outcome_name,
        detail_facts=detail_facts,
        creator=creator,
        drift=drift,
    )


CLOCK_DRIFT_WARN_S = 30.0
"""Half the minute of drift the hub still believes in a report's signed time
(hub/dispatch/order_reports.py CLOCK_TOLERANCE): time to fix the clock before it matters."""


def drift(offset_s: float | None) -> str:
    """A terminal's clock against the hub's (`clock_offset_s` = hub minus terminal) in
    words: `慢 2.3 秒` (behind) or `快 0.4 秒` (ahead); a dash when not reported."""
    if offset_s is None:
        return "—"
    size = abs(offset_s)
    amount = f"{size:.1f}" if size < 100 else f"{size:.0f}"
    if size < 0.05:
        return _("in step")
    if offset_s > 0:
        return _("%(s)s s behind", s=amount)
    return _("%(s)s s ahead", s=amount)
