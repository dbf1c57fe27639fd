"""A hub wired to a real Mosquitto, and paho clients standing in for terminals.

`hub_config()` lays out a PKI folder the way `liandong-provision init` does (ca/ca.crt,
units/UNIT/unit.crt copied from the throwaway PKI, hub/dispatch.key, intake keys) and
returns a HubConfig for it; `Terminal` connects as a unit, signs its reports with the unit's
own key and decodes what the hub sends it, checking the hub's signature.
"""

from __future__ import annotations

import queue
import shutil
import time
from datetime import datetime
from pathlib import Path
from typing import Any

from demo.broker import Broker
from hub.config import HubConfig
from hub.terminals.link import MqttSettings
from provisioning import pki
from tests.hub.conftest import KEY, SOURCE
from tests.support.mqtt import MqttTestClient
from tests.support.pki import ThrowawayPKI
from wire import codec, topics
from wire import kinds as k
from wire.clock import Clock
from wire.signing import Signer

COUNTY = "shuangbai"


def hub_config(
    root: Path, broker: Broker, test_pki: ThrowawayPKI, units: list[str], **over: Any
) -> HubConfig:
    for unit in units:
        cert, _ = test_pki.client(unit)
        (root / "units" / unit).mkdir(parents=True, exist_ok=True)
        shutil.copy(cert, root / "units" / unit / "unit.crt")
    (root / "ca").mkdir(parents=True, exist_ok=True)
    shutil.copy(test_pki.ca_path, root / "ca" / "ca.crt")
    hub_cert, hub_key = test_pki.client("hub")
    dispatch = root / "hub" / "dispatch.key"
    if not dispatch.exists():
        pki.write_private(dispatch, pki.key_pem(pki.new_key()))
    keys = root / "hub" / "intake-keys.toml"
    pki.write_private(keys, f'[sources]\n"{SOURCE}" = "{KEY.hex()}"\n'.encode(), force=True)
    settings: dict[str, Any] = {
        "county": COUNTY,
        "registry": None,
        "mqtt": MqttSettings(
            host="127.0.0.1", port=broker.port, ca=test_pki.ca_path, cert=hub_cert, key=hub_key
        ),
        "dispatch_key": dispatch,
        "pki_dir": root,
        "intake_keys": keys,
        "listen_host": "127.0.0.1",
        "listen_port": 0,
        "db_path": root / "hub" / "hub.sqlite3",
    }
    settings.update(over)
    return HubConfig(**settings)


class Terminal:
    """A unit's gateway, reduced to what the hub can observe: signed reports up, orders down."""

    def __init__(
        self, broker: Broker, test_pki: ThrowawayPKI, unit: str, hub_public: Signer, clock: Clock
    ) -> None:
        cert, key = test_pki.client(unit)
        self.unit = unit
        self.signer = Signer.from_pem(key.read_bytes())
        self.hub_verifier = hub_public.verifier
        self.clock = clock
        self.mqtt = MqttTestClient(
            "127.0.0.1", broker.port, test_pki.ca_path, cert, key, f"term-{unit}"
        ).connect()
        self.mqtt.subscribe(topics.down(COUNTY, unit))
        self.inbox: queue.Queue[codec.Message] = queue.Queue()

    def send(
        self,
        kind: str,
        body: k.Body,
        *,
        at: datetime | None = None,
        as_unit: str | None = None,
        signer: Signer | None = None,
        msg_id: str | None = None,
    ) -> str:
        msg_id, payload = codec.encode(
            kind,
            as_unit or self.unit,
            body,
            signer or self.signer,
            at=at or self.clock.now(),
            msg_id=msg_id,
        )
        self.mqtt.publish(topics.up(COUNTY, self.unit), payload)
        return msg_id

    def online(self) -> None:
        _, payload = codec.encode(
            "state", self.unit, k.StateBody(status="online"), self.signer, at=self.clock.now()
        )
        self.mqtt.publish(topics.state(COUNTY, self.unit), payload, retain=True)

    def next(self, kind: str, timeout: float = 5.0) -> codec.Message:
        """The next message of `kind` from the hub (others are skipped), signature checked."""
        end = time.monotonic() + timeout
        while True:
            left = end - time.monotonic()
            if left <= 0:
                raise AssertionError(f"{self.unit}: no {kind} from the hub")
            try:
                _, raw = self.mqtt.get(timeout=left)
            except queue.Empty:
                raise AssertionError(f"{self.unit}: no {kind} from the hub") from None
            msg = codec.decode(raw, self.hub_verifier, unit=self.unit, direction="down")
            if msg.kind == kind:
                return msg

    def next_order(self, timeout: float = 5.0) -> k.OrderBody:
        body = self.next("order", timeout).body
        assert isinstance(body, k.OrderBody)
        return body

    def receipt_ids(self, timeout: float = 5.0) -> list[str]:
        body = self.next("receipt", timeout).body
        assert isinstance(body, k.ReceiptBody)
        return body.ids

    def close(self) -> None:
        self.mqtt.close()
