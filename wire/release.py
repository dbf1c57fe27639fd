"""Release bundles: what `liandong-provision release build` signs, the hub stores and offers,
and a terminal verifies before it installs anything (docs/updates.md).

A bundle is an uncompressed tar (the wheels are compressed already) of exactly:
`manifest.json` (format, version, min_version, created_at, and every other file with its
SHA-256 and size), `manifest.sig` (base64 of the county release key's P-256 signature, r||s,
over the manifest's exact bytes), and `wheels/NAME.whl`, the liandong wheel and every wheel
it needs, so a terminal installs with `pip --no-index` and needs no package registry.

It lives in `wire/` because three parts must agree on it byte for byte (provisioning
builds, the hub checks on upload, the terminal verifies) and it is plain data and crypto.
The checks refuse before they write: the archive's names are fixed patterns (no path can
leave the folder), only regular files, sizes bounded, then the signature, then each file's
hash and size as it is extracted into a fresh folder.
"""

from __future__ import annotations

import hashlib
import io
import os
import re
import tarfile
from collections.abc import Iterable
from datetime import datetime
from pathlib import Path
from typing import Annotated, Final

import msgspec
from packaging.version import InvalidVersion, Version

from wire.errors import WireError
from wire.kinds import ReleaseVersion, Sha256Hex
from wire.signing import Signer, Verifier

FORMAT: Final = 1
MANIFEST: Final = "manifest.json"
SIGNATURE: Final = "manifest.sig"
MAX_BUNDLE_BYTES: Final = 512 * 1024 * 1024
MAX_FILE_BYTES: Final = 256 * 1024 * 1024
MAX_FILES: Final = 200
MAX_MANIFEST_BYTES: Final = 64 * 1024
WHEEL_NAME = re.compile(r"\Awheels/[A-Za-z0-9][A-Za-z0-9_.+-]{0,199}\.whl\Z")
_CHUNK = 1024 * 1024


class BundleError(ValueError):
    """A bundle that must not be installed; `reason` is a stable code (docs/updates.md)."""

    REASONS: Final = frozenset(
        {"truncated", "bad_archive", "bad_name", "too_big", "bad_manifest", "bad_signature",
         "bad_hash", "missing_file", "extra_file", "bad_version", "downgrade", "too_old",
         "same_version", "no_key"}
    )  # fmt: skip

    def __init__(self, reason: str, message: str) -> None:
        if reason not in self.REASONS:
            raise AssertionError(f"unknown BundleError reason {reason!r}")
        super().__init__(message)
        self.reason = reason


class FileEntry(msgspec.Struct, forbid_unknown_fields=True, frozen=True):
    name: Annotated[str, msgspec.Meta(max_length=220)]
    sha256: Sha256Hex
    size: Annotated[int, msgspec.Meta(ge=0, le=MAX_FILE_BYTES)]


class Manifest(msgspec.Struct, forbid_unknown_fields=True, frozen=True):
    """What the signature covers. `min_version`: the oldest running version that may
    install this release directly (an older one must take an intermediate release)."""

    format: int
    version: ReleaseVersion
    min_version: ReleaseVersion
    created_at: Annotated[datetime, msgspec.Meta(tz=True)]
    files: Annotated[list[FileEntry], msgspec.Meta(min_length=1, max_length=MAX_FILES)]


def parse_version(text: str) -> Version:
    try:
        return Version(text)
    except InvalidVersion:
        raise BundleError("bad_version", f"{text!r} is not a version (PEP 440)") from None


def check_upgrade(offered: str, running: str, *, min_version: str, allow_downgrade: bool) -> None:
    """Refuse a release that is not an upgrade of `running` (unless the hub said
    `allow_downgrade`), or whose `min_version` is above the running one."""
    new, now = parse_version(offered), parse_version(running)
    if new == now:
        raise BundleError("same_version", f"version {offered} is already running")
    if new < now and not allow_downgrade:
        raise BundleError(
            "downgrade", f"{offered} is older than the running {running}: refused without "
            "allow_downgrade from the hub"
        )  # fmt: skip
    if new > now and now < parse_version(min_version):
        raise BundleError(
            "too_old", f"{offered} installs over {min_version} or later; this runs {running}"
        )


