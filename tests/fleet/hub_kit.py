"""A hub's parts in-process with its fleet: a release key, a releases folder, the real
uplink (health signed by each unit's own key) and the real outbox."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import msgspec
from cryptography.hazmat.primitives.asymmetric import ec

from hub.fleet.service import Fleet
from hub.terminals.unit_certs import UnitKeys
from hub.terminals.uplink import Uplink
from provisioning import pki
from tests.support.hubparts import TestService
from tests.support.pki import ThrowawayPKI
from tests.support.wheels import make_wheel
from wire import codec, topics
from wire import kinds as k
from wire.clock import FakeClock
from wire.release import build_bundle
from wire.signing import Signer

COUNTY = "shuangbai"


@dataclass
class HubKit:
    tmp: Path
    service: TestService
    clock: FakeClock
    fleet: Fleet
    release_key: Signer
    test_pki: ThrowawayPKI
    uplink: Uplink

    def bundle(self, version: str, key: Signer | None = None) -> Path:
        wheels = make_wheel(self.tmp / f"w-{version}", version).parent
        out = self.tmp / f"upload-{version}.ltar"
        build_bundle(
            wheels.glob("*.whl"), version, key or self.release_key, out,
            created_at=datetime(2026, 12, 5, tzinfo=UTC),
        )  # fmt: skip
        return out

    def health(
        self, unit: str, version: str, failed: k.UpdateFailure | None = None, trial: bool = False
    ) -> None:
        """A unit's signed health, through the hub's real uplink."""
        cert, key = self.test_pki.client(unit)
        folder = self.tmp / "pki" / "units" / unit
        if not folder.exists():
            folder.mkdir(parents=True)
            (folder / "unit.crt").write_bytes(cert.read_bytes())
        body = k.HealthBody(
            version=version,
            uptime_s=1,
            printer="ok",
            outbox_depth=0,
            update_failed=failed,
            update_trial=trial,
        )
        signer = Signer.from_pem(key.read_bytes())
        _, raw = codec.encode("health", unit, body, signer, at=self.clock.now())
        self.uplink.handle(topics.up(COUNTY, unit), raw, retain=False)

    def commands(self) -> list[dict[str, Any]]:
        rows = self.service.store.query(
            "SELECT unit, payload FROM outbox WHERE kind='command' ORDER BY seq"
        )
        return [{"unit": r["unit"], **msgspec.json.decode(r["payload"])} for r in rows]


def make_hub_kit(tmp: Path, test_pki: ThrowawayPKI) -> HubKit:
    clock = FakeClock(datetime(2026, 12, 5, 8, 0, tzinfo=UTC))
    service = TestService.open(tmp / "hub.sqlite3", clock=clock)
    key = Signer(ec.generate_private_key(ec.SECP256R1()))
    pub = tmp / "pki" / "release" / "release.pub"
    pub.parent.mkdir(parents=True)
    pub.write_bytes(pki.public_pem(key._key.public_key()))
    (tmp / "pki" / "ca").mkdir(parents=True)
    (tmp / "pki" / "ca" / "ca.crt").write_bytes(test_pki.ca_path.read_bytes())
    fleet = Fleet(
        service.db_path,
        tmp / "releases",
        pub,
        service.registry,
        clock,
        lambda units, offer, by: service.offer_update(units, offer, by=by),
        "https://hub.test/releases/",
        revoked=lambda: service.revoked_units,
    )
    uplink = service.parts.uplink(UnitKeys(tmp / "pki"))
    return HubKit(tmp, service, clock, fleet, key, test_pki, uplink)
