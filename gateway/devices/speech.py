"""The spoken order: espeak-ng renders Mandarin to a WAV file, sox plays it to ALSA.

Both are Debian packages that run on every Pi (espeak-ng's `cmn` voice needs no network
and no model download); `sox FILE -t alsa DEVICE` plays to any ALSA device by name (a USB
speaker `plughw:1,0`, the Pi 4 jack `default`), which espeak-ng's own output cannot choose.
`device = "file:PATH"` writes the last utterance to PATH instead (the demo, tests, a
terminal with no speaker that keeps a record).

Speech is a courtesy on top of the buzzer, the light and the slip, never in their way:
`Speaker.say` only queues; one worker thread renders and plays, each program under a
timeout; a missing audio device or program is logged once (then quietly retried on every
utterance, with a line when it works again), and the buzzer and printer carry on.
"""

from __future__ import annotations

import logging
import os
import subprocess
import tempfile
import threading
import wave
from collections import deque
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from gateway.errors import SpeechError

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class SpeechConfig:
    device: str = "default"
    """An ALSA device for sox (`default`, `plughw:1,0`), or `file:PATH`."""
    voice: str = "cmn"
    speed: int = 150
    """Words per minute (espeak-ng -s)."""
    volume: int = 100
    """espeak-ng's amplitude, 0-200."""
    repeat_s: float = 30.0
    """Said again this often while the order waits for 签收."""
    lead_s: float = 3.0
    """The alarm pattern sounds this long before the first words."""
    timeout_s: float = 30.0
    """The longest one program may take (rendering, or playing past the sound's length)."""


Track = Callable[["subprocess.Popen[bytes] | None"], None]


def render(text: str, wav: Path, config: SpeechConfig, track: Track | None = None) -> float:
    """Render `text` to a WAV file with espeak-ng; returns its length in seconds."""
    args = ["espeak-ng", "-v", config.voice, "-s", str(config.speed), "-a", str(config.volume)]
    _run([*args, "-w", str(wav), "--stdin"], text.encode("utf-8"), config.timeout_s, track)
    try:
        with wave.open(str(wav), "rb") as w:
            seconds = w.getnframes() / float(w.getframerate())
    except (OSError, EOFError, wave.Error) as e:
        raise SpeechError(f"espeak-ng wrote no usable WAV: {e}") from None
    if seconds <= 0:
        raise SpeechError("espeak-ng wrote an empty WAV")
    return seconds


def _run(args: list[str], stdin: bytes | None, timeout: float, track: Track | None) -> None:
    """Run one program to its end or its timeout; `track` sees it while it runs (so that
    stopping the terminal can end a sentence mid-word)."""
    try:
        proc = subprocess.Popen(
            args,
            stdin=subprocess.PIPE if stdin is not None else subprocess.DEVNULL,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.PIPE,
        )
    except FileNotFoundError:
        raise SpeechError(f"{args[0]} is not installed") from None
    if track:
        track(proc)
    try:
        _, err = proc.communicate(stdin, timeout=timeout)
    except subprocess.TimeoutExpired:
        proc.kill()
        proc.communicate()
        raise SpeechError(f"{args[0]} took longer than {timeout:.0f} s") from None
    finally:
        if track:
            track(None)
    if proc.returncode != 0:
        why = err.decode("utf-8", "replace").strip().splitlines()
        raise SpeechError(f"{args[0]} failed ({proc.returncode}): {why[-1] if why else ''}")


def _write_file(wav: Path, dest: Path) -> None:
    dest.parent.mkdir(parents=True, exist_ok=True)
    tmp = dest.with_name(f".{dest.name}.tmp")
    tmp.write_bytes(wav.read_bytes())
    os.replace(tmp, dest)


class Speaker:
    """Says queued sentences one after another in its own thread; `say` never blocks."""

    def __init__(self, config: SpeechConfig) -> None:
        self.config = config
        self.requested: deque[str] = deque(maxlen=100)
        """Every sentence asked for, newest last (status and tests read it)."""
        self.spoken = 0
        self.failures = 0
        self.ok: bool | None = None
        """None until the first try; False while the device or a program fails."""
        self._pending: dict[str, str] = {}
        self._busy = False
        self._cond = threading.Condition()
        self._stop = False
        self._proc: subprocess.Popen[bytes] | None = None
        self._thread: threading.Thread | None = None

    def say(self, key: str, text: str) -> None:
        """Queue `text`; a sentence still waiting under the same key (an order) is replaced,
        so a cancel that follows the order's own words at once is not said after them."""
        with self._cond:
            self._pending.pop(key, None)
            self._pending[key] = text
            self.requested.append(text)
            self._cond.notify_all()

    def idle(self, timeout: float) -> bool:
        """Wait until nothing is queued or being said (tests and the demo's end)."""
        with self._cond:
            return self._cond.wait_for(lambda: not self._pending and not self._busy, timeout)

    def speak_now(self, text: str) -> None:
        """Render and play one sentence in this thread; raises SpeechError."""
        try:
            self._speak(text)
        except OSError as e:  # no room for the WAV, a file: folder that cannot be written
            raise SpeechError(f"cannot write the sound: {e}") from None

    def _speak(self, text: str) -> None:
        with tempfile.TemporaryDirectory(prefix="ld-speech-") as tmp:
            wav = Path(tmp) / "order.wav"
            seconds = render(text, wav, self.config, self._track)
            if self.config.device.startswith("file:"):
                _write_file(wav, Path(self.config.device.removeprefix("file:")))
                return
            sox = ["sox", "-q", str(wav), "-t", "alsa", self.config.device]
            _run(sox, None, seconds + self.config.timeout_s, self._track)

    def _track(self, proc: subprocess.Popen[bytes] | None) -> None:
        with self._cond:
            self._proc = proc
        if proc is not None and self._stop:
            proc.kill()

    def _one(self, text: str) -> None:
        try:
            self.speak_now(text)
        except SpeechError as e:
            if self._stop:
                return  # cut short by stop(): not a failure of the device
            self.failures += 1
            if self.ok is not False:
                log.warning(
                    "speech on %s failed: %s; the buzzer and printer carry on (logged once "
                    "until it works again)",
                    self.config.device,
                    e,
                )
            self.ok = False
            return
        except Exception:  # never let the worker die: the next order must still be said
            self.failures += 1
            log.exception("speech failed")
            return
        if self.ok is False:
            log.info("speech on %s works again", self.config.device)
        self.ok = True
        self.spoken += 1

    def _run(self) -> None:
        while True:
            with self._cond:
                self._cond.wait_for(lambda: self._pending or self._stop)
                if self._stop:
                    return
                key = next(iter(self._pending))
                text = self._pending.pop(key)
                self._busy = True
            try:
                self._one(text)
            finally:
                with self._cond:
                    self._busy = False
                    self._cond.notify_all()

    def start(self) -> None:
        self._thread = threading.Thread(target=self._run, name="speech", daemon=True)
        self._thread.start()

    def stop(self) -> None:
        """Stop now: what is being said is cut off, what waits is dropped."""
        with self._cond:
            self._stop = True
            self._pending.clear()
            if self._proc is not None:
                self._proc.kill()
            self._cond.notify_all()
        if self._thread:
            self._thread.join(2)
