"""The installer, run for real into a throwaway Pi OS root: what it places, and that it is
idempotent, refuses bad bundles without writing anything, and reports reboots."""

from __future__ import annotations

import os
import stat
import tomllib
from pathlib import Path

import pytest

from gateway.config import parse_config
from provisioning import pki
from tests.firmware.conftest import (
    CMDLINE_TXT,
    CONFIG_TXT,
    FIRMWARE,
    Bundle,
    make_bundle,
    make_root,
    passwd_ids,
    run_install,
    tree_digest,
)

AS_ROOT = os.geteuid() == 0
BEGIN = "# >>> liandong: managed by firmware-config/install.sh"


def mode(path: Path) -> int:
    return stat.S_IMODE(path.lstat().st_mode)


def owner(path: Path) -> tuple[int, int]:
    st = path.lstat()
    return st.st_uid, st.st_gid


def board_pins(board: str) -> dict[str, int]:
    pins: dict[str, int] = tomllib.loads((FIRMWARE / "pins" / f"{board}.toml").read_text())["pins"]
    return pins


def test_places_identity_with_modes_and_owners(bundle: Bundle, pi_root: Path) -> None:
    run_install(bundle.path, pi_root)
    etc = pi_root / "etc" / "liandong"
    assert (etc / "unit.key").read_bytes() == (bundle.path / "unit.key").read_bytes()
    for name in ("ca.crt", "unit.crt", "hub-dispatch.pub"):
        assert (etc / name).read_bytes() == (bundle.path / name).read_bytes()
        assert mode(etc / name) == 0o644
    assert mode(etc / "unit.key") == 0o600
    assert mode(etc / "gateway.toml") == 0o640
    assert mode(etc) == 0o750
    assert mode(pi_root / "var/lib/liandong") == 0o750

    passwd = (pi_root / "etc/passwd").read_text()
    assert "liandong:" in passwd and ":/usr/sbin/nologin" in passwd
    group = (pi_root / "etc/group").read_text().splitlines()
    members = {line.split(":")[0]: line.split(":")[3].split(",") for line in group}
    assert "liandong" in members["gpio"] and "liandong" in members["dialout"]
    assert "liandong" in members["audio"], "the speaker ([speech]) is an ALSA device"
    uid, gid = passwd_ids(pi_root, "liandong")
    assert uid != 0 and gid != 0
    record = (etc / "install-record.txt").read_text()
    assert f"600 {uid}:{gid} /etc/liandong/unit.key" in record or not AS_ROOT
    if AS_ROOT:  # CI runs as root: ownership is real, looked up in the root's own passwd
        assert owner(etc / "unit.key") == (uid, gid)
        assert owner(etc / "gateway.toml") == (0, gid)
        assert owner(etc) == (0, gid)
        assert owner(pi_root / "var/lib/liandong") == (uid, gid)


def test_speech_device(bundle: Bundle, pi_root: Path) -> None:
    toml = pi_root / "etc/liandong/gateway.toml"
    run_install(bundle.path, pi_root)
    assert "speech" not in tomllib.loads(toml.read_text()), "no [speech]: a silent terminal"
    run_install(bundle.path, pi_root, "--speech", "plughw:1,0")
    doc = tomllib.loads(toml.read_text())
    assert doc["speech"] == {"device": "plughw:1,0"}
    config = parse_config(doc, toml.parent)
    assert config.speech is not None and config.speech.device == "plughw:1,0"
    run_install(bundle.path, pi_root, "--speech", "none")
    assert "speech" not in tomllib.loads(toml.read_text())
    bad = run_install(bundle.path, pi_root, "--speech", "$(reboot)", check=False)
    assert bad.returncode == 2 and "--speech" in bad.stderr


def test_gateway_toml_gets_board_pins_and_terminal_paths(bundle: Bundle, pi_root: Path) -> None:
    run_install(bundle.path, pi_root, "--board", "zero2w")
    text = (pi_root / "etc/liandong/gateway.toml").read_text()
    doc = tomllib.loads(text)
    assert doc["pins"] == board_pins("zero2w")
    assert doc["unit"] == {
        "id": "power-co",
        "county": "shuangbai",
        "state_dir": "/var/lib/liandong",
    }
    assert doc["printer"]["port"] == "/dev/ld-printer"
    assert doc["gps"]["port"] == "/dev/ld-gps"
    assert doc["mqtt"]["host"] == "hub.shuangbai.gov.local"
    assert "# the certificate CN" in text, "the bundle's comments are kept"