def sha256_file(path: Path) -> str:
    h = hashlib.sha256()
    with path.open("rb") as f:
        while chunk := f.read(_CHUNK):
            h.update(chunk)
    return h.hexdigest()


# ---- building -----------------------------------------------------------------------------


def build_bundle(
    wheels: Iterable[Path],
    version: str,
    signer: Signer,
    out: Path,
    *,
    created_at: datetime,
    min_version: str = "0",
) -> Manifest:
    """Write a signed bundle of `wheels` to `out` (temp name, fsync, rename)."""
    parse_version(version)
    parse_version(min_version)
    paths = sorted(set(wheels), key=lambda p: p.name)
    entries = []
    for p in paths:
        name = f"wheels/{p.name}"
        if not WHEEL_NAME.match(name):
            raise BundleError("bad_name", f"{p.name}: not a wheel file name")
        entries.append(FileEntry(name=name, sha256=sha256_file(p), size=p.stat().st_size))
    manifest = Manifest(
        format=FORMAT,
        version=version,
        min_version=min_version,
        created_at=created_at,
        files=entries,
    )
    manifest = msgspec.convert(msgspec.to_builtins(manifest), Manifest)  # the limits apply
    raw = msgspec.json.encode(manifest)
    sig = signer.sign(raw).encode("ascii")
    tmp = out.with_name(out.name + ".tmp")
    with tmp.open("wb") as f:
        with tarfile.open(fileobj=f, mode="w", format=tarfile.PAX_FORMAT) as tar:
            _add_bytes(tar, MANIFEST, raw, created_at)
            _add_bytes(tar, SIGNATURE, sig, created_at)
            for p, entry in zip(paths, entries, strict=True):
                info = tarfile.TarInfo(entry.name)
                info.size, info.mtime, info.mode = entry.size, int(created_at.timestamp()), 0o644
                with p.open("rb") as src:
                    tar.addfile(info, src)
        f.flush()
        os.fsync(f.fileno())
    os.replace(tmp, out)
    _fsync_dir(out.parent)
    return manifest


def _add_bytes(tar: tarfile.TarFile, name: str, data: bytes, at: datetime) -> None:
    info = tarfile.TarInfo(name)
    info.size, info.mtime, info.mode = len(data), int(at.timestamp()), 0o644
    tar.addfile(info, io.BytesIO(data))


