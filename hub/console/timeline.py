"""The incident timeline in a duty officer's words: one phrase per event, never raw keys.

The ledger stores each event as a kind, a source and a JSON detail (`via button`,
`result_code resolved`, `deadline ack`...). That is the evidence, and stays as it is; this
module turns it into what a person reads: 供电公司 签收（按键）, 签收时限已过（应于 08:35）.
Every kind the hub writes has a phrase (a test collects the kinds from hub/dispatch/); a
kind this module does not know yet (a newer hub, another helper's event) still reads as
a generic phrase with its details labelled, never as JSON.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from hub.console.present import label, registry_name
from hub.console.words import _, key_label, position, value_text, when
from hub.dispatch.views import EventView, IncidentView


@dataclass(frozen=True)
class Line:
    """One timeline entry as shown: what happened, who did it, and the particulars."""

    title: str
    who: str
    facts: list[str] = field(default_factory=list)


def who(source: str) -> str:
    """The event's source as a person names it: a unit by its name, an operator by login."""
    head, _sep, rest = source.partition(":")
    if head == "unit" and rest:
        return registry_name("unit", rest, rest)
    if head == "operator" and rest == "drill":
        return _("drill")
    if head == "operator" and rest.startswith("api:"):  # 110's system, no person named
        return _("%(source)s (interface)", source=source_name(rest[4:]))
    if head == "operator" and "/" in rest:  # a person at 110's system (hub/sources/api.py)
        system, _slash, person = rest.partition("/")
        return _("%(name)s at %(source)s", name=person, source=source_name(system))
    if head == "operator" and rest:
        return _("operator %(name)s", name=rest)
    if head == "tracker":
        return _("vehicle tracker")
    names = {"intake": _("110 intake"), "engine": _("system"), "crl": _("certificate list")}
    return names.get(head, source.replace("_", " "))


def _deadline(name: object) -> str:
    return _("%(name)s deadline", name=label(name))


def _unit_of(event: EventView, incident: IncidentView | None) -> str:
    if incident is not None:
        for o in incident.orders:
            if o.id == event.order_id:
                return registry_name("unit", o.unit, o.unit_name)
    if event.source.startswith("unit:"):
        return who(event.source)
    return ""


Phrase = Callable[[EventView, dict[str, Any], str], tuple[str, list[str]]]


def _incident(e: EventView, d: dict[str, Any], unit: str) -> tuple[str, list[str]]:
    if d.get("drill"):
        units = "、".join(registry_name("unit", u, u) for u in d.get("units", []))
        return _("Drill started"), [_("units: %(units)s", units=units)] if units else []
    facts = []
    if d.get("source"):
        facts.append(_("from %(source)s", source=source_name(str(d["source"]))))
    if d.get("source_id") and d.get("source") not in ("console", "drill"):  # our own id
        facts.append(_("number %(number)s", number=d["source_id"]))
    if d.get("category"):
        facts.append(registry_name("category", str(d["category"]), str(d["category"])))
    return _("Incident reported"), facts


def source_name(source: str) -> str:
    """Where an incident came from (`incidents.source`), in words."""
    names = {
        "console": _("manual entry"),
        "drill": _("drill"),
        "cad-110": _("110 dispatch system"),
        "gate": _("110 folder exchange"),
    }
    return names.get(source, source)


def _dispatched(e: EventView, d: dict[str, Any], unit: str) -> tuple[str, list[str]]:
    title = _("Order sent to %(unit)s (%(role)s)", unit=unit, role=label(d.get("role", "")))
    facts = [
        _("%(deadline)s %(time)s", deadline=_deadline(n), time=when(t))
        for n, t in sorted((d.get("deadlines") or {}).items(), key=lambda nt: _ORDER.get(nt[0], 9))
    ]
    return title, facts


_ORDER = {"receive": 0, "ack": 1, "arrive": 2, "feedback": 3}
"""Deadlines in the order they fall due."""


def _via(d: dict[str, Any]) -> list[str]:
    via = d.get("via")
    return [_via_words().get(str(via), str(via))] if via else []