def test_custom_pins_printer_url_and_no_gps(bundle: Bundle, pi_root: Path, tmp_path: Path) -> None:
    pins = tmp_path / "site.toml"
    pins.write_text("[pins]\nbuzzer = 5\nlight = 6\nack_button = 13\narrive_button = 26\n")
    out = run_install(
        bundle.path, pi_root, "--pins", str(pins), "--gps", "none",
        "--printer-url", "socket://10.1.2.3:9100",
    ).stdout  # fmt: skip
    doc = tomllib.loads((pi_root / "etc/liandong/gateway.toml").read_text())
    assert doc["pins"] == {"buzzer": 5, "light": 6, "ack_button": 13, "arrive_button": 26}
    assert doc["printer"]["port"] == "socket://10.1.2.3:9100"
    assert "gps" not in doc and "kiosk" in doc
    assert "gps=none" in (pi_root / "etc/liandong/install-record.txt").read_text()
    assert "REBOOT NEEDED" in out  # the watchdog line went into config.txt


def test_running_twice_changes_nothing(bundle: Bundle, pi_root: Path) -> None:
    args = ("--gps", "uart", "--pps-pin", "18", "--gps-time", "--state-device", "LABEL=ldstate")
    first = run_install(bundle.path, pi_root, *args).stdout
    before = tree_digest(pi_root)
    second = run_install(bundle.path, pi_root, *args).stdout
    assert tree_digest(pi_root) == before
    assert "REBOOT NEEDED" in first
    assert "0 change(s)" in second and "No reboot needed" in second
    assert "changed" not in second


def test_repair_of_a_loosened_key_is_reported(bundle: Bundle, pi_root: Path) -> None:
    run_install(bundle.path, pi_root)
    key = pi_root / "etc/liandong/unit.key"
    key.chmod(0o644)
    out = run_install(bundle.path, pi_root).stdout
    assert mode(key) == 0o600
    assert "changed   /etc/liandong/unit.key (owner/mode)" in out
    assert "1 change(s)" in out


def test_config_txt_block_is_replaced_not_appended(bundle: Bundle, pi_root: Path) -> None:
    config = pi_root / "boot/firmware/config.txt"
    run_install(bundle.path, pi_root, "--gps", "uart", "--pps-pin", "4")
    text = config.read_text()
    assert text.startswith(CONFIG_TXT), "the stock settings are kept untouched"
    block = text[text.index(BEGIN) :].splitlines()
    assert block[1] == "[all]", "our lines must not fall under an earlier [cm4] filter"
    assert "dtparam=watchdog=on" in block and "dtoverlay=disable-bt" in block
    assert "enable_uart=1" in block and "dtoverlay=pps-gpio,gpiopin=4" in block

    run_install(bundle.path, pi_root, "--board", "pi5", "--gps", "uart")
    text = config.read_text()
    assert text.count(BEGIN) == 1 and text.count("# <<< liandong") == 1
    assert "dtparam=uart0=on" in text and "disable-bt" not in text and "pps-gpio" not in text
    assert text.startswith(CONFIG_TXT)


def test_gps_on_uart_frees_the_serial_console(bundle: Bundle, pi_root: Path) -> None:
    cmdline = pi_root / "boot/firmware/cmdline.txt"
    run_install(bundle.path, pi_root)
    assert cmdline.read_text() == CMDLINE_TXT, "USB GPS: the console is left alone"
    out = run_install(bundle.path, pi_root, "--gps", "uart").stdout
    assert cmdline.read_text() == CMDLINE_TXT.replace("console=serial0,115200 ", "")
    assert "REBOOT NEEDED (/boot/firmware/config.txt, /boot/firmware/cmdline.txt" in out
    rules = (pi_root / "etc/udev/rules.d/98-liandong-local.rules").read_text()
    assert 'KERNEL=="ttyAMA0", ENV{LD_ROLE}="gps"' in rules


