"""The intake's answer is built from the rows it wrote (hub/dispatch/ledger.py `Written`,
issue 17), not read back after the commit: it must be exactly the view a read gives."""

from __future__ import annotations

import pytest

from hub.registry import Registry
from tests.hub.conftest import incident_data
from tests.support.hubparts import TestService


def test_the_answer_is_what_a_read_gives(service: TestService, registry: Registry) -> None:
    """Every category of the shipped county, each in every township (the township's
    government is ordered too where the category says so), with and without the caller's
    own arrival time, a drill, no position."""
    townships = list(registry.townships)
    n = 0
    for i, category in enumerate(registry.categories):
        for j, township in enumerate(townships):
            over: dict[str, object] = {"arrive_min": 45} if (i + j) % 3 == 0 else {}
            if (i + j) % 4 == 0:
                over |= {"drill": True}
            data = incident_data(source_id=f"R{i}-{j}", category=category, township=township)
            if (i + j) % 5 == 0:
                del data["lat"], data["lon"]
            view, created = service.intake(data | over, source="cad-110")
            assert created
            assert view == service.incident(view.id), (category, township)
            n += len(view.orders)
    assert n > len(registry.categories) * len(townships)  # some were ordered twice


def test_a_repeat_is_read(service: TestService) -> None:
    first, _ = service.intake(incident_data(), source="cad-110")
    again, created = service.intake(incident_data(), source="cad-110")
    assert not created and again == first


def test_a_failed_intake_answers_nothing(service: TestService) -> None:
    service.store.db.execute("PRAGMA query_only=ON")
    try:
        with pytest.raises(Exception, match="readonly"):
            service.intake(incident_data(), source="cad-110")
    finally:
        service.store.db.execute("PRAGMA query_only=OFF")
    assert service.store.db.execute("SELECT count(*) FROM incidents").fetchone()[0] == 0
