"""Fetch, verify and install one offered release into the inactive slot, then switch
(docs/updates.md). Nothing here touches the running slot until the very last step, the
trial marker and the `current` symlink, each durable; a failure before that leaves the
terminal exactly as it was, and the inactive slot is rebuilt from nothing next time.
"""

from __future__ import annotations

import logging
import shutil
import ssl
import subprocess
import sys
import urllib.request
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path

from gateway.update.slots import SlotRoot, Trial
from wire.kinds import UpdateOffer
from wire.release import BundleError, check_upgrade, extract, read_manifest, sha256_file
from wire.signing import Verifier

log = logging.getLogger(__name__)

Fetch = Callable[[str, Path, int], None]
"""Download `url` to `path`, refusing more than `limit` bytes."""
Run = Callable[[Sequence[str]], None]
"""Run a command; raise on a non-zero exit (subprocess.run with check=True)."""


class InstallError(Exception):
    """A release that could not be installed: `reason` is an UpdateFailureReason."""

    def __init__(self, reason: str, message: str, *, retry: bool = False) -> None:
        super().__init__(message)
        self.reason = reason
        self.retry = retry
        """A passing fault (the network, the hub away): try again before giving up."""


@dataclass(frozen=True)
class InstallSettings:
    requirement: str = "liandong[gateway]"
    with_pip: bool = True
    """The new slot gets its own pip (it will install the next release)."""
    system_site_packages: bool = True
    """As install.sh: python3-lgpio comes from apt."""
    python: str = sys.executable
    confirm_within_s: float = 300.0
    timeout_s: float = 600.0


def http_fetch(ca_file: Path | None = None, timeout_s: float = 60.0) -> Fetch:
    """Plain urllib (the hub serves the bundle over its HTTP; nginx adds HTTPS in
    production, with a public or the county CA's certificate: both are trusted). The bundle
    is verified by hash and signature whatever the transport."""
    context = ssl.create_default_context()
    if ca_file is not None:
        context.load_verify_locations(cafile=str(ca_file))

    def fetch(url: str, path: Path, limit: int) -> None:
        # http(s) only: the wire's pattern for the offer's url
        with (
            urllib.request.urlopen(url, timeout=timeout_s, context=context) as r,  # noqa: S310
            path.open("wb") as f,
        ):
            n = 0
            while chunk := r.read(1024 * 1024):
                n += len(chunk)
                if n > limit:
                    raise InstallError("refused", f"{url} sends more than {limit} bytes")
                f.write(chunk)

    return fetch


def subprocess_run(timeout_s: float) -> Run:
    def run(args: Sequence[str]) -> None:
        done = subprocess.run(
            list(args), capture_output=True, text=True, timeout=timeout_s, check=False
        )
        if done.returncode != 0:
            raise InstallError(
                "install_failed", f"{args[0]} {args[1:3]} exit {done.returncode}: "
                f"{(done.stderr or done.stdout).strip()[-300:]}"
            )  # fmt: skip

    return run


class Installer:
    def __init__(
        self,
        slots: SlotRoot,
        release_key: Verifier | None,
        work_dir: Path,
        settings: InstallSettings,
        *,
        now: Callable[[], float],
        fetch: Fetch | None = None,
        run: Run | None = None,
    ) -> None:
        self.slots = slots
        self.release_key = release_key
        self.work_dir = work_dir
        self.settings = settings
        self.now = now
        self.fetch = fetch or http_fetch()
        self.run = run or subprocess_run(settings.timeout_s)

    def download(self, offer: UpdateOffer) -> Path:
        """The bundle, whole and with the hub's hash, or InstallError."""
        self.work_dir.mkdir(parents=True, exist_ok=True)
        path = self.work_dir / "bundle.ltar"
        path.unlink(missing_ok=True)
        try:
            self.fetch(offer.url, path, offer.size)
        except InstallError:
            raise
        except Exception as e:  # network, HTTP status, disk: all "try again later"
            raise InstallError(
                "install_failed", f"download of {offer.url} failed: {e}", retry=True
            ) from e
        size = path.stat().st_size
        digest = sha256_file(path)  # streamed: a bundle may be larger than a Pi's free memory
        if size != offer.size or digest != offer.sha256:
            raise InstallError(
                "refused", f"downloaded {size} bytes with another hash than the hub's offer"
            )
        return path

    def verify(self, bundle: Path, offer: UpdateOffer, running: str) -> Path:
        """Signature, names, hashes, version order; the wheels in a fresh folder."""
        if self.release_key is None:
            raise InstallError(
                "refused", "this unit's bundle has no release.pub: see docs/updates.md"
            )
        try:
            manifest = read_manifest(bundle, self.release_key)
            if manifest.version != offer.version:
                raise InstallError(
                    "refused", f"bundle holds {manifest.version}, offered as {offer.version}"
                )
            check_upgrade(
                manifest.version,
                running,
                min_version=manifest.min_version,
                allow_downgrade=offer.allow_downgrade,
            )
            unpacked = self.work_dir / "unpacked"
            shutil.rmtree(unpacked, ignore_errors=True)
            extract(bundle, self.release_key, unpacked)
        except BundleError as e:
            raise InstallError("refused", f"{e.reason}: {e}") from e
        return unpacked / "wheels"

    def build_slot(self, wheels: Path, version: str) -> str:
        """A new virtualenv in the inactive slot with this release, from the bundle only."""
        name = self.slots.inactive()
        slot = self.slots.slot(name)
        shutil.rmtree(slot, ignore_errors=True)
        s = self.settings
        venv = [s.python, "-m", "venv"]
        venv += ["--system-site-packages"] if s.system_site_packages else []
        venv += [] if s.with_pip else ["--without-pip"]
        self.run([*venv, str(slot)])
        pip: list[str] = [s.python, "-m", "pip", "--python", str(slot / "bin" / "python")]
        self.run(
            [*pip, "install", "--no-index", "--find-links", str(wheels), "--no-cache-dir",
             "--disable-pip-version-check", "--quiet", f"{s.requirement}=={version}"]
        )  # fmt: skip
        if not (slot / "bin" / "liandong-gateway").exists():
            raise InstallError("install_failed", f"slot {name} has no liandong-gateway")
        return name

    def prepare(self, offer: UpdateOffer, running: str) -> str:
        """Fetch, verify, build the inactive slot; returns its name. The running slot and
        `current` are untouched."""
        bundle = self.download(offer)
        wheels = self.verify(bundle, offer, running)
        target = self.build_slot(wheels, offer.version)
        shutil.rmtree(self.work_dir, ignore_errors=True)
        return target

    def switch(self, offer: UpdateOffer, target: str, running: str) -> Trial:
        """The trial marker, then `current`: each durable. The caller restarts."""
        now = self.now()
        trial = Trial(
            from_slot=self.slots.active(),
            to=target,
            version=offer.version,
            previous_version=running,
            started=now,
            deadline=now + self.settings.confirm_within_s,
        )
        self.slots.clear_failure()
        self.slots.begin_trial(trial)
        self.slots.point_current(target)
        log.warning("release %s installed in slot %s; restarting into it", offer.version, target)
        return trial
