"""How the terminal builds its update agent: where the slots are, how it restarts, which
key it trusts. `liandong-gateway run` makes one from the environment systemd gives it
(LIANDONG_SLOTS, set by the unit's slots drop-in); tests pass their own."""

from __future__ import annotations

import logging
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

from gateway.config import GatewayConfig
from gateway.state.orders import OrderBook
from gateway.update.agent import Updates
from gateway.update.installer import Fetch, Installer, InstallSettings, Run, http_fetch
from gateway.update.slots import SlotRoot
from wire.signing import Verifier

log = logging.getLogger(__name__)

RELEASE_PUB = "release.pub"
"""Beside hub-dispatch.pub in the unit's bundle (provisioning/release.py writes it)."""


@dataclass
class UpdateWiring:
    root: Path
    """The slot root (/opt/liandong/slots on a terminal)."""
    restart: Callable[[str], None]
    """Stop this process so that systemd starts `current` (the CLI exits with 75)."""
    version: str
    settings: InstallSettings = field(default_factory=InstallSettings)
    now: Callable[[], float] = time.time
    monotonic: Callable[[], float] = time.monotonic
    fetch: Fetch | None = None
    run: Run | None = None
    """How the installer runs venv and pip (the demo simulates them: demo/rollout.py)."""
    poll_s: float = 5.0

    def build(
        self,
        config: GatewayConfig,
        orders: OrderBook,
        ready: Callable[[], bool],
        connected: Callable[[], bool],
    ) -> Updates:
        key_path = config.mqtt.hub_key.parent / RELEASE_PUB
        try:
            key: Verifier | None = Verifier.from_pem(key_path.read_bytes())
        except (OSError, ValueError) as e:
            log.error("no usable release key (%s): every release will be refused", e)
            key = None
        slots = SlotRoot(self.root)
        installer = Installer(
            slots,
            key,
            config.state_dir / "update" / "work",
            self.settings,
            now=self.now,
            fetch=self.fetch or http_fetch(config.mqtt.ca),
            run=self.run,
        )
        return Updates(
            slots,
            installer,
            orders,
            config.state_dir,
            version=self.version,
            ready=ready,
            connected=connected,
            restart=self.restart,
            monotonic=self.monotonic,
            poll_s=self.poll_s,
        )
