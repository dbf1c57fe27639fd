"""gateway.toml: the documented example loads; every mistake names its key."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from gateway.config import load_config
from gateway.devices.pin_numbers import DEFAULT_PINS
from gateway.errors import ConfigError

DOC = Path(__file__).parents[2] / "docs" / "layout-and-config.md"


def _example() -> str:
    text = DOC.read_text()
    m = re.search(r"## gateway.toml\n```toml\n(.*?)```", text, re.S)
    assert m, "docs/layout-and-config.md lost its gateway.toml example"
    return m.group(1)


def test_documented_example_loads_with_paths_relative_to_the_file(tmp_path: Path) -> None:
    path = tmp_path / "bundle" / "gateway.toml"
    path.parent.mkdir()
    path.write_text(_example())
    cfg = load_config(path)
    assert cfg.unit_id == "power-co" and cfg.county == "shuangbai"
    assert cfg.unit_name == "云南电网双柏供电局"  # the kiosk's header
    assert cfg.state_dir == path.parent / "state"
    assert cfg.mqtt.cert == path.parent / "unit.crt"
    assert cfg.mqtt.hub_key == path.parent / "hub-dispatch.pub"
    assert cfg.pins == DEFAULT_PINS
    assert cfg.printer.encoding == "gb18030"
    assert cfg.gps is not None and cfg.gps.arrival_radius_m == 150
    assert (cfg.kiosk.host, cfg.kiosk.port, cfg.kiosk.enabled) == ("127.0.0.1", 8080, True)
    path.write_text(_example().replace("[kiosk]\n", "[kiosk]\nenabled = false\n", 1))
    assert not load_config(path).kiosk.enabled
    assert cfg.gps.source == "nmea" and cfg.gps.port == "/dev/ld-gps"
    assert cfg.speech is not None and cfg.speech.device == "default"
    assert (cfg.speech.voice, cfg.speech.repeat_s, cfg.speech.lead_s) == ("cmn", 30.0, 3.0)


def test_gps_through_gpsd_and_speech_settings(tmp_path: Path) -> None:
    text = re.sub(r"\[gps\].*?\n\n", '[gps]\nsource = "gpsd"\n\n', _example(), flags=re.S)
    path = tmp_path / "gateway.toml"
    path.write_text(text.replace('device = "default"', 'device = "file:said.wav"\nspeed = 120'))
    cfg = load_config(path)
    assert cfg.gps is not None and cfg.gps.source == "gpsd" and cfg.gps.port == ""
    assert (cfg.gps.gpsd_host, cfg.gps.gpsd_port) == ("127.0.0.1", 2947)
    assert cfg.speech is not None and cfg.speech.device == f"file:{tmp_path / 'said.wav'}"
    assert cfg.speech.speed == 120
    path.write_text(text.replace('source = "gpsd"', 'source = "gpsd"\ngpsd = "[::1]:2948"'))
    gps = load_config(path).gps
    assert gps is not None and (gps.gpsd_host, gps.gpsd_port) == ("::1", 2948)
    path.write_text(text.replace("repeat_s = 30", "repeat_s = 30\nenabled = false"))
    assert load_config(path).speech is None


def test_defaults_when_optional_sections_are_left_out(tmp_path: Path) -> None:
    text = re.sub(r"\[gps\].*?\n\n", "", _example(), flags=re.S)
    text = re.sub(r"\[pins\].*?\n\n", "", text, flags=re.S)
    path = tmp_path / "gateway.toml"
    path.write_text(text)
    cfg = load_config(path)
    assert cfg.gps is None
    assert cfg.pins == {"buzzer": 17, "light": 27, "ack_button": 22, "arrive_button": 23}


@pytest.mark.parametrize(
    ("old", "new", "message"),
    [
        ("buzzer = 17", "buzer = 17", r"unknown key\(s\) in \[pins\]: buzer"),
        ("buzzer = 17", 'buzzer = "17"', r"\[pins\] buzzer must be a int"),
        ("buzzer = 17", "buzzer = 40", r"\[pins\] buzzer must be a BCM pin"),
        ("light = 27", "light = 17", r"\[pins\] light and buzzer both use BCM 17"),
        ('encoding = "gb18030"', 'encoding = "klingon"', r"\[printer\] encoding 'klingon'"),
        ('id = "power-co"', 'id = "Power Co"', r"\[unit\] id 'Power Co' is not valid"),
        ("port = 8883", "port = 70000", r"\[mqtt\] port must be a port number"),
        ('listen = "127.0.0.1:8080"', 'listen = "everywhere"', r"\[kiosk\] listen must be"),
        (
            'listen = "127.0.0.1:8080"',
            'listen = "127.0.0.1:8080"\nenabled = "no"',
            r"\[kiosk\] enabled must be true or false",
        ),
        ('host = "localhost"', "", r"\[mqtt\] host is missing"),
        (
            "baudrate = 9600\narrival",
            'source = "gpsd"\nbaudrate = 9600\narrival',
            r"\[gps\] port is for",
        ),
        ("baudrate = 9600\narrival", 'source = "usb"\narrival', r"\[gps\] source must be"),
        ("baudrate = 9600\narrival", 'gpsd = "127.0.0.1:2947"\narrival', r"\[gps\] gpsd needs"),
        ("repeat_s = 30", "repeat_s = 1", r"\[speech\] repeat_s must be 5.0-3600.0"),
        ("repeat_s = 30", "volume = 900", r"\[speech\] volume must be 0-200"),
        ("repeat_s = 30", "enabled = 1", r"\[speech\] enabled must be true or false"),
        ("repeat_s = 30", "voise = 1", r"unknown key\(s\) in \[speech\]: voise"),
        ("[kiosk]", "[kiosks]", r"unknown section \[kiosks\]"),
        ("arrival_radius_m = 150", "arrival_radius_m = 1", r"arrival_radius_m must be"),
        ('name = "云南电网双柏供电局"', 'name = " "', r"\[unit\] name must"),
        ('name = "云南电网双柏供电局"', 'name = "供电\\n局"', r"\[unit\] name must be one"),
    ],
)
def test_bad_values_name_the_key(tmp_path: Path, old: str, new: str, message: str) -> None:
    path = tmp_path / "gateway.toml"
    text = _example()
    assert old in text
    path.write_text(text.replace(old, new, 1))
    with pytest.raises(ConfigError, match=message):
        load_config(path)


def test_unreadable_files(tmp_path: Path) -> None:
    with pytest.raises(ConfigError, match="no such file"):
        load_config(tmp_path / "missing.toml")
    bad = tmp_path / "gateway.toml"
    bad.write_text("[unit\nid=")
    with pytest.raises(ConfigError, match="not valid TOML"):
        load_config(bad)
    bad.write_text("[printer]\nport='loop://'\n[mqtt]\n")
    with pytest.raises(ConfigError, match=r"section \[unit\] is missing"):
        load_config(bad)
