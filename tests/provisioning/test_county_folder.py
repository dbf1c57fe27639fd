"""`init` and `enroll`: the PKI folder, its permissions, and the ready configs."""

from __future__ import annotations

import stat
import tomllib
from pathlib import Path

import pytest
from cryptography import x509
from cryptography.hazmat.primitives.asymmetric import ec, rsa

from provisioning import pki
from provisioning.configs import GatewayOptions
from provisioning.county import init_county, rotate_dispatch_key
from provisioning.enroll import check_csr, enroll_tracker, enroll_unit, make_csr
from provisioning.errors import ProvisioningError
from provisioning.revocation import is_revoked
from tests.provisioning.conftest import COUNTY

SECRETS = [
    "ca/ca.key",
    "broker/broker.key",
    "hub/hub.key",
    "hub/dispatch.key",
    "hub/intake-keys.toml",
    "units/power-co/unit.key",
    "trackers/power-co/van-1/tracker.key",
]


def _mode(path: Path) -> int:
    return stat.S_IMODE(path.stat().st_mode)


@pytest.mark.parametrize("name", SECRETS)
def test_secrets_are_0600(county: Path, name: str) -> None:
    assert _mode(county / name) == 0o600


def test_init_writes_the_documented_layout(county: Path) -> None:
    for name in [
        "county.toml",
        "ca/ca.crt",
        "ca/crl.pem",
        "ca/revoked.json",
        "broker/ca.crt",
        "broker/broker.crt",
        "hub/ca.crt",
        "hub/hub.crt",
        "hub/dispatch.pub",
        "hub/hub.toml",
    ]:
        assert (county / name).is_file(), name
    ca = pki.load_cert(county / "ca" / "ca.crt")
    broker = pki.load_cert(county / "broker" / "broker.crt")
    san = broker.extensions.get_extension_for_class(x509.SubjectAlternativeName).value
    assert san.get_values_for_type(x509.DNSName) == ["localhost"]
    assert broker.issuer == ca.subject
    assert isinstance(ca.public_key(), ec.EllipticCurvePublicKey)


def test_hub_toml_points_at_real_files(county: Path) -> None:
    hub_toml = county / "hub" / "hub.toml"
    config = tomllib.loads(hub_toml.read_text())
    base = hub_toml.parent
    assert config["county"]["id"] == COUNTY
    assert config["mqtt"] == {
        "host": "localhost",
        "port": 8883,
        "ca": "ca.crt",
        "cert": "hub.crt",
        "key": "hub.key",
    }
    for rel in [config["signing"]["dispatch_key"], config["pki"]["intake_keys"]]:
        assert (base / rel).is_file()
    assert (base / config["pki"]["dir"] / "units" / "power-co" / "unit.crt").is_file()


def test_rerunning_init_keeps_the_ca(county: Path) -> None:
    before = (county / "ca" / "ca.key").read_bytes()
    with pytest.raises(ProvisioningError, match="already holds a county CA"):
        init_county(county, COUNTY)
    assert (county / "ca" / "ca.key").read_bytes() == before
    init_county(county, COUNTY, force=True)
    assert (county / "ca" / "ca.key").read_bytes() != before


def test_init_with_broker_hosts_and_port(tmp_path: Path) -> None:
    pki_dir = tmp_path / "pki"
    init_county(pki_dir, "luxi", broker_hosts=["mq.luxi.gov", "10.2.3.4"], port=18883)
    broker = pki.load_cert(pki_dir / "broker" / "broker.crt")
    san = broker.extensions.get_extension_for_class(x509.SubjectAlternativeName).value
    assert san.get_values_for_type(x509.DNSName) == ["mq.luxi.gov"]
    assert [str(ip) for ip in san.get_values_for_type(x509.IPAddress)] == ["10.2.3.4"]
    enroll_unit(pki_dir, "fire-1")
    gateway = tomllib.loads((pki_dir / "units" / "fire-1" / "gateway.toml").read_text())
    assert (gateway["mqtt"]["host"], gateway["mqtt"]["port"]) == ("mq.luxi.gov", 18883)


@pytest.mark.parametrize("bad", ["Shuang", "a b", "", "x" * 33, "../x", "-a"])
def test_bad_county_id_is_refused(tmp_path: Path, bad: str) -> None:
    with pytest.raises(ProvisioningError, match="not valid"):
        init_county(tmp_path / "pki", bad)
    assert not (tmp_path / "pki" / "ca").exists()


