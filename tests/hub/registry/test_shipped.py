"""The shipped Shuangbai registry: complete and consistent."""

from __future__ import annotations

from hub.registry import Registry, load_registry


def test_shipped_registry_loads() -> None:
    reg = load_registry()
    assert isinstance(reg, Registry)
    assert reg.county_id == "shuangbai"
    assert reg.county_name == "双柏县"
    assert len(reg.townships) == 8
    assert {u.tier for u in reg.units.values()} == {1, 2, 3}
    assert len(reg.categories) >= 30
    for category in reg.categories.values():
        assert category.lead_unit in reg.units
