"""`liandong-gateway check-config` and `test-print`: what an installer runs on site."""

from __future__ import annotations

from click.testing import CliRunner

from gateway.cli import main
from gateway.devices.simulators import PrinterSimulator
from tests.gateway.conftest import TerminalFiles


def test_check_config_accepts_a_bundle_and_names_a_bad_key(files: TerminalFiles) -> None:
    path = files.write()
    ok = CliRunner().invoke(main, ["check-config", "--config", str(path), "--offline"])
    assert ok.exit_code == 0, ok.output
    assert "configuration OK" in ok.output and "power-co" in ok.output
    assert "gps none" in ok.output and "speech off" in ok.output
    files.gpsd, files.speech = "127.0.0.1:2947", {"device": "plughw:1,0"}
    path = files.write()
    ok = CliRunner().invoke(main, ["check-config", "--config", str(path)])
    assert "gps gpsd 127.0.0.1:2947" in ok.output and "speech plughw:1,0" in ok.output
    path.write_text(path.read_text().replace("[printer]", "[printer]\nbaud = 9600"))
    bad = CliRunner().invoke(main, ["check-config", "--config", str(path)])
    assert bad.exit_code == 1 and "unknown key(s) in [printer]: baud" in bad.output
    (files.root / "hub-dispatch.pub").unlink()
    path.write_text(path.read_text().replace("baud = 9600\n", ""))
    missing = CliRunner().invoke(main, ["check-config", "--config", str(path), "--offline"])
    assert missing.exit_code == 1 and "[mqtt] hub_key" in missing.output


def test_test_print(files: TerminalFiles, printer_sim: PrinterSimulator) -> None:
    files.printer_url = printer_sim.url
    path = files.write()
    r = CliRunner().invoke(main, ["test-print", "--config", str(path)])
    assert r.exit_code == 0, r.output
    assert "打印测试" in printer_sim.text() and "，。；" in printer_sim.text()
    printer_sim.paper = False
    r = CliRunner().invoke(main, ["test-print", "--config", str(path)])
    assert r.exit_code == 1 and "paper_out" in r.output
