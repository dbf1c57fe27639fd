"""The spoken order: the words for each kind of order, real espeak-ng audio measured with
sox, repeats stepped with an injected clock, and a broken or missing audio device that
leaves the alarm and the store as they are (the real gateway, gpiozero's mock pins)."""

from __future__ import annotations

import logging
import re
import shutil
import subprocess
import time
from collections.abc import Callable
from pathlib import Path

import msgspec
import pytest

from gateway.devices.announce import words
from gateway.devices.speech import Speaker, SpeechConfig, render
from gateway.terminal import Gateway
from tests.gateway.conftest import TerminalFiles, order_body
from tests.support.wait import wait_for
from wire import Signer, encode
from wire.clock import Clock
from wire.kinds import Body, CancelBody, CommandBody

OID = "01JORDER0000000000000001"
PLACE = "妥甸镇 东街 12 号"
needs_audio_tools = pytest.mark.skipif(
    not (shutil.which("espeak-ng") and shutil.which("sox")),
    reason="espeak-ng and sox are missing (make test installs them: apt-get install espeak-ng sox)",
)


def _down(signer: Signer, kind: str, body: Body, clock: Clock) -> bytes:
    return encode(kind, "power-co", body, signer, at=clock.now())[1]


def sox_stat(wav: Path) -> dict[str, float]:
    """`sox FILE -n stat`: length, RMS and maximum amplitude (sox prints them on stderr)."""
    out = subprocess.run(
        ["sox", str(wav), "-n", "stat"], capture_output=True, text=True, check=True
    ).stderr
    stat = {}
    for line in out.splitlines():
        name, sep, value = line.partition(":")
        if sep:
            stat[" ".join(name.split())] = value.strip()
    return {
        "seconds": float(stat["Length (seconds)"]),
        "rms": float(stat["RMS amplitude"]),
        "max": float(stat["Maximum amplitude"]),
    }


# ---- the words ---------------------------------------------------------------------------


def test_words_for_each_priority_revision_cancel_and_drill() -> None:
    assert words(order_body(priority="urgent"), "new") == f"紧急派单，停电，{PLACE}。"
    assert words(order_body(priority="critical"), "new") == f"特急派单，停电，{PLACE}。"
    assert words(order_body(priority="normal"), "new") == f"一般派单，停电，{PLACE}。"
    assert words(order_body(rev=2), "revised") == f"紧急派单变更，停电，{PLACE}。"
    assert words(order_body(), "cancelled") == f"派单撤销，停电，{PLACE}，无需处置。"
    drill = order_body(drill=True)
    assert words(drill, "new") == f"演练，紧急派单，停电，{PLACE}。"
    assert words(drill, "cancelled").startswith("演练，派单撤销，")


def test_no_phone_no_control_characters_and_the_township_named() -> None:
    body = msgspec.structs.replace(
        order_body(),
        address="东街\x1b@12号\u202e\n二楼",
        category_name="停\x07电",
        caller_phone="138****5678",
    )
    said = words(body, "new")
    assert said == "紧急派单，停电，妥甸镇东街@12号 二楼。"
    assert "5678" not in said and "138" not in said
    assert not re.search("[\x00-\x1f\x7f-\x9f\u202a-\u202e]", said)


# ---- real audio --------------------------------------------------------------------------


@needs_audio_tools
def test_rendered_order_is_speech_of_a_sensible_length(tmp_path: Path) -> None:
    wav = tmp_path / "order.wav"
    seconds = render(words(order_body(), "new"), wav, SpeechConfig())
    stat = sox_stat(wav)
    assert 2.0 < stat["seconds"] < 15.0 and stat["seconds"] == pytest.approx(seconds, abs=0.01)
    assert stat["rms"] > 0.02 and stat["max"] > 0.3, f"silent or nearly: {stat}"
    quiet = tmp_path / "quiet.wav"
    render(words(order_body(), "new"), quiet, SpeechConfig(volume=20))
    assert sox_stat(quiet)["rms"] < stat["rms"] / 2, "the volume setting reaches the sound"


