"""Release bundles kept by the hub: checked in full (signature against the county's release
key, every wheel's hash) before one is stored, copied into the releases folder under a
name of its version, and served to terminals by `GET /releases/<file>` (hub/fleet/web.py).
"""

from __future__ import annotations

import logging
import os
import re
import shutil
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import Any

from hub.db.store import migrate_file, transaction
from hub.db.times import ts
from hub.errors import Conflict, HubError, NotFound
from hub.fleet.schema import MIGRATIONS
from wire.release import BundleError, sha256_file, verify_bundle
from wire.signing import Verifier

log = logging.getLogger(__name__)

FILE_NAME = re.compile(r"\Aliandong-[0-9][0-9A-Za-z.+!-]{0,47}\.ltar\Z")


class ReleaseRefused(HubError):
    """A bundle the hub will not keep or offer (a forged, damaged or duplicate release)."""


@dataclass(frozen=True)
class ReleaseStore:
    db_path: Path
    folder: Path
    release_key: Path
    """The county's public release key (PKI/release/release.pub)."""

    def migrate(self) -> None:
        migrate_file(self.db_path, [MIGRATIONS])

    def verifier(self) -> Verifier:
        try:
            return Verifier.from_pem(self.release_key.read_bytes())
        except (OSError, ValueError) as e:
            raise ReleaseRefused(
                f"no release key at {self.release_key} ({e}): run `liandong-provision "
                "release key` and copy release.pub beside the hub's keys"
            ) from None

    def add(self, bundle: Path, *, by: str, now: datetime) -> dict[str, Any]:
        """Verify `bundle` in full and keep it; returns its row."""
        try:
            manifest = verify_bundle(bundle, self.verifier())
        except BundleError as e:
            raise ReleaseRefused(f"{bundle.name} refused ({e.reason}): {e}") from None
        self.migrate()
        name = f"liandong-{manifest.version}.ltar"
        if not FILE_NAME.match(name):
            raise ReleaseRefused(f"version {manifest.version!r} makes no safe file name")
        if self.get(manifest.version) is not None:
            raise Conflict("release %(version)s is already kept", version=manifest.version)
        self.folder.mkdir(parents=True, exist_ok=True)
        tmp = self.folder / (name + ".tmp")
        shutil.copyfile(bundle, tmp)
        with tmp.open("rb") as f:
            os.fsync(f.fileno())
        digest, size = sha256_file(tmp), tmp.stat().st_size
        os.replace(tmp, self.folder / name)
        row = {
            "version": manifest.version,
            "file": name,
            "sha256": digest,
            "size": size,
            "min_version": manifest.min_version,
            "built_at": ts(manifest.created_at),
            "added_at": ts(now),
            "added_by": by,
        }
        with transaction(self.db_path) as c:
            c.execute(
                "INSERT INTO fleet_releases (version, file, sha256, size, min_version, built_at,"
                " added_at, added_by) VALUES (:version, :file, :sha256, :size, :min_version,"
                " :built_at, :added_at, :added_by)",
                row,
            )
        log.info("release %s kept (%s, %d bytes)", manifest.version, name, size)
        return row

    def get(self, version: str) -> dict[str, Any] | None:
        self.migrate()
        with transaction(self.db_path) as c:
            r = c.execute("SELECT * FROM fleet_releases WHERE version=?", (version,)).fetchone()
        return dict(r) if r else None

    def must(self, version: str) -> dict[str, Any]:
        row = self.get(version)
        if row is None:
            raise NotFound("no release %(version)s", version=version)
        return row

    def all(self) -> list[dict[str, Any]]:
        self.migrate()
        with transaction(self.db_path) as c:
            rows = c.execute("SELECT * FROM fleet_releases ORDER BY added_at DESC").fetchall()
        return [dict(r) for r in rows]

    def path(self, file: str) -> Path | None:
        """The kept file of that name, or None (only names of kept releases are served)."""
        if not FILE_NAME.match(file):
            return None
        with transaction(self.db_path) as c:
            known = c.execute("SELECT 1 FROM fleet_releases WHERE file=?", (file,)).fetchone()
        p = self.folder / file
        return p if known and p.is_file() else None
