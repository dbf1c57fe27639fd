"""`liandong-hub boundary check` and POST /api/v1/incidents with CAP and EIDO bodies."""

from __future__ import annotations

import json
from datetime import datetime
from pathlib import Path

from click.testing import CliRunner
from flask.testing import FlaskClient

from hub.cli import main
from hub.sources.api_keys import sign
from tests.hub.conftest import KEY, SOURCE, count
from tests.hub.sources.boundary.conftest import CAP_DIR, shared
from tests.support.hubparts import TestService
from wire.clock import FakeClock

HUB_TOML = """
[county]
id = "shuangbai"
[boundary]
dir = "gate"
mapping = "mapping.toml"
"""


def _config(tmp_path: Path) -> Path:
    from hub.sources.boundary.mapping import SHIPPED

    text = SHIPPED.read_text(encoding="utf-8").replace(
        '# default_township = "tuodian"', 'default_township = "tuodian"'
    )
    (tmp_path / "mapping.toml").write_text(text, encoding="utf-8")
    (tmp_path / "hub.toml").write_text(HUB_TOML, encoding="utf-8")
    return tmp_path / "hub.toml"


def test_check_prints_the_incident_or_the_reasons(tmp_path: Path) -> None:
    config = _config(tmp_path)
    runner = CliRunner()
    good = runner.invoke(
        main,
        [
            "boundary",
            "check",
            "--config",
            str(config),
            str(shared(CAP_DIR / "oasis-a3-earthquake.xml")),
        ],
    )
    assert good.exit_code == 0, good.output
    assert json.loads(good.output)["incident"]["category"] == "earthquake-felt"
    bad = runner.invoke(
        main,
        ["boundary", "check", "--config", str(config), str(CAP_DIR / "oasis-a2-thunderstorm.xml")],
    )
    assert bad.exit_code == 1 and "拒收" in bad.output and "SEVERE THUNDERSTORM" in bad.output
    assert not (tmp_path / "gate").exists()  # stored nothing, made no folders


def _post(client: FlaskClient, body: bytes, ctype: str) -> tuple[int, dict[str, object]]:
    r = client.post(
        "/api/v1/incidents",
        data=body,
        headers={
            "Content-Type": ctype,
            "X-Liandong-Source": SOURCE,
            "X-Liandong-Signature": sign(KEY, body),
        },
    )
    return r.status_code, r.get_json()


def test_api_takes_cap_through_the_same_parser(
    client: FlaskClient, service: TestService, clock: FakeClock
) -> None:
    body = shared(CAP_DIR / "tw-zh-fire-alarm-circle-test.xml").read_bytes()
    clock.set(datetime.fromisoformat("2019-07-29T05:45:00+08:00"))  # minutes after its <sent>
    body = body.replace(b"24.978476,121.504593", b"24.690,101.640")
    status, data = _post(client, body, "application/cap+xml")
    assert status == 201, data
    assert data["category"] == "fire" and data["drill"] is True and data["township"] == "tuodian"
    assert _post(client, body, "application/cap+xml")[0] == 200  # a repeat, not a second one
    assert count(service, "SELECT count(*) FROM incidents") == 1
    status, data = _post(client, b"<alert/>", "application/cap+xml")
    assert status == 422 and "fields" in data