@pytest.mark.slow
def test_time_sources(bundle: Bundle, pi_root: Path) -> None:
    conf = pi_root / "etc/chrony/conf.d/liandong.conf"
    run_install(bundle.path, pi_root)
    lines = conf.read_text().splitlines()
    assert "server ntp.gov.local iburst prefer" in lines
    assert not [line for line in lines if line.startswith("refclock")]

    run_install(bundle.path, pi_root, "--ntp", "10.8.0.1,ntp2.gov.local", "--pps-pin", "18")
    lines = conf.read_text().splitlines()
    assert (
        "server 10.8.0.1 iburst prefer" in lines and "server ntp2.gov.local iburst prefer" in lines
    )
    assert "refclock PPS /dev/pps0 refid PPS poll 4" in lines, "PPS alone numbers by the server"

    run_install(bundle.path, pi_root, "--gps-time", "--pps-pin", "18")
    lines = conf.read_text().splitlines()
    assert any(line.startswith("refclock SHM 0 refid NMEA") for line in lines)
    assert "refclock PPS /dev/pps0 lock NMEA refid PPS poll 4" in lines
    gpsd = (pi_root / "etc/default/gpsd").read_text()
    assert 'DEVICES="/dev/ld-gps /dev/pps0"' in gpsd
    doc = tomllib.loads((pi_root / "etc/liandong/gateway.toml").read_text())
    # gpsd owns the port; the gateway reads gpsd, not the port (two readers of one serial
    # port would each get part of the bytes)
    assert doc["gps"] == {"source": "gpsd", "arrival_radius_m": 150}
    parse_config(doc, pi_root / "etc/liandong")  # the gateway accepts what was installed

    done = run_install(bundle.path, pi_root, "--gps-time", "--gps", "none", check=False)
    assert done.returncode == 2 and "--gps-time needs a GPS" in done.stderr


def test_systemd_pieces_are_enabled(bundle: Bundle, pi_root: Path) -> None:
    run_install(bundle.path, pi_root)
    system = pi_root / "etc/systemd"
    link = system / "system/multi-user.target.wants/liandong-gateway.service"
    assert os.readlink(link) == "/etc/systemd/system/liandong-gateway.service"
    unit = (system / "system/liandong-gateway.service").read_text()
    assert unit == (FIRMWARE / "systemd/liandong-gateway.service").read_text()
    assert "RuntimeWatchdogSec=15s" in (system / "system.conf.d/liandong-watchdog.conf").read_text()
    assert "SystemMaxUse=" in (system / "journald.conf.d/liandong.conf").read_text()


@pytest.mark.slow
def test_state_partition_and_overlay_root(bundle: Bundle, pi_root: Path) -> None:
    fstab = pi_root / "etc/fstab"
    stock = fstab.read_text()
    bad = run_install(bundle.path, pi_root, "--overlay-root", check=False)
    assert bad.returncode == 2 and "--state-device" in bad.stderr
    out = run_install(
        bundle.path, pi_root, "--state-device", "LABEL=ldstate", "--overlay-root"
    ).stdout
    run_install(bundle.path, pi_root, "--state-device", "UUID=0c1d-77ab")
    lines = fstab.read_text().splitlines()
    ours = [line for line in lines if " /var/lib/liandong " in line]
    assert ours == [
        "UUID=0c1d-77ab /var/lib/liandong ext4 "
        "defaults,noatime,data=journal,commit=5,errors=remount-ro,nofail 0 2"
    ]
    assert fstab.read_text().startswith(stock)
    assert "raspi-config nonint enable_overlayfs" in out


def test_board_is_read_from_the_device_tree(bundle: Bundle, tmp_path: Path) -> None:
    root = make_root(tmp_path / "pi5", model="Raspberry Pi 5 Model B Rev 1.0")
    assert "board pi5" in run_install(bundle.path, root).stdout
    unknown = make_root(tmp_path / "unknown", model=None)
    done = run_install(bundle.path, unknown, check=False)
    assert done.returncode == 2 and "give --board" in done.stderr


def test_root_without_passwd_still_installs(bundle: Bundle, tmp_path: Path) -> None:
    """An image folder without /etc/passwd: no user is made, files are still placed."""
    root = tmp_path / "bare"
    (root / "boot/firmware").mkdir(parents=True)
    out = run_install(bundle.path, root, "--board", "pi3bplus").stdout
    assert "no " in out and "/etc/passwd" in out
    assert mode(root / "etc/liandong/unit.key") == 0o600
    assert (root / "boot/firmware/config.txt").read_text().startswith(BEGIN)


