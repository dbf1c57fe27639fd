"""hub-install/install.sh, run for real into a throwaway Debian root: what it places, with
which owners and modes, that a second run changes nothing, and that bad input is refused
with one error line and nothing written."""

from __future__ import annotations

import os
import shutil
import stat
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from provisioning import pki
from tests.firmware.conftest import passwd_ids, tree_digest
from tests.hubinstall.conftest import INSTALL, PKI, HubRoot, run_install, set_listen

AS_ROOT = os.geteuid() == 0


def mode(path: Path) -> int:
    return stat.S_IMODE(path.lstat().st_mode)


def owner(path: Path) -> tuple[int, int]:
    st = path.lstat()
    return st.st_uid, st.st_gid


def test_places_services_site_and_certificate(hub_root: HubRoot) -> None:
    done = run_install(hub_root)
    assert "error" not in done.stderr
    p = hub_root.path
    unit = p("/etc/systemd/system/liandong-hub.service").read_text()
    assert (
        f"ExecStart=/opt/liandong/bin/liandong-hub serve --config {PKI}/hub/hub.toml "
        "--trusted-proxy 127.0.0.1"
    ) in unit
    assert f"ReadWritePaths={PKI}/hub\n" in unit
    backup = p("/etc/systemd/system/liandong-hub-backup.service").read_text()
    assert (
        f"liandong-hub backup --config {PKI}/hub/hub.toml --to /var/backups/liandong-hub --keep 14"
    ) in backup
    assert (
        "OnCalendar=*-*-* 03:15:00"
        in p("/etc/systemd/system/liandong-hub-backup.timer").read_text()
    )
    dropin = p("/etc/systemd/system/mosquitto.service.d/liandong.conf").read_text()
    assert f"ExecStart=\nExecStart=/usr/sbin/mosquitto -c {PKI}/broker/mosquitto.conf" in dropin
    wants = p("/etc/systemd/system/multi-user.target.wants/liandong-hub.service")
    assert os.readlink(wants) == "/etc/systemd/system/liandong-hub.service"
    timer = p("/etc/systemd/system/timers.target.wants/liandong-hub-backup.timer")
    assert os.readlink(timer) == "/etc/systemd/system/liandong-hub-backup.timer"

    site = p("/etc/nginx/sites-available/liandong-console").read_text()
    assert "server_name console.shuangbai.gov.local 127.0.0.1;" in site
    assert f"server 127.0.0.1:{hub_root.hub_port};" in site
    assert "return 301 https://$host$request_uri;" in site
    assert 'add_header Strict-Transport-Security "max-age=31536000" always;' in site
    assert "listen 443 ssl http2;" in site and "listen [::]:443 ssl http2;" in site
    assert "proxy_set_header X-Forwarded-Proto $scheme;" in site
    assert "@" not in site, "every @VALUE@ of the template is filled in"
    enabled = p("/etc/nginx/sites-enabled/liandong-console")
    assert os.readlink(enabled) == "/etc/nginx/sites-available/liandong-console"

    tls = p("/etc/liandong-hub/tls")
    assert (tls / "console.crt").read_bytes() == (hub_root.pki / "console/console.crt").read_bytes()
    assert (tls / "console.key").read_bytes() == (hub_root.pki / "console/console.key").read_bytes()
    assert mode(tls / "console.key") == 0o600 and mode(tls / "console.crt") == 0o644
    assert mode(p("/var/backups/liandong-hub")) == 0o700
    record = p("/etc/liandong-hub/install-record.txt").read_text()
    assert "/etc/liandong-hub/tls/console.key" in record
    assert done.stdout.rstrip().endswith("change(s).")


def test_each_key_is_readable_by_its_service_only(hub_root: HubRoot) -> None:
    run_install(hub_root)
    pk = hub_root.pki
    assert mode(pk / "ca/ca.key") == 0o600
    assert mode(pk / "broker") == 0o750 and mode(pk / "broker/broker.key") == 0o600
    assert mode(pk / "broker/data") == 0o700
    assert mode(pk / "hub") == 0o750
    for secret in ("hub.key", "dispatch.key", "intake-keys.toml"):
        assert mode(pk / "hub" / secret) == 0o600, secret
    assert mode(pk / "hub/hub.toml") == 0o644  # no secret in it; the folder is 0750
    assert mode(pk / "units/power-co/unit.crt") == 0o644  # the hub verifies reports with it
    if AS_ROOT:  # CI runs as root: ownership is real, from the root's own passwd
        hub_uid, hub_gid = passwd_ids(hub_root.root, "liandong-hub")
        mosq_uid, mosq_gid = passwd_ids(hub_root.root, "mosquitto")
        assert hub_uid not in (0, mosq_uid)
        assert owner(pk / "ca/ca.key") == (0, 0)
        assert owner(pk / "broker/broker.key") == (mosq_uid, mosq_gid)
        assert owner(pk / "broker") == (0, mosq_gid)
        assert owner(pk / "broker/data") == (mosq_uid, mosq_gid)
        assert owner(pk / "hub/dispatch.key") == (hub_uid, hub_gid)
        assert owner(pk / "hub") == (hub_uid, hub_gid)
        assert owner(hub_root.path("/var/backups/liandong-hub")) == (hub_uid, hub_gid)
        passwd = (hub_root.root / "etc/passwd").read_text()
        assert "liandong-hub:" in passwd and ":/usr/sbin/nologin" in passwd


