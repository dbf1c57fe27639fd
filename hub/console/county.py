"""The county registry, read-only (blueprint `console_county`, page `/registry`).

The hub reads the county's TOML registry once at start and never changes it while running
(docs/registry.md), so this page only shows what is in effect: townships, units by tier,
categories with their lead unit, and the deadline figures. Changing any of it means editing
the file, checking it with `python -m hub.registry FILE` and restarting the hub; the page
says so, because a browser form that edits a running hub's registry would be a second,
unchecked way to change routing.
"""

from __future__ import annotations

from flask import Blueprint, render_template
from flask_babel import lazy_gettext as _l

from hub.console.web import need, service
from hub.registry import Registry, Unit

bp = Blueprint("console_county", __name__, template_folder="templates")

CLASS_LABELS = {
    "emergency": _l("emergency service"),
    "tier1": _l("tier-1 department"),
    "specialist": _l("specialist department"),
    "support": _l("support department"),
}
TIER_LABELS = {
    1: _l("Tier 1: on scene within 15 or 30 minutes"),
    2: _l("Tier 2: specialists, on scene by the category's or the default figure"),
    3: _l("Tier 3: support, feedback only"),
}
_CLASS_ORDER = {name: i for i, name in enumerate(CLASS_LABELS)}


def units_by_tier(registry: Registry) -> list[tuple[int, list[Unit]]]:
    """Tiers 1 to 3, each with its units by class then id (township governments together)."""
    tiers: list[tuple[int, list[Unit]]] = []
    for tier in (1, 2, 3):
        units = [u for u in registry.units.values() if u.tier == tier]
        units.sort(key=lambda u: (_CLASS_ORDER.get(u.unit_class, 9), u.township or "", u.id))
        tiers.append((tier, units))
    return tiers


@bp.route("/registry")
def registry_page() -> str:
    """What the county's registry says, as loaded at the hub's start."""
    need("registry")
    registry = service().registry
    return render_template(
        "console/registry.html",
        registry=registry,
        townships=sorted(registry.townships.values(), key=lambda t: (not t.urban, t.id)),
        tiers=units_by_tier(registry),
        categories=sorted(registry.categories.values(), key=lambda c: c.code),
        class_labels=CLASS_LABELS,
        tier_labels=TIER_LABELS,
    )
