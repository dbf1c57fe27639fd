"""A throwaway slot root for the terminal's update tests: slot a with a working release
0.1.0 installed by the same code path as an update (a real venv, pip from the bundle's
wheels), `current` -> a, a release key, and bundles of any version that works or not."""

from __future__ import annotations

import shutil
import subprocess
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

from cryptography.hazmat.primitives.asymmetric import ec

from gateway.update.installer import Installer, InstallSettings
from gateway.update.slots import SlotRoot
from tests.support.wheels import make_wheel
from wire.kinds import UpdateOffer
from wire.release import build_bundle, sha256_file
from wire.signing import Signer

FAST = InstallSettings(
    requirement="liandong", with_pip=False, system_site_packages=False, confirm_within_s=60
)
"""No pip inside the slot (the test's own pip installs with --python): 0.1 s, not 3 s."""


@dataclass
class Kit:
    tmp: Path
    key: Signer
    slots: SlotRoot
    clock: list[float]

    @property
    def root(self) -> Path:
        return self.slots.root

    def bundle(self, version: str, *, works: bool = True, key: Signer | None = None) -> Path:
        wheels = self.tmp / f"wheels-{version}-{works}"
        make_wheel(wheels, version, works=works)
        out = self.tmp / f"liandong-{version}-{works}.ltar"
        build_bundle(
            wheels.glob("*.whl"), version, key or self.key, out,
            created_at=datetime(2026, 12, 5, tzinfo=UTC),
        )  # fmt: skip
        return out

    def offer(self, bundle: Path, version: str, **kw: bool) -> UpdateOffer:
        return UpdateOffer(
            version=version,
            url=f"http://hub.test/releases/{bundle.name}",
            sha256=sha256_file(bundle),
            size=bundle.stat().st_size,
            **kw,
        )

    def installer(self, bundle: Path) -> Installer:
        def fetch(url: str, path: Path, limit: int) -> None:
            shutil.copyfile(bundle, path)

        return Installer(
            self.slots, self.key.verifier, self.tmp / "work", FAST,
            now=lambda: self.clock[0], fetch=fetch,
        )  # fmt: skip

    def run_current(self) -> subprocess.CompletedProcess[str]:
        """What systemd's ExecStart does: run current/bin/liandong-gateway."""
        return subprocess.run(
            [str(self.root / "current" / "bin" / "liandong-gateway")],
            capture_output=True, text=True, check=False, timeout=30,
        )  # fmt: skip


def make_kit(tmp: Path) -> Kit:
    root = tmp / "slots"
    root.mkdir(parents=True)
    kit = Kit(tmp, Signer(ec.generate_private_key(ec.SECP256R1())), SlotRoot(root), [1.0e9])
    (root / "b").mkdir()
    kit.slots.point_current("b")  # so that "a" is the inactive slot the installer fills
    wheels = make_wheel(tmp / "wheels-0.1.0", "0.1.0").parent
    assert kit.installer(Path("/nonexistent")).build_slot(wheels, "0.1.0") == "a"
    kit.slots.point_current("a")
    shutil.rmtree(root / "b")
    return kit