@needs_audio_tools
def test_speaker_to_a_file_and_to_a_broken_device(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    out = tmp_path / "said" / "last.wav"
    speaker = Speaker(SpeechConfig(device=f"file:{out}"))
    speaker.start()
    try:
        speaker.say("a", words(order_body(), "new"))
        assert speaker.idle(20) and speaker.ok is True and speaker.spoken == 1
        assert sox_stat(out)["rms"] > 0.02
    finally:
        speaker.stop()

    broken = Speaker(SpeechConfig(device="hw:99,0"))
    broken.start()
    caplog.set_level(logging.WARNING, logger="gateway.devices.speech")
    try:
        broken.say("a", "紧急派单。")
        assert broken.idle(20)
        broken.say("b", "紧急派单。")
        assert broken.idle(20)
    finally:
        broken.stop()
    assert broken.ok is False and broken.failures == 2 and broken.spoken == 0
    warnings = [r for r in caplog.records if "speech on hw:99,0 failed" in r.getMessage()]
    assert len(warnings) == 1, "a missing device is logged once, not on every order"


def test_a_sentence_waiting_for_the_same_order_is_replaced() -> None:
    speaker = Speaker(SpeechConfig())  # not started: say only queues
    speaker.say(OID, "紧急派单。")
    speaker.say("other", "一般派单。")
    speaker.say(OID, "派单撤销。")
    assert list(speaker._pending.items()) == [("other", "一般派单。"), (OID, "派单撤销。")]
    assert list(speaker.requested) == ["紧急派单。", "一般派单。", "派单撤销。"]


# ---- in the terminal ---------------------------------------------------------------------


@pytest.fixture
def mono() -> list[float]:
    return [1000.0]


@pytest.fixture
def quiet_gw(
    files: TerminalFiles,
    make_gateway: Callable[..., Gateway],
    mono: list[float],
    tmp_path: Path,
) -> Gateway:
    """A terminal whose speech thread is not running: the test steps the clock itself."""
    files.speech = {"device": f"file:{tmp_path / 'said.wav'}", "lead_s": 3, "repeat_s": 30}
    return make_gateway(files.config(), start=False, monotonic=lambda: mono[0])


def _said(gw: Gateway) -> list[str]:
    assert gw.speaking is not None
    return list(gw.speaking.speaker.requested)


def test_said_after_the_alarm_lead_repeated_until_acknowledged(
    quiet_gw: Gateway, hub_signer: Signer
) -> None:
    gw, speaking = quiet_gw, quiet_gw.speaking
    assert speaking is not None
    gw.handle_down(_down(hub_signer, "order", order_body(), gw.clock))
    assert gw.alarm.pattern == "urgent"
    speaking.scan(1000.0)
    speaking.tick(1002.9)
    assert _said(gw) == [], "the alarm pattern sounds first"
    speaking.tick(1003.0)
    assert _said(gw) == [f"紧急派单，停电，{PLACE}。"]
    speaking.tick(1032.9)
    assert len(_said(gw)) == 1
    speaking.tick(1033.0)
    speaking.tick(1063.5)
    assert len(_said(gw)) == 3, "said every repeat_s while nobody acknowledges"

    gw.acknowledge(None, via="button")
    speaking.scan(1064.0)
    for t in (1100.0, 2000.0, 5000.0):
        speaking.tick(t)
    assert len(_said(gw)) == 3, "签收 ends the repeats"

    gw.handle_down(_down(hub_signer, "order", order_body(rev=2), gw.clock))
    speaking.scan(5001.0)
    speaking.tick(9000.0)
    assert _said(gw)[3:] == [f"紧急派单变更，停电，{PLACE}。"], "acknowledged: said once"

    gw.handle_down(_down(hub_signer, "cancel", CancelBody(order_id=OID), gw.clock))
    speaking.scan(9001.0)
    speaking.tick(20000.0)
    assert _said(gw)[4:] == [f"派单撤销，停电，{PLACE}，无需处置。"]


def test_cancel_silence_and_drill(quiet_gw: Gateway, hub_signer: Signer) -> None:
    gw, speaking = quiet_gw, quiet_gw.speaking
    assert speaking is not None
    drill_id = "01JORDER0000000000000002"
    gw.handle_down(_down(hub_signer, "order", order_body(drill_id, drill=True), gw.clock))
    gw.handle_down(_down(hub_signer, "order", order_body(priority="critical"), gw.clock))
    speaking.scan(1000.0)
    speaking.tick(1003.0)
    assert sorted(_said(gw)) == sorted(
        [f"演练，紧急派单，停电，{PLACE}。", f"特急派单，停电，{PLACE}。"]
    )
    gw.handle_down(_down(hub_signer, "cancel", CancelBody(order_id=OID), gw.clock))
    speaking.scan(1010.0)
    assert _said(gw)[-1] == f"派单撤销，停电，{PLACE}，无需处置。"
    gw.handle_down(_down(hub_signer, "command", CommandBody(command="silence"), gw.clock))
    assert not gw.alarm.active
    speaking.scan(1011.0)
    speaking.tick(1100.0)
    assert len(_said(gw)) == 3, "a silenced alarm is not spoken either"
    realarm = CommandBody(command="realarm", order_id=drill_id)
    gw.handle_down(_down(hub_signer, "command", realarm, gw.clock))  # spoken again
    speaking.scan(1200.0)
    speaking.tick(1203.0)
    assert _said(gw)[-1] == f"演练，紧急派单，停电，{PLACE}。"


@needs_audio_tools
@pytest.mark.parametrize("broken", ["hw:99,0", "missing-program"])
def test_broken_audio_leaves_the_alarm_and_the_store_working(
    broken: str,
    files: TerminalFiles,
    make_gateway: Callable[..., Gateway],
    hub_signer: Signer,
    monkeypatch: pytest.MonkeyPatch,
    caplog: pytest.LogCaptureFixture,
) -> None:
    if broken == "missing-program":  # a terminal without espeak-ng installed
        monkeypatch.setenv("PATH", "/nonexistent")
    files.speech = {"device": "hw:99,0", "lead_s": 0, "repeat_s": 5}
    gw = make_gateway(files.config())
    assert gw.speaking is not None
    gw.handle_down(_down(hub_signer, "order", order_body(), gw.clock))
    assert gw.alarm.pattern == "urgent" and gw.pins.buzzer.value == 1
    assert gw.orders.get(OID).alarming and gw.orders.received_pending(OID)
    wait_for(lambda: gw.speaking and gw.speaking.speaker.failures >= 1, 20, "speech to fail")
    second = order_body("01JORDER0000000000000003", priority="critical")
    gw.handle_down(_down(hub_signer, "order", second, gw.clock))
    assert gw.alarm.pattern == "critical"
    wait_for(lambda: gw.speaking and gw.speaking.speaker.failures >= 2, 20, "speech to fail")
    assert [r.levelno for r in caplog.records if "speech on" in r.getMessage()].count(
        logging.WARNING
    ) == 1
    assert gw.acknowledge(None, via="button") and not gw.alarm.active
    assert all(o.acked_at for o in gw.orders.all())
    assert gw.alive()


@needs_audio_tools
def test_a_running_terminal_speaks_a_real_wav(
    files: TerminalFiles, make_gateway: Callable[..., Gateway], hub_signer: Signer, tmp_path: Path
) -> None:
    out = tmp_path / "said.wav"
    files.speech = {"device": f"file:{out}", "lead_s": 0}
    gw = make_gateway(files.config())
    gw.handle_down(_down(hub_signer, "order", order_body(drill=True), gw.clock))
    wait_for(out.exists, 20, "the spoken order")
    assert sox_stat(out)["rms"] > 0.02


def test_speech_is_off_without_the_section_or_when_disabled(
    files: TerminalFiles, make_gateway: Callable[..., Gateway]
) -> None:
    assert make_gateway(files.config(), start=False).speaking is None
    files.speech = {"enabled": False, "device": "default"}
    assert files.config().speech is None


@needs_audio_tools
def test_stop_cuts_a_sentence_short(tmp_path: Path) -> None:
    speaker = Speaker(SpeechConfig(device=f"file:{tmp_path / 'out.wav'}"))
    speaker.start()
    speaker.say("long", "紧急派单，停电，妥甸镇东街十二号。" * 1500)  # minutes of speech
    wait_for(lambda: speaker._proc is not None, 10, "espeak-ng to start")
    started = time.monotonic()
    speaker.stop()
    assert time.monotonic() - started < 2.5, "stop waits for no sentence"
    assert speaker.spoken == 0 and speaker.failures == 0 and speaker.ok is None
    assert speaker._thread is not None and not speaker._thread.is_alive()


@needs_audio_tools
def test_orders_alarm_and_commit_while_the_speaker_is_busy(
    files: TerminalFiles, make_gateway: Callable[..., Gateway], hub_signer: Signer, tmp_path: Path
) -> None:
    """espeak-ng busy with minutes of speech: the next order is stored and alarms at once;
    its own words wait their turn in the speech thread."""
    files.speech = {"device": f"file:{tmp_path / 'said.wav'}", "lead_s": 0}
    gw = make_gateway(files.config())
    assert gw.speaking is not None
    speaker = gw.speaking.speaker
    speaker.say("long", "紧急派单，停电，妥甸镇东街十二号。" * 1500)
    wait_for(lambda: speaker._proc is not None, 10, "espeak-ng to be busy")
    started = time.monotonic()
    gw.handle_down(_down(hub_signer, "order", order_body(priority="critical"), gw.clock))
    assert speaker._proc is not None, "the order was handled while espeak-ng still ran"
    assert time.monotonic() - started < 2.0
    assert gw.alarm.pattern == "critical" and gw.orders.get(OID).received_at
    wait_for(lambda: f"特急派单，停电，{PLACE}。" in speaker.requested, 5, "the order queued")
    assert speaker.spoken == 0, "still saying the long one: the order's words wait"