def test_gateway_toml_has_the_documented_defaults(county: Path) -> None:
    bundle = county / "units" / "power-co"
    config = tomllib.loads((bundle / "gateway.toml").read_text())
    assert config["unit"] == {"id": "power-co", "county": COUNTY, "state_dir": "state"}
    assert config["pins"] == {"buzzer": 17, "light": 27, "ack_button": 22, "arrive_button": 23}
    assert config["printer"] == {"port": "/dev/ld-printer", "baudrate": 9600, "encoding": "gb18030"}
    assert config["kiosk"] == {"listen": "127.0.0.1:8080"}
    assert "gps" not in config
    for key in ("ca", "cert", "key", "hub_key"):
        assert (bundle / config["mqtt"][key]).is_file()
    assert (bundle / "hub-dispatch.pub").read_bytes() == (county / "hub/dispatch.pub").read_bytes()
    cert = pki.load_cert(bundle / "unit.crt")
    assert cert.subject.rfc4514_string().startswith("CN=power-co")


def test_gps_is_written_only_when_asked(county: Path) -> None:
    enroll_unit(county, "traffic", options=GatewayOptions(gps_port="/dev/ld-gps"))
    config = tomllib.loads((county / "units" / "traffic" / "gateway.toml").read_text())
    assert config["gps"] == {"port": "/dev/ld-gps", "baudrate": 9600, "arrival_radius_m": 150}


def test_enroll_with_csr_never_holds_the_key(county: Path) -> None:
    key = pki.new_key()
    enroll_unit(county, "health-1", csr_pem=make_csr(key, "health-1"))
    bundle = county / "units" / "health-1"
    assert not (bundle / "unit.key").exists()
    assert pki.load_cert(bundle / "unit.crt").public_key() == key.public_key()


def test_csr_for_another_unit_is_refused(county: Path) -> None:
    with pytest.raises(ProvisioningError, match="expected the common name 'health-1'"):
        enroll_unit(county, "health-1", csr_pem=make_csr(pki.new_key(), "power-co"))
    assert not (county / "units" / "health-1" / "unit.crt").exists()


def test_csr_with_rsa_key_is_refused() -> None:
    from cryptography.hazmat.primitives import hashes, serialization
    from cryptography.x509.oid import NameOID

    rsa_key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    csr = (
        x509.CertificateSigningRequestBuilder()
        .subject_name(x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "x")]))
        .sign(rsa_key, hashes.SHA256())
    )
    with pytest.raises(ProvisioningError, match="P-256"):
        check_csr(csr.public_bytes(serialization.Encoding.PEM), "x")


def test_garbage_csr_is_refused() -> None:
    with pytest.raises(ProvisioningError, match="not a PEM certificate signing request"):
        check_csr(b"-----BEGIN CERTIFICATE REQUEST-----\nnope\n", "x")


@pytest.mark.parametrize("bad", ["hub", "broker", "Power", "a.b", "a/b", "", "x" * 33])
def test_reserved_or_invalid_unit_ids_are_refused(county: Path, bad: str) -> None:
    with pytest.raises(ProvisioningError):
        enroll_unit(county, bad)


def test_enroll_needs_an_initialised_folder(tmp_path: Path) -> None:
    with pytest.raises(ProvisioningError, match="run `liandong-provision init` first"):
        enroll_unit(tmp_path, "power-co")


def test_reenrolling_needs_force_and_revokes_the_old_certificate(county: Path) -> None:
    old = pki.load_cert(county / "units" / "power-co" / "unit.crt")
    with pytest.raises(ProvisioningError, match="live certificate"):
        enroll_unit(county, "power-co")
    enroll_unit(county, "power-co", force=True)
    new = pki.load_cert(county / "units" / "power-co" / "unit.crt")
    assert new.serial_number != old.serial_number
    assert is_revoked(county, old)
    assert not is_revoked(county, new)


def test_tracker_identity_and_bundle(county: Path) -> None:
    folder = county / "trackers" / "power-co" / "van-1"
    cert = pki.load_cert(folder / "tracker.crt")
    assert cert.subject.rfc4514_string() == "CN=power-co/trackers/van-1,O=Liandong"
    with pytest.raises(ProvisioningError, match="before its trackers"):
        enroll_tracker(county, "nobody", "van-1")
    with pytest.raises(ProvisioningError, match="tracker id"):
        enroll_tracker(county, "power-co", "van/1")


def test_rotating_the_dispatch_key_updates_every_bundle(county: Path) -> None:
    old = (county / "hub" / "dispatch.pub").read_bytes()
    units = rotate_dispatch_key(county)
    new = (county / "hub" / "dispatch.pub").read_bytes()
    assert units == ["power-co", "water-co"]
    assert new != old
    assert (county / "units" / "water-co" / "hub-dispatch.pub").read_bytes() == new
    assert _mode(county / "hub" / "dispatch.key") == 0o600
    assert len(list((county / "hub").glob("dispatch.key.*.old"))) == 1