def test_second_run_changes_nothing_and_a_later_provisioning_run_is_mended(
    hub_root: HubRoot,
) -> None:
    run_install(hub_root)
    before = tree_digest(hub_root.root)
    again = run_install(hub_root)
    assert "0 change(s)" in again.stdout, again.stdout
    assert tree_digest(hub_root.root) == before
    if AS_ROOT:
        # `liandong-provision intake-key` run as root afterwards leaves a root-owned file the
        # hub cannot read; running the installer again gives it back (docs/deployment.md).
        keys = hub_root.pki / "hub/intake-keys.toml"
        os.chown(keys, 0, 0)
        mended = run_install(hub_root)
        assert "intake-keys.toml (owner/mode)" in mended.stdout
        assert owner(keys)[0] == passwd_ids(hub_root.root, "liandong-hub")[0]


def test_options_shape_the_site_and_the_timer(hub_root: HubRoot) -> None:
    run_install(
        hub_root, "--https-port", "8443", "--http-port", "8080", "--ipv4-only",
        "--backup-dir", "/data/backups", "--keep-days", "30", "--backup-time", "22:05",
    )  # fmt: skip
    site = hub_root.path("/etc/nginx/sites-available/liandong-console").read_text()
    assert "return 301 https://$host:8443$request_uri;" in site
    assert "    listen 8443 ssl http2;" in site and "#    listen [::]:8443 ssl http2;" in site
    assert "    listen 8080;" in site
    backup = hub_root.path("/etc/systemd/system/liandong-hub-backup.service").read_text()
    assert "--to /data/backups --keep 30" in backup
    assert "ReadWritePaths=/data/backups" in backup
    timer = hub_root.path("/etc/systemd/system/liandong-hub-backup.timer").read_text()
    assert "OnCalendar=*-*-* 22:05:00" in timer
    assert mode(hub_root.path("/data/backups")) == 0o700


def test_debian_default_site_is_disabled_unless_kept(hub_root: HubRoot) -> None:
    enabled = hub_root.path("/etc/nginx/sites-enabled")
    enabled.mkdir(parents=True)
    (hub_root.path("/etc/nginx/sites-available")).mkdir(parents=True)
    hub_root.path("/etc/nginx/sites-available/default").write_text(
        "server { listen 80 default_server; }\n"
    )
    (enabled / "default").symlink_to("/etc/nginx/sites-available/default")
    run_install(hub_root, "--keep-default-site")
    assert (enabled / "default").is_symlink()
    done = run_install(hub_root)
    assert "sites-enabled/default removed" in done.stdout
    assert not (enabled / "default").exists() and not (enabled / "default").is_symlink()
    assert hub_root.path("/etc/nginx/sites-available/default").exists()


def test_network_enroll_lets_the_hub_sign(hub_root: HubRoot) -> None:
    run_install(hub_root, "--network-enroll")
    pk = hub_root.pki
    assert mode(pk / "ca/ca.key") == 0o640
    assert mode(pk / "ca") == 0o2775 and mode(pk / "units") == 0o2775
    unit = hub_root.path("/etc/systemd/system/liandong-hub.service").read_text()
    assert f"ReadWritePaths={PKI}/hub {PKI}/ca {PKI}/units\n" in unit
    if AS_ROOT:
        gid = passwd_ids(hub_root.root, "liandong-hub")[1]
        assert owner(pk / "ca/ca.key") == (0, gid)
    again = run_install(hub_root, "--network-enroll")
    assert "0 change(s)" in again.stdout
    run_install(hub_root)  # and back: the CA key is root's alone again
    assert mode(pk / "ca/ca.key") == 0o600 and mode(pk / "ca") == 0o755


def test_gate_folders_are_made_writable_for_the_hub(hub_root: HubRoot) -> None:
    toml = hub_root.hub_toml
    toml.write_text(toml.read_text() + '\n[boundary]\ndir = "/srv/gate"\n')
    run_install(hub_root)
    unit = hub_root.path("/etc/systemd/system/liandong-hub.service").read_text()
    gate = " ".join(f"/srv/gate/{d}" for d in ("inbound", "done", "rejected", "outbound"))
    assert f"ReadWritePaths={PKI}/hub {gate}\n" in unit
    assert all(hub_root.path(f"/srv/gate/{d}").is_dir() for d in ("inbound", "outbound"))


