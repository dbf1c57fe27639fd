"""The AT layer against a modem simulator on a pty pair: what it sends, and every refusal."""

from __future__ import annotations

import pytest

from demo.modem import ModemSimulator
from hub.alerts.channel import SendError
from hub.alerts.modem import Modem
from hub.alerts.settings import ModemSettings
from tests.hub.alerts.conftest import decoded, messages, modem_settings

TEXT = "【联动督办】双柏县供电局 派单“停电 妥甸镇东街12号”已超时未签收（时限3分钟）。请立即处置。"


def test_a_message_goes_out_in_pdu_mode(sim: ModemSimulator, modem: Modem) -> None:
    ref = modem.send("13908780001", TEXT, key="o1/ack/13908780001", reference=1)
    assert ref == "1"
    assert messages(sim) == [("13908780001", TEXT)]
    assert sim.state.commands[:3] == ["ATE0", "AT+CMEE=1", "AT+CMGF=0"]
    assert "AT+CPIN?" in sim.state.commands and "AT+CREG?" in sim.state.commands


def test_a_long_message_goes_as_joined_parts(sim: ModemSimulator, modem: Modem) -> None:
    ref = modem.send("13908780001", TEXT * 2, key="k", reference=42)
    assert ref == "1,2"
    assert len(sim.state.taken) == 2
    assert [
        decoded(p)["user_data"]["header"]["elements"][0]["data"]["reference"]
        for p in sim.state.taken
    ] == [42, 42]
    assert messages(sim) == [("13908780001", TEXT * 2)]


def test_cms_error_is_a_send_error_and_the_next_try_works(
    sim: ModemSimulator, modem: Modem
) -> None:
    sim.state.cms_error, sim.state.cms_errors_left = 500, 1
    with pytest.raises(SendError, match=r"\+CMS ERROR: 500 \(unknown error\)"):
        modem.send("13908780001", TEXT, key="k", reference=1)
    assert sim.state.taken == [] and len(sim.state.refused) == 1
    modem.send("13908780001", TEXT, key="k", reference=1)  # the port re-opened, re-initialised
    assert messages(sim) == [("13908780001", TEXT)]
    assert sim.state.commands.count("ATE0") == 2


def test_no_network_is_said_and_nothing_is_sent(sim: ModemSimulator, modem: Modem) -> None:
    sim.state.registered = "2"  # searching
    with pytest.raises(SendError, match=r"no network.*\+CREG: 0,2"):
        modem.send("13908780001", TEXT, key="k", reference=1)
    assert not any(c.startswith("AT+CMGS") for c in sim.state.commands)
    sim.state.registered = "5"  # roaming will do
    modem.send("13908780001", TEXT, key="k", reference=1)
    assert len(sim.state.taken) == 1


@pytest.mark.parametrize(
    ("pin", "said"), [("SIM PIN", r"SIM not ready \(\+CPIN: SIM PIN\)"), ("", r"CME ERROR: 10")]
)
def test_a_sim_that_is_not_ready_is_said(
    sim: ModemSimulator, modem: Modem, pin: str, said: str
) -> None:
    sim.state.pin = pin
    with pytest.raises(SendError, match=said):
        modem.send("13908780001", TEXT, key="k", reference=1)
    assert sim.state.taken == []


def test_a_configured_pin_unlocks_the_sim(sim: ModemSimulator) -> None:
    sim.state.pin = "SIM PIN"
    modem = Modem(modem_settings(sim, pin="1234"))
    try:
        modem.send("13908780001", TEXT, key="k", reference=1)
    finally:
        modem.close()
    assert 'AT+CPIN="1234"' in sim.state.commands
    assert len(sim.state.taken) == 1


def test_a_silent_modem_times_out(sim: ModemSimulator) -> None:
    sim.state.silent = True
    modem = Modem(modem_settings(sim, command_timeout_s=0.3))
    try:
        with pytest.raises(SendError, match=r"did not answer .ATE0. within 0\.3 s"):
            modem.send("13908780001", TEXT, key="k", reference=1)
    finally:
        modem.close()


def test_a_port_that_is_not_there_is_a_send_error() -> None:
    modem = Modem(ModemSettings(port="/dev/ld-no-such-modem"))
    with pytest.raises(SendError, match="cannot open the modem port /dev/ld-no-such-modem"):
        modem.send("13908780001", TEXT, key="k", reference=1)
