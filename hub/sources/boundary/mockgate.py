"""A 110 gate simulator for tests and the demo, shaped like gpiozero's mock pins: a small
object with helpers that does what a real gate does (write a file under a temporary name,
then rename it into inbound/) and reads what came out (done/, rejected/, outbound/).
"""

from __future__ import annotations

import json
import os
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

from hub.sources.boundary.folders import Folders


class MockGate:
    def __init__(self, folders: Folders) -> None:
        self.folders = folders
        folders.create()

    def drop(self, name: str, data: bytes | dict[str, Any]) -> Path:
        """Ferry one file in as a gate does: `.NAME.tmp`, fsync, rename to NAME."""
        if isinstance(data, dict):
            data = json.dumps(data, ensure_ascii=False).encode()
        tmp = self.folders.inbound / f".{name}.tmp"
        with open(tmp, "wb") as f:
            f.write(data)
            f.flush()
            os.fsync(f.fileno())
        os.rename(tmp, self.folders.inbound / name)
        return self.folders.inbound / name

    def drop_partial(self, name: str, data: bytes) -> Path:
        """A file still being written under a temporary name (must be left alone)."""
        path = self.folders.inbound / name
        path.write_bytes(data)
        return path

    def inbound(self) -> list[str]:
        return sorted(p.name for p in self.folders.inbound.iterdir())

    def done(self) -> list[str]:
        return sorted(p.name for p in self.folders.done.rglob("*") if p.is_file())

    def rejected(self) -> dict[str, dict[str, Any]]:
        """NAME -> its why.json."""
        out = {}
        for why in self.folders.rejected.glob("*.why.json"):
            out[why.name.removesuffix(".why.json")] = json.loads(why.read_text("utf-8"))
        return out

    def outbound(self) -> list[str]:
        """Finished files only, in the order the gate would ferry them."""
        return sorted(p.name for p in self.folders.outbound.iterdir() if not p.name.startswith("."))

    def take_outbound(self) -> list[dict[str, Any]]:
        """Read and remove every finished outbound file, as the gate ferries them away."""
        items = []
        for name in self.outbound():
            path = self.folders.outbound / name
            items.append(json.loads(path.read_text("utf-8")))
            path.unlink()
        return items

    def wait_until(self, ok: Callable[[], bool], timeout: float = 10.0) -> None:
        deadline = time.monotonic() + timeout
        while not ok():
            if time.monotonic() > deadline:
                raise TimeoutError("the gate did not see the expected files in time")
            time.sleep(0.02)
