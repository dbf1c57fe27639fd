"""How values look on screen: times in Asia/Shanghai, states and names in the reader's language.

Registered as Jinja filters by `init_app`. Everything stored is UTC; everything shown is
Beijing time, because the duty room, the 110 call-takers and the assessors all read it so.
"""

from __future__ import annotations

import re
from datetime import datetime
from typing import Any

from flask import Flask
from flask_babel import get_locale
from flask_babel import lazy_gettext as _l
from markupsafe import Markup

from wire.clock import SHANGHAI

LABELS: dict[str, Any] = {
    # order states
    "dispatched": _l("dispatched"),
    "received": _l("received"),
    "acknowledged": _l("acknowledged"),
    "arrived": _l("arrived"),
    "fed_back": _l("fed back"),
    "closed": _l("closed"),
    "cancelled": _l("cancelled"),
    "reassigned": _l("reassigned"),
    "open": _l("open"),
    # printer states (wire.kinds.PrinterState)
    "ok": _l("OK"),
    "paper_out": _l("out of paper"),
    "paper_low": _l("paper low"),
    "unknown": _l("unknown"),
    "offline": _l("offline"),
    # deadlines
    "receive": _l("receipt"),
    "ack": _l("acknowledgement"),
    "arrive": _l("arrival"),
    "feedback": _l("feedback"),
    # priorities
    "critical": _l("critical"),
    "urgent": _l("urgent"),
    "normal": _l("normal"),
    # roles
    "lead": _l("lead"),
    "assist": _l("assist"),
    "operator": _l("operator"),
    "supervisor": _l("supervisor"),
    "auditor": _l("auditor"),
    "admin": _l("admin"),
    # timeline event types
    "intake": _l("intake"),
    "incident": _l("incident reported"),
    "position": _l("position"),
    "unreachable": _l("unreachable"),
    "escalation": _l("escalation"),
    "overdue": _l("overdue"),
    "deadline_met_in_time": _l("met in time (delivered late)"),
    "online": _l("online"),
    "note": _l("note"),
    "order": _l("order"),
    "cancel": _l("cancel"),
    "reassign": _l("reassign"),
    "assist_added": _l("assisting unit added"),
    "incident_closed": _l("incident closed"),
    "drill": _l("drill"),
    # the receipt chain (wire.kinds AlarmedBody, PrintedBody, PrintFailedBody)
    "alarmed": _l("alarm sounded"),
    "printed": _l("slip printed"),
    "print_failed": _l("print failed"),
    "error": _l("printer fault"),
    # feedback results (wire.kinds.ResultCode; RESULT_NAMES is the terminals' Chinese)
    "resolved": _l("resolved"),
    "referred": _l("referred"),
    "no_action_needed": _l("no action needed"),
    "unable": _l("unable to resolve"),
    "false_report": _l("false report"),
    "selfcall": _l("self-taken call recorded"),
}


def label(value: object) -> str:
    """The translated word for a state, deadline, priority or role; the raw value otherwise."""
    text = LABELS.get(str(value))
    return str(text) if text is not None else str(value)


_ISO = re.compile(r"^\d{4}-\d\d-\d\dT\d\d:\d\d(:\d\d(\.\d+)?)?(Z|[+-]\d\d:\d\d)$")


def shown(value: object) -> str:
    """A timeline or audit detail value for a person: stored UTC times become Beijing time,
    nested records become `key value` pairs, lists are joined."""
    if isinstance(value, str) and _ISO.match(value):
        return local(datetime.fromisoformat(value.replace("Z", "+00:00")), "%m-%d %H:%M:%S")
    if isinstance(value, dict):
        return ", ".join(f"{label(k)} {shown(v)}" for k, v in sorted(value.items()))
    if isinstance(value, list | tuple):
        return ", ".join(shown(v) for v in value)
    return str(value)


def local(dt: datetime | None, fmt: str = "%Y-%m-%d %H:%M:%S") -> str:
    """An aware time in Beijing time; a dash for none."""
    if dt is None:
        return "—"
    return dt.astimezone(SHANGHAI).strftime(fmt)


def short(dt: datetime | None) -> str:
    """Beijing time of day, for tables where the date is evident."""
    return local(dt, "%H:%M:%S")


def iso(dt: datetime | None) -> str:
    """ISO 8601 for `data-` attributes the page's script reads."""
    return "" if dt is None else dt.isoformat()


def name_of(obj: Any) -> str:
    """A registry object's name in the reader's language (`name_zh` / `name_en`)."""
    english = str(get_locale() or "zh").startswith("en")
    value = getattr(obj, "name_en" if english else "name_zh", None)
    return str(value if value else getattr(obj, "id", getattr(obj, "code", obj)))


def registry_name(kind: str, key: str, fallback: str) -> str:
    """A category, unit or township name in the reader's language, from the registry; the
    hub's own (Chinese) name when the registry does not know the key."""
    from hub.console.web import service

    registry = service().registry
    found: object | None
    if kind == "category":
        found = registry.categories.get(key)
    elif kind == "unit":
        found = registry.units.get(key)
    else:
        found = registry.townships.get(key)
    return name_of(found) if found is not None else fallback


def age(seconds: float | None) -> str:
    """A duration in seconds as `12 s`, `5 min`, `3 h`."""
    if seconds is None:
        return "—"
    if seconds < 120:
        return f"{seconds:.0f} s"
    if seconds < 7200:
        return f"{seconds / 60:.0f} min"
    return f"{seconds / 3600:.1f} h"


def nl2br(text: str) -> Markup:
    """Line breaks of a note kept on screen, everything else escaped."""
    return Markup("<br>").join(Markup.escape(text).split("\n"))


def register(app: Flask) -> None:
    """Install the filters."""
    app.jinja_env.globals["rname"] = registry_name
    app.jinja_env.filters.update(
        label=label,
        shown=shown,
        local=local,
        short=short,
        iso=iso,
        name_of=name_of,
        age=age,
        nl2br=nl2br,
    )