def _via_words() -> dict[str, str]:
    return {
        "button": _("by the button"),
        "kiosk": _("on the terminal screen"),
        "gps": _("by GPS"),
        "tracker": _("by the vehicle tracker"),
        "health": _("reported its health"),
        "phone": _("by phone"),
        "selfcall": _("recorded with the self-taken call"),
    }


def _received(e: EventView, d: dict[str, Any], unit: str) -> tuple[str, list[str]]:
    rev = d.get("rev")
    facts = [_("revision %(n)s", n=rev)] if isinstance(rev, int) and rev > 1 else []
    return _("%(unit)s's terminal received the order", unit=unit), facts


def _ack(e: EventView, d: dict[str, Any], unit: str) -> tuple[str, list[str]]:
    return _("%(unit)s acknowledged", unit=unit), _via(d)


def _arrived(e: EventView, d: dict[str, Any], unit: str) -> tuple[str, list[str]]:
    facts = _via(d)
    if d.get("position"):
        facts.append(_("at %(position)s", position=position(d["position"])))
    return _("%(unit)s on scene", unit=unit), facts


def _feedback(e: EventView, d: dict[str, Any], unit: str) -> tuple[str, list[str]]:
    title = _("%(unit)s fed back: %(result)s", unit=unit, result=label(d.get("result_code", "")))
    return title, [str(d["text"])] if d.get("text") else []


def _overdue(e: EventView, d: dict[str, Any], unit: str) -> tuple[str, list[str]]:
    title = _("%(deadline)s missed", deadline=_deadline(d.get("deadline", "")))
    facts = [unit] if unit else []
    if d.get("due_at"):
        facts.append(_("due %(time)s", time=when(d["due_at"])))
    return title, facts


def _met(e: EventView, d: dict[str, Any], unit: str) -> tuple[str, list[str]]:
    title = _(
        "%(deadline)s met in time by the terminal's own clock (the report came late)",
        deadline=_deadline(d.get("deadline", "")),
    )
    facts = [unit] if unit else []
    if d.get("due_at"):
        facts.append(_("due %(time)s", time=when(d["due_at"])))
    return title, facts


def _note(e: EventView, d: dict[str, Any], unit: str) -> tuple[str, list[str]]:
    return _("Note"), [str(d["text"])] if d.get("text") else []


def _reason(d: dict[str, Any]) -> list[str]:
    facts = [_("reason: %(reason)s", reason=d["reason"])] if d.get("reason") else []
    if d.get("cancelled_by") == "110":
        facts.append(_("withdrawn by 110"))
    return facts


def _cancelled(e: EventView, d: dict[str, Any], unit: str) -> tuple[str, list[str]]:
    return _("Order to %(unit)s cancelled", unit=unit), _reason(d)


def _reassigned(e: EventView, d: dict[str, Any], unit: str) -> tuple[str, list[str]]:
    to = registry_name("unit", str(d.get("to", "")), str(d.get("to", "")))
    return _("Order moved from %(unit)s to %(to)s", unit=unit, to=to), _reason(d)


def _closed(e: EventView, d: dict[str, Any], unit: str) -> tuple[str, list[str]]:
    if e.order_id:
        return _("Order to %(unit)s closed", unit=unit), _reason(d)
    return _("Incident closed"), [str(d["note"])] if d.get("note") else []


def _boundary(e: EventView, d: dict[str, Any], unit: str) -> tuple[str, list[str]]:
    kind = str(d.get("kind", ""))
    kinds = {"update": _("update"), "cancel": _("withdrawal"), "incident": _("new call")}
    facts = [kinds.get(kind, kind)] if kind else []
    facts += [str(n) for n in d.get("notes") or []]
    if d.get("changes"):
        facts.append(_("changed: %(fields)s", fields=value_text(d["changes"])))
    return _("Message from 110"), facts


def _rev_facts(d: dict[str, Any]) -> list[str]:
    rev = d.get("rev")
    facts = [_("revision %(n)d", n=rev)] if isinstance(rev, int) and rev > 1 else []
    return facts + ([_("reprinted")] if d.get("reprint") else [])


