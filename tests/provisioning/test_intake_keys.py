"""Intake source secrets for the hub."""

from __future__ import annotations

import re
import stat
from pathlib import Path

import pytest

from provisioning.errors import ProvisioningError
from provisioning.intake import load_intake_keys, new_intake_key


def test_new_key_is_recorded_0600(county: Path) -> None:
    secret = new_intake_key(county, "cad-110")
    assert re.fullmatch(r"[0-9a-f]{64}", secret)
    assert load_intake_keys(county) == {"cad-110": secret}
    path = county / "hub" / "intake-keys.toml"
    assert stat.S_IMODE(path.stat().st_mode) == 0o600


def test_existing_key_is_replaced_only_on_rotate(county: Path) -> None:
    first = new_intake_key(county, "cad-110")
    other = new_intake_key(county, "hotline-12345")
    with pytest.raises(ProvisioningError, match="--rotate"):
        new_intake_key(county, "cad-110")
    assert load_intake_keys(county)["cad-110"] == first
    second = new_intake_key(county, "cad-110", rotate=True)
    assert second != first
    assert load_intake_keys(county) == {"cad-110": second, "hotline-12345": other}


def test_bad_source_name_is_refused(county: Path) -> None:
    with pytest.raises(ProvisioningError, match="intake source"):
        new_intake_key(county, "Gate 110")