@pytest.mark.parametrize(
    ("damage", "message"),
    [
        (lambda b: (b / "hub-dispatch.pub").unlink(), "lacks hub-dispatch.pub"),
        (lambda b: (b / "gateway.toml").write_text("[unit\n"), "gateway.toml"),
        (
            lambda b: (b / "gateway.toml").write_text(
                (b / "gateway.toml").read_text().replace('id = "power-co"', 'id = "water-co"')
            ),
            "unit.crt is for 'power-co'",
        ),
        (lambda b: (b / "gateway.toml").write_text("[unit]\nid = 'x'\n"), "[unit] lacks county"),
        (
            lambda b: pki.write_private(b / "unit.key", pki.key_pem(pki.new_key()), force=True),
            "does not belong",
        ),
        (lambda b: (b / "unit.key").unlink(), "no unit.key"),
    ],
    ids=["missing-file", "bad-toml", "wrong-unit", "missing-keys", "foreign-key", "no-key"],
)
def test_bad_bundle_is_refused_and_nothing_written(
    bundle: Bundle, pi_root: Path, damage: object, message: str
) -> None:
    assert callable(damage)
    damage(bundle.path)
    before = tree_digest(pi_root)
    done = run_install(bundle.path, pi_root, check=False)
    assert done.returncode == 2, done.stdout
    assert message in done.stderr
    assert tree_digest(pi_root) == before


def test_certificate_from_another_county_is_refused(tmp_path: Path, pi_root: Path) -> None:
    bundle = make_bundle(tmp_path / "b", ca=pki.make_ca("other"))
    (bundle.path / "ca.crt").write_bytes(pki.cert_pem(pki.make_ca("shuangbai").cert))
    done = run_install(bundle.path, pi_root, check=False)
    assert done.returncode == 2 and "not signed by the bundle's ca.crt" in done.stderr


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (("--board", "pi2"), "--board pi2"),
        (("--ntp", "ntp.gov.local;reboot"), "--ntp"),
        (("--gps", "bluetooth"), "--gps bluetooth"),
        (("--pps-pin", "15"), "UART pin"),
        (("--pps-pin", "40"), "2-27"),
        (("--gps-usb", "067b-2303"), "VID:PID"),
        (("--gps", "none", "--gps-usb", "067b:2303"), "contradicts"),
        (("--state-device", "/dev/sda1 /x"), "--state-device"),
        (("--frobnicate",), "unknown option"),
    ],
)
def test_bad_options_are_refused(
    bundle: Bundle, pi_root: Path, args: tuple[str, ...], message: str
) -> None:
    before = tree_digest(pi_root)
    done = run_install(bundle.path, pi_root, *args, check=False)
    assert done.returncode == 2 and message in done.stderr
    assert tree_digest(pi_root) == before


def test_bad_pin_map_is_refused(bundle: Bundle, pi_root: Path, tmp_path: Path) -> None:
    pins = tmp_path / "pins.toml"
    pins.write_text("[pins]\nbuzzer = 17\nlight = 17\nack_button = 22\narrive_button = 23\n")
    done = run_install(bundle.path, pi_root, "--pins", str(pins), check=False)
    assert done.returncode == 2 and "share a pin" in done.stderr
    pins.write_text("[pins]\nbuzzer = 14\nlight = 27\nack_button = 22\narrive_button = 23\n")
    done = run_install(bundle.path, pi_root, "--pins", str(pins), check=False)
    assert done.returncode == 2 and "buzzer = 14" in done.stderr


@pytest.mark.slow
def test_key_made_on_the_terminal_is_kept(bundle: Bundle, pi_root: Path) -> None:
    """A bundle enrolled from the terminal's CSR has no unit.key: the installed one is used,
    checked against the certificate, and its mode and owner are kept right."""
    run_install(bundle.path, pi_root)
    key = pi_root / "etc/liandong/unit.key"
    original = key.read_bytes()
    (bundle.path / "unit.key").unlink()
    key.chmod(0o640)
    out = run_install(bundle.path, pi_root).stdout
    assert key.read_bytes() == original and mode(key) == 0o600
    assert "/etc/liandong/unit.key (owner/mode)" in out
    assert "(kept)" in run_install(bundle.path, pi_root).stdout