def _fsync_dir(path: Path) -> None:
    fd = os.open(path, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


# ---- verifying ----------------------------------------------------------------------------


def read_manifest(bundle: Path, verifier: Verifier) -> Manifest:
    """Check the archive's shape and the manifest's signature; return the manifest. The
    wheels' hashes are checked by `extract` (or `verify_bundle`), as they are read."""
    with _open(bundle) as tar:
        members = _members(tar)
        raw = _read_small(tar, members, MANIFEST)
        sig = _read_small(tar, members, SIGNATURE)
    try:
        verifier.verify(raw, sig.decode("ascii", "replace").strip())
    except WireError as e:
        raise BundleError("bad_signature", f"{bundle.name}: {e}") from None
    try:
        manifest = msgspec.json.decode(raw, type=Manifest)
    except msgspec.DecodeError as e:
        raise BundleError("bad_manifest", f"{bundle.name}: manifest: {e}") from None
    if manifest.format != FORMAT:
        raise BundleError("bad_manifest", f"bundle format {manifest.format} is not {FORMAT}")
    names = [f.name for f in manifest.files]
    if len(set(names)) != len(names) or not all(WHEEL_NAME.match(n) for n in names):
        raise BundleError("bad_manifest", "manifest names a file twice or a non-wheel path")
    listed, present = set(names), set(members) - {MANIFEST, SIGNATURE}
    if listed - present:
        raise BundleError("missing_file", f"missing from the archive: {sorted(listed - present)}")
    if present - listed:
        raise BundleError("extra_file", f"not in the manifest: {sorted(present - listed)}")
    for f in manifest.files:
        if members[f.name].size != f.size:
            raise BundleError("bad_hash", f"{f.name}: {members[f.name].size} bytes, not {f.size}")
    parse_version(manifest.version)
    parse_version(manifest.min_version)
    return manifest


def extract(bundle: Path, verifier: Verifier, dest: Path) -> Manifest:
    """Verify `bundle` and write its wheels into the new folder `dest/wheels/`, each hashed
    as it is written; on any failure `dest` holds nothing usable (the caller removes it)."""
    manifest = read_manifest(bundle, verifier)
    (dest / "wheels").mkdir(parents=True, exist_ok=False)
    with _open(bundle) as tar:
        members = _members(tar)
        for entry in manifest.files:
            target = dest / "wheels" / entry.name.removeprefix("wheels/")
            _copy_checked(tar, members[entry.name], entry, target)
    return manifest


def verify_bundle(bundle: Path, verifier: Verifier) -> Manifest:
    """Everything `extract` checks, writing nothing (the hub, on `release add`)."""
    manifest = read_manifest(bundle, verifier)
    with _open(bundle) as tar:
        members = _members(tar)
        for entry in manifest.files:
            _copy_checked(tar, members[entry.name], entry, None)
    return manifest


def _open(bundle: Path) -> tarfile.TarFile:
    try:
        size = bundle.stat().st_size
    except OSError as e:
        raise BundleError("bad_archive", f"cannot read {bundle}: {e}") from None
    if size > MAX_BUNDLE_BYTES:
        raise BundleError("too_big", f"{bundle.name} is {size} bytes; the limit is 512 MiB")
    try:
        return tarfile.open(bundle, mode="r:")
    except (tarfile.TarError, EOFError, OSError) as e:
        raise BundleError("bad_archive", f"{bundle.name} is not a release bundle: {e}") from None


def _members(tar: tarfile.TarFile) -> dict[str, tarfile.TarInfo]:
    try:
        members = tar.getmembers()
    except (tarfile.TarError, EOFError, OSError) as e:
        raise BundleError("truncated", f"the archive ends early or is damaged: {e}") from None
    if len(members) > MAX_FILES + 2:
        raise BundleError("too_big", f"{len(members)} files; at most {MAX_FILES + 2}")
    found: dict[str, tarfile.TarInfo] = {}
    for m in members:
        if m.name not in (MANIFEST, SIGNATURE) and not WHEEL_NAME.match(m.name):
            raise BundleError("bad_name", f"refused archive entry {m.name!r}")
        if not m.isreg():
            raise BundleError("bad_name", f"{m.name!r} is not a regular file")
        if m.name in found:
            raise BundleError("bad_name", f"{m.name!r} appears twice")
        if m.size > MAX_FILE_BYTES:
            raise BundleError("too_big", f"{m.name} is {m.size} bytes")
        found[m.name] = m
    return found


def _read_small(tar: tarfile.TarFile, members: dict[str, tarfile.TarInfo], name: str) -> bytes:
    member = members.get(name)
    if member is None:
        raise BundleError("bad_manifest", f"the bundle has no {name}")
    if member.size > MAX_MANIFEST_BYTES:
        raise BundleError("too_big", f"{name} is {member.size} bytes")
    f = tar.extractfile(member)
    data = f.read() if f is not None else b""
    if len(data) != member.size:
        raise BundleError("truncated", f"{name} ends early")
    return data


def _copy_checked(
    tar: tarfile.TarFile, member: tarfile.TarInfo, entry: FileEntry, target: Path | None
) -> None:
    src = tar.extractfile(member)
    if src is None:
        raise BundleError("bad_name", f"{member.name} is not a regular file")
    h, n = hashlib.sha256(), 0
    out = target.open("xb") if target is not None else None
    try:
        while chunk := src.read(_CHUNK):
            h.update(chunk)
            n += len(chunk)
            if out is not None:
                out.write(chunk)
        if out is not None:
            out.flush()
            os.fsync(out.fileno())
    except (tarfile.TarError, EOFError, OSError) as e:
        raise BundleError("truncated", f"{member.name}: {e}") from None
    finally:
        if out is not None:
            out.close()
    if n != entry.size:
        raise BundleError("truncated", f"{entry.name}: {n} bytes read, {entry.size} listed")
    if h.hexdigest() != entry.sha256:
        raise BundleError("bad_hash", f"{entry.name}: SHA-256 differs from the manifest")