def _alarmed(e: EventView, d: dict[str, Any], unit: str) -> tuple[str, list[str]]:
    return label("alarmed"), ([unit] if unit else []) + _rev_facts(d)


def _printed(e: EventView, d: dict[str, Any], unit: str) -> tuple[str, list[str]]:
    return label("printed"), ([unit] if unit else []) + _rev_facts(d)


def _print_failed(e: EventView, d: dict[str, Any], unit: str) -> tuple[str, list[str]]:
    title = _("print failed: %(reason)s", reason=label(d.get("reason", "")))
    return title, ([unit] if unit else []) + _rev_facts(d)


def _selfcall(e: EventView, d: dict[str, Any], unit: str) -> tuple[str, list[str]]:
    facts = [_("asks for another unit to help")] if d.get("needs_assist") else []
    return _("%(unit)s recorded a call it took itself", unit=unit or who(e.source)), facts


def _update_offered(e: EventView, d: dict[str, Any], unit: str) -> tuple[str, list[str]]:
    title = _("Software update %(version)s offered", version=d.get("version", ""))
    return title, [unit] if unit else []


def _presence(title: str) -> Phrase:
    def phrase(e: EventView, d: dict[str, Any], unit: str) -> tuple[str, list[str]]:
        facts = _via(d) + ([str(d["reason"])] if d.get("reason") else [])
        if d.get("serial"):
            facts.append(_("certificate %(serial)s", serial=d["serial"]))
        return title, facts

    return phrase


def _phrases() -> dict[str, Phrase]:
    return {
        "incident": _incident,
        "dispatched": _dispatched,
        "received": _received,
        "ack": _ack,
        "arrived": _arrived,
        "feedback": _feedback,
        "overdue": _overdue,
        "deadline_met_in_time": _met,
        "note": _note,
        "cancelled": _cancelled,
        "reassigned": _reassigned,
        "closed": _closed,
        "boundary": _boundary,
        "alarmed": _alarmed,
        "selfcall": _selfcall,
        "update_offered": _update_offered,
        "printed": _printed,
        "print_failed": _print_failed,
        "online": _presence(_("Terminal online")),
        "offline": _presence(_("Terminal offline")),
        "revoked": _presence(_("Terminal certificate revoked")),
        "reinstated": _presence(_("Terminal certificate reinstated")),
    }


def has_phrase(kind: str) -> bool:
    """Whether `kind` has its own phrase (else it reads as the generic one)."""
    return kind in _phrases()


_HANDLED = {
    "role", "reason", "note", "text", "via", "rev", "result_code", "position", "deadline",
    "due_at", "deadlines", "source", "source_id", "category", "drill", "units", "to",
    "new_order", "cancelled_by", "kind", "notes", "changes", "serial", "msg_id", "fired_at",
    "reprint", "call_id", "needs_assist", "version",
}  # fmt: skip


def _generic(e: EventView, d: dict[str, Any], unit: str) -> tuple[str, list[str]]:
    facts = [unit] if unit else []
    facts += [f"{key_label(k)} {value_text(v)}" for k, v in sorted(d.items())]
    return _("Other record: %(kind)s", kind=label(e.type).replace("_", " ")), facts


def describe(event: EventView, incident: IncidentView | None = None) -> Line:
    """The timeline line for one event (`incident` names the units of its orders)."""
    detail = dict(event.detail or {})
    unit = _unit_of(event, incident)
    phrase = _phrases().get(event.type)
    if phrase is None:
        title, facts = _generic(event, detail, unit)
    else:
        title, facts = phrase(event, detail, unit)
        facts += [
            f"{key_label(k)} {value_text(v)}"
            for k, v in sorted(detail.items())
            if k not in _HANDLED and k not in ("signed_at", "clock_suspect", "ignored")
        ]
    if detail.get("clock_suspect") or detail.get("signed_at"):
        facts.append(
            _(
                "signed at %(time)s by the terminal's clock, not believed",
                time=when(detail.get("signed_at", "")),
            )
        )
    if detail.get("ignored"):
        facts.append(_("ignored: the order had already ended"))
    return Line(title=title, who=who(event.source), facts=[f for f in facts if f])
