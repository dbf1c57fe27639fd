"""A bundle made by provisioning itself, installed, then read by the gateway's own loader:
the three parts agree on the file layout and gateway.toml."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.firmware.conftest import FIRMWARE, run_install


def test_enrolled_bundle_installs_and_loads_in_the_gateway(tmp_path: Path, pi_root: Path) -> None:
    county = pytest.importorskip("provisioning.county", reason="provisioning not landed yet")
    enroll = pytest.importorskip("provisioning.enroll", reason="provisioning not landed yet")
    configs = pytest.importorskip("provisioning.configs", reason="provisioning not landed yet")
    gateway_config = pytest.importorskip("gateway.config", reason="gateway not landed yet")

    pki_dir = tmp_path / "PKI"
    county.init_county(pki_dir, "shuangbai", broker_hosts=["hub.shuangbai.gov.local"])
    options = configs.GatewayOptions(gps_port="/dev/ttyACM0")
    bundle = enroll.enroll_unit(pki_dir, "water-co", options=options)
    out = run_install(bundle, pi_root, "--board", "pi4").stdout
    assert "unit water-co on pi4" in out

    installed = pi_root / "etc/liandong/gateway.toml"
    config = gateway_config.load_config(installed)
    gateway_config.check_files(config)
    assert config.mqtt.key == pi_root / "etc/liandong/unit.key"
    assert config.printer.port == "/dev/ld-printer"
    assert config.gps is not None and config.gps.port == "/dev/ld-gps"
    pins = (FIRMWARE / "pins/pi4.toml").read_text()
    for key, pin in config.pins.items():
        assert f"{key} = {pin} " in pins
