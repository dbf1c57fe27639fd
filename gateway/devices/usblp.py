"""A USB-class printer: the usblp kernel driver's `/dev/usb/lpN`, a character device that
is not a tty.

Most receipt printers sold today are USB printer-class devices, not USB-serial bridges:
Linux binds them to usblp, which gives a plain character device. pyserial cannot open it
(it is not a terminal: termios calls fail), so it gets this small port with the same
`write`/`read` as a pyserial port, on a file descriptor opened `O_RDWR | O_NOCTTY |
O_NONBLOCK` and waited on with `poll`, so that a stalled printer costs a timeout rather
than a hung thread.

Status, two ways, both used where the device offers them:
- DLE EOT, as on a serial printer: usblp passes reads through on a bidirectional printer,
  which answers with its status byte. A unidirectional one never answers (or the driver
  refuses the read): that is "no answer", as with a serial printer that ignores DLE EOT.
- The `LPGETSTATUS` ioctl: usblp asks the printer for its IEEE 1284 port status (the
  class request GET_PORT_STATUS), which has paper-empty, select and error bits even on
  printers that ignore DLE EOT. `lp_status` is None where the ioctl is not supported.
"""

from __future__ import annotations

import errno
import fcntl
import logging
import os
import select
import stat
import struct
from typing import Literal

log = logging.getLogger(__name__)

LPGETSTATUS = 0x060B
"""linux/lp.h: read the 1284 status byte (usblp answers it on every USB printer)."""
LP_PERRORP = 0x08  # nFault: set when there is NO error
LP_PSELECD = 0x10  # Select: set when the printer is on line
LP_POUTPA = 0x20  # PaperEmpty: set when the paper is out

LpState = Literal["ok", "paper_out", "offline"]

_NO_READS = {errno.EINVAL, errno.EOPNOTSUPP, errno.ENOSYS, errno.EIO}
"""What a read from a printer that cannot answer gives (usblp on a unidirectional one)."""
_NO_IOCTL = {errno.ENOTTY, errno.EINVAL, errno.EOPNOTSUPP, errno.ENOSYS}


def is_char_device(path: str) -> bool:
    """A path (after symlinks, like /dev/ld-printer) naming a character device."""
    if not path.startswith("/"):
        return False
    try:
        return stat.S_ISCHR(os.stat(path).st_mode)
    except OSError:
        return False


def parse_lp_status(status: int) -> LpState:
    """The 1284 status byte as usblp's own log reads it: paper out, off line, or an error
    (which a receipt printer raises for an open cover or a cutter jam) as off line."""
    if status & LP_POUTPA:
        return "paper_out"
    if not status & LP_PSELECD or not status & LP_PERRORP:
        return "offline"
    return "ok"


class CharDevicePort:
    """A printer's character device, with the pyserial methods the printer uses."""

    def __init__(self, fd: int, name: str, timeout: float, write_timeout: float = 5.0) -> None:
        self._fd: int | None = fd
        self.name = name
        self.timeout = timeout
        self.write_timeout = write_timeout
        self.answers_reads = True
        """False once the device refused a read: no DLE EOT answer will ever come."""

    @classmethod
    def open(cls, path: str, timeout: float) -> CharDevicePort | None:
        """The device at `path`, or None when it is a tty (then pyserial's business)."""
        fd = os.open(path, os.O_RDWR | os.O_NOCTTY | os.O_NONBLOCK | os.O_CLOEXEC)
        if os.isatty(fd):
            os.close(fd)
            return None
        return cls(fd, path, timeout)

    def _live(self) -> int:
        if self._fd is None:
            raise OSError(errno.EBADF, f"{self.name} is closed")
        return self._fd

    def _wait(self, event: int, timeout: float) -> bool:
        poller = select.poll()
        poller.register(self._live(), event | select.POLLERR | select.POLLHUP)
        ready = poller.poll(timeout * 1000)
        if any(ev & (select.POLLERR | select.POLLHUP) and not ev & event for _, ev in ready):
            raise OSError(errno.ENODEV, f"{self.name} went away")
        return bool(ready)

    def write(self, data: bytes, /) -> int:
        view = memoryview(data)
        while view:
            if not self._wait(select.POLLOUT, self.write_timeout):
                took = f"{self.name} took no data for {self.write_timeout} s"
                raise OSError(errno.ETIMEDOUT, took)
            try:
                n = os.write(self._live(), view)
            except BlockingIOError:
                continue
            view = view[n:]
        return len(data)

    def read(self, size: int = 1, /) -> bytes:
        """Up to `size` bytes, or b"" when nothing comes within the timeout."""
        if not self.answers_reads or not self._wait(select.POLLIN, self.timeout):
            return b""
        try:
            return os.read(self._live(), size)
        except BlockingIOError:
            return b""
        except OSError as e:
            if e.errno not in _NO_READS:
                raise
            self.answers_reads = False
            log.info("%s does not answer reads (%s): no DLE EOT status", self.name, e)
            return b""

    def reset_input_buffer(self) -> None:
        for _ in range(64):  # a stale answer or two; bounded, whatever the device does
            if not self.answers_reads or not self._wait(select.POLLIN, 0):
                return
            try:
                if not os.read(self._live(), 256):
                    return
            except OSError:
                return

    def flush(self) -> None:
        return None

    def lp_status(self) -> LpState | None:
        """The printer's 1284 status through LPGETSTATUS, or None where unsupported."""
        buf = bytearray(4)
        try:
            fcntl.ioctl(self._live(), LPGETSTATUS, buf)
        except OSError as e:
            if e.errno in _NO_IOCTL:
                return None
            raise
        return parse_lp_status(struct.unpack("=i", buf)[0])

    def close(self) -> None:
        fd, self._fd = self._fd, None
        if fd is not None:
            os.close(fd)
