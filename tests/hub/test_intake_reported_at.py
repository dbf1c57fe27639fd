"""Issue 11, case 8: a `reported_at` far from the hub's clock is refused, not stored.

A call reported in year 9999 sorts above every real call on the board and makes every
age and report figure nonsense. The window is the hub's clock minus `[intake] max_age_days`
(30) to plus `[intake] max_future_s` (300), both from hub.toml.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from flask.testing import FlaskClient

from hub.config import load_config
from hub.dispatch.intake import IntakeWindow
from hub.errors import ConfigError
from hub.registry import Registry
from hub.sources.api_keys import IntakeKeys
from tests.hub.conftest import KEY, SOURCE, count, incident_data, post_incident
from tests.support.hubparts import TestService, web_app
from wire.clock import FakeClock


def _at(clock: FakeClock, **delta: float) -> str:
    return (clock.now() + timedelta(**delta)).isoformat()


@pytest.mark.parametrize(
    "when",
    ["9999-12-30T00:00:00+08:00", "1970-01-01T00:00:00Z", "2126-01-05T01:00:00Z"],
)
def test_a_time_far_from_the_hubs_clock_is_refused(
    client: FlaskClient, service: TestService, when: str
) -> None:
    r = post_incident(client, incident_data(reported_at=when))
    assert r.status_code == 422, r.get_data(as_text=True)
    fields = r.json["fields"]  # type: ignore[index]
    assert set(fields) == {"reported_at"}
    assert "hub's clock" in fields["reported_at"]["en"]
    assert count(service, "SELECT count(*) FROM incidents") == 0


def test_the_edges_of_the_default_window(client: FlaskClient, clock: FakeClock) -> None:
    def status(source_id: str, **delta: float) -> int:
        data = incident_data(source_id=source_id, reported_at=_at(clock, **delta))
        return post_incident(client, data).status_code

    assert status("ahead-4m", minutes=4) == 201  # a sending system's clock a little fast
    assert status("ahead-6m", minutes=6) == 422
    assert status("back-29d", days=-29) == 201  # entered late, after an outage of the gate
    assert status("back-31d", days=-31) == 422


def test_the_window_comes_from_hub_toml(tmp_path: Path) -> None:
    toml = tmp_path / "hub.toml"
    toml.write_text('[county]\nid = "shuangbai"\n[intake]\nmax_future_s = 60\nmax_age_days = 2\n')
    assert load_config(toml).intake_window == IntakeWindow(max_future_s=60, max_age_days=2)
    toml.write_text('[county]\nid = "shuangbai"\n')
    assert load_config(toml).intake_window == IntakeWindow()
    toml.write_text('[county]\nid = "shuangbai"\n[intake]\nmax_age_days = 0\n')
    with pytest.raises(ConfigError, match=r"\[intake\] max_age_days must be above 0"):
        load_config(toml)


def test_a_configured_window_is_what_the_service_uses(tmp_path: Path, registry: Registry) -> None:
    clock = FakeClock(datetime(2026, 6, 1, tzinfo=UTC))
    svc = TestService.open(tmp_path / "hub.sqlite3", registry=registry, clock=clock)
    svc.intake_window = IntakeWindow(max_future_s=60, max_age_days=2)
    try:
        client = web_app(
            svc, test_config={"TESTING": True, "INTAKE_KEYS": IntakeKeys(keys={SOURCE: KEY})}
        ).test_client()
        late = incident_data(source_id="a", reported_at=_at(clock, days=-3))
        assert post_incident(client, late).status_code == 422
        soon = incident_data(source_id="b", reported_at=_at(clock, seconds=90))
        assert post_incident(client, soon).status_code == 422
        fine = incident_data(source_id="c", reported_at=_at(clock, days=-1))
        assert post_incident(client, fine).status_code == 201
    finally:
        svc.store.close()