def test_a_county_supplied_certificate(hub_root: HubRoot, tmp_path: Path) -> None:
    other = pki.make_ca("provincial")
    issued = pki.issue(other, "console", server_hosts=["console.shuangbai.gov.local"])
    crt, key = tmp_path / "c.crt", tmp_path / "c.key"
    pki.write_public(crt, pki.cert_pem(issued.cert) + pki.cert_pem(other.cert))
    pki.write_private(key, pki.key_pem(issued.key))
    run_install(
        hub_root, "--cert", str(crt), "--key", str(key),
        names=("console.shuangbai.gov.local",),
    )  # fmt: skip
    installed = hub_root.path("/etc/liandong-hub/tls/console.crt").read_bytes()
    assert installed == crt.read_bytes()


def expired_cert(hub_root: HubRoot, tmp_path: Path) -> list[str]:
    ca = pki.Issued(
        pki.load_key(hub_root.pki / "ca/ca.key"), pki.load_cert(hub_root.pki / "ca/ca.crt")
    )
    old = datetime.now(UTC) - timedelta(days=900)
    issued = pki.issue(ca, "console", server_hosts=["127.0.0.1"], now=old, days=10)
    crt, key = tmp_path / "old.crt", tmp_path / "old.key"
    pki.write_public(crt, pki.cert_pem(issued.cert))
    pki.write_private(key, pki.key_pem(issued.key))
    return ["--cert", str(crt), "--key", str(key)]


@pytest.mark.parametrize(
    ("args", "names", "message"),
    [
        ([], ("console.other.gov.local",), "is not for console.other.gov.local"),
        ([], ("bad name",), "not a host name or IP address"),
        (["--https-port", "80"], (), "must differ"),
        (["--https-port", "70000"], (), "expected 1-65535"),
        (["--keep-days", "0"], (), "expected 1-3650"),
        (["--backup-time", "25:00"], (), "expected HH:MM"),
        (["--backup-dir", "relative/dir"], (), "absolute path"),
        (["--cert", "/etc/passwd"], (), "go together"),
        (["--frobnicate"], (), "unknown argument"),
        (["mismatch"], (), "is not the key of"),
        (["expired"], (), "has expired"),
        (["listen-any"], (), "keep it on 127.0.0.1"),
        (["no-broker-config"], (), "broker-config --dir"),
        (["broker-user"], (), "broker-config --run-as mosquitto"),
        (["no-console-cert"], (), "liandong-provision console-cert --dir"),
        (["not-pki"], (), "is not a county PKI folder"),
        (["no-mosquitto"], (), "install Debian's mosquitto package first"),
    ],
)  # fmt: skip
def test_refuses_bad_input_and_writes_nothing(
    hub_root: HubRoot, tmp_path: Path, args: list[str], names: tuple[str, ...], message: str
) -> None:
    pk = hub_root.pki
    if args == ["mismatch"]:
        other = tmp_path / "other.key"
        pki.write_private(other, pki.key_pem(pki.new_key()))
        args = ["--cert", str(pk / "console/console.crt"), "--key", str(other)]
    elif args == ["expired"]:
        args, names = expired_cert(hub_root, tmp_path), ("127.0.0.1",)
    elif args == ["listen-any"]:
        set_listen(hub_root, f"0.0.0.0:{hub_root.hub_port}")
        args = []
    elif args == ["no-broker-config"]:
        (pk / "broker/mosquitto.conf").unlink()
        args = []
    elif args == ["broker-user"]:
        conf = pk / "broker/mosquitto.conf"
        conf.write_text(conf.read_text().replace("user mosquitto", "user pi"))
        args = []
    elif args == ["no-console-cert"]:
        shutil.rmtree(pk / "console")
        args = []
    elif args == ["no-mosquitto"]:
        passwd = hub_root.root / "etc/passwd"
        passwd.write_text(
            "".join(line for line in passwd.read_text().splitlines(True) if "mosquitto" not in line)
        )
        args = []
    elif args == ["not-pki"]:
        (pk / "county.toml").unlink()
        args = []
    before = tree_digest(hub_root.root)
    done = run_install(hub_root, *args, names=names, check=False)
    assert done.returncode == 2, done.stdout + done.stderr
    errors = [line for line in done.stderr.splitlines() if "error:" in line]
    assert len(errors) == 1 and message in done.stderr, done.stderr
    assert tree_digest(hub_root.root) == before, "a refusal must not write anything"


def test_needs_pki_and_names(tmp_path: Path) -> None:
    import subprocess

    root = tmp_path / "empty"
    root.mkdir()
    for args, message in [
        ([], "--pki DIR is required"),
        (["--pki", "/srv/none"], "is not a folder"),
        (["--pki", "srv/relative"], "absolute path"),
    ]:
        done = subprocess.run(
            ["bash", str(INSTALL), "--root", str(root), *args],
            capture_output=True, text=True, timeout=30, check=False,
        )  # fmt: skip
        assert done.returncode == 2 and message in done.stderr, done.stderr
    assert list(root.iterdir()) == []
