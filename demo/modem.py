"""A GSM modem on a pty pair, speaking the AT commands hub/alerts/modem.py uses.

The hub opens the slave path with pyserial exactly as it opens /dev/ttyUSB2; this thread
answers on the master side like a modem in PDU mode: echo until ATE0, AT+CMEE, AT+CMGF,
AT+CPIN? (READY, or "SIM PIN" / "+CME ERROR: 10" when the SIM is not ready), AT+CREG?
(registered or not), AT+CMGS=<n> with the "> " prompt, the PDU up to Ctrl-Z (Esc
cancels), then `+CMGS: <ref>` / `OK` or a `+CMS ERROR`. It keeps every PDU it took, so a
test can decode what the hub really sent, and refuses a PDU whose length is not the one
announced (a real modem answers +CMS ERROR: 304 then).
"""

from __future__ import annotations

import os
import select
import threading
import tty
from dataclasses import dataclass, field


@dataclass
class ModemState:
    """What the simulated modem does; tests change it between messages."""

    pin: str = "READY"  # "READY", "SIM PIN", or "" for no SIM (+CME ERROR: 10)
    registered: str = "1"  # +CREG stat: 1 home, 5 roaming, 0 / 2 / 3 not registered
    cms_error: int | None = None  # answer the next PDUs with +CMS ERROR: n
    cms_errors_left: int = 0  # ... this many times (then OK again)
    silent: bool = False  # answer nothing at all (a hung modem)
    taken: list[str] = field(default_factory=list)  # every PDU accepted, as hex
    refused: list[str] = field(default_factory=list)  # PDUs answered with an error
    commands: list[str] = field(default_factory=list)  # every AT command line received


class ModemSimulator:
    def __init__(self) -> None:
        self.master, self.slave = os.openpty()
        tty.setraw(self.slave)
        self.path = os.ttyname(self.slave)
        self.state = ModemState()
        self._echo = True
        self._ref = 0
        self._pdu_len: int | None = None  # set while waiting for a PDU after AT+CMGS
        self._buf = b""
        self._lock = threading.Lock()
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, name="modem-sim", daemon=True)
        self._thread.start()

    # ---- the modem -----------------------------------------------------------------
    def _say(self, *lines: str) -> None:
        out = "".join(f"\r\n{line}\r\n" for line in lines)
        os.write(self.master, out.encode("ascii"))

    def _run(self) -> None:
        while not self._stop.is_set():
            ready, _, _ = select.select([self.master], [], [], 0.05)
            if not ready:
                continue
            try:
                data = os.read(self.master, 4096)
            except OSError:
                continue  # the hub closed its side; it may open it again
            with self._lock:
                self._feed(data)

    def _feed(self, data: bytes) -> None:
        self._buf += data
        while True:
            if self._pdu_len is not None:
                end = min(
                    (i for i in (self._buf.find(b"\x1a"), self._buf.find(b"\x1b")) if i >= 0),
                    default=-1,
                )
                if end < 0:
                    return
                pdu, cancel = self._buf[:end], self._buf[end : end + 1] == b"\x1b"
                self._buf = self._buf[end + 1 :]
                if not cancel:
                    self._pdu(pdu.decode("ascii", "replace").strip())
                self._pdu_len = None
                continue
            end = self._buf.find(b"\r")
            if end < 0:
                return
            # an Esc or Ctrl-Z outside a PDU is ignored, as a modem in command mode does
            line = self._buf[:end].decode("ascii", "replace").strip().strip("\x1a\x1b")
            self._buf = self._buf[end + 1 :].lstrip(b"\n")
            if line:
                self._command(line)

    def _command(self, line: str) -> None:
        s = self.state
        s.commands.append(line)
        if s.silent:
            return
        if self._echo:
            os.write(self.master, line.encode("ascii") + b"\r")
        cmd = line.upper()
        if cmd in ("AT", "ATZ", "AT+CMEE=1", "AT+CMGF=0"):
            self._say("OK")
        elif cmd == "ATE0":
            self._echo = False
            self._say("OK")
        elif cmd == "AT+CPIN?":
            if not s.pin:
                self._say("+CME ERROR: 10")
            else:
                self._say(f"+CPIN: {s.pin}", "OK")
        elif cmd.startswith("AT+CPIN="):
            s.pin = "READY"
            self._say("OK")
        elif cmd == "AT+CREG?":
            self._say(f"+CREG: 0,{s.registered}", "OK")
        elif cmd.startswith("AT+CMGS="):
            if s.pin != "READY":
                self._say("+CMS ERROR: 310")
                return
            self._pdu_len = int(cmd.split("=", 1)[1])
            os.write(self.master, b"\r\n> ")
        else:
            self._say("ERROR")

    def _pdu(self, pdu: str) -> None:
        s = self.state
        if s.silent:
            return
        declared = self._pdu_len
        smsc_octets = int(pdu[:2], 16) + 1 if len(pdu) >= 2 else 0
        if declared is None or len(pdu) // 2 - smsc_octets != declared:
            s.refused.append(pdu)
            self._say("+CMS ERROR: 304")
            return
        if s.registered not in ("1", "5"):
            s.refused.append(pdu)
            self._say("+CMS ERROR: 331")
            return
        if s.cms_error is not None and s.cms_errors_left > 0:
            s.cms_errors_left -= 1
            s.refused.append(pdu)
            self._say(f"+CMS ERROR: {s.cms_error}")
            return
        s.taken.append(pdu)
        self._ref = (self._ref + 1) % 256
        self._say(f"+CMGS: {self._ref}", "OK")

    # ---- the test's side -----------------------------------------------------------
    def close(self) -> None:
        self._stop.set()
        self._thread.join(2)
        os.close(self.master)
        os.close(self.slave)

    def __enter__(self) -> ModemSimulator:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()
