"""Release bundles (wire/release.py): a good one verifies and extracts; a forged,
truncated, altered, padded or path-escaping one is refused before anything is installed;
versions are ordered, downgrades refused without the hub's word."""

from __future__ import annotations

import io
import tarfile
from datetime import UTC, datetime
from pathlib import Path

import msgspec
import pytest
from cryptography.hazmat.primitives.asymmetric import ec

from tests.support.wheels import make_wheel
from wire import kinds as k
from wire.release import (
    BundleError,
    build_bundle,
    check_upgrade,
    extract,
    read_manifest,
    verify_bundle,
)
from wire.signing import Signer

AT = datetime(2026, 12, 5, 8, 0, tzinfo=UTC)


@pytest.fixture
def key() -> Signer:
    return Signer(ec.generate_private_key(ec.SECP256R1()))


@pytest.fixture
def bundle(tmp_path: Path, key: Signer) -> Path:
    wheels = [make_wheel(tmp_path / "w", "0.2.0"), make_wheel(tmp_path / "w", "1.0", name="dep")]
    out = tmp_path / "liandong-0.2.0.ltar"
    build_bundle(wheels, "0.2.0", key, out, created_at=AT, min_version="0.1.0")
    return out


def test_good_bundle_verifies_and_extracts(bundle: Path, key: Signer, tmp_path: Path) -> None:
    m = verify_bundle(bundle, key.verifier)
    assert (m.version, m.min_version, len(m.files)) == ("0.2.0", "0.1.0", 2)
    dest = tmp_path / "x"
    extract(bundle, key.verifier, dest)
    assert sorted(p.name for p in (dest / "wheels").iterdir()) == [
        "dep-1.0-py3-none-any.whl",
        "liandong-0.2.0-py3-none-any.whl",
    ]


def test_forged_signature_refused(bundle: Path, tmp_path: Path) -> None:
    other = Signer(ec.generate_private_key(ec.SECP256R1()))
    with pytest.raises(BundleError) as e:
        read_manifest(bundle, other.verifier)
    assert e.value.reason == "bad_signature"


def _rewrite(src: Path, dst: Path, change: dict[str, bytes | None], add: dict[str, bytes]) -> None:
    """Copy the tar, replacing (or dropping, None) members' data, adding members."""
    with tarfile.open(src) as tin, tarfile.open(dst, "w") as tout:
        for m in tin.getmembers():
            data = tin.extractfile(m).read()  # type: ignore[union-attr]
            if m.name in change:
                if change[m.name] is None:
                    continue
                data = change[m.name]  # type: ignore[assignment]
            info = tarfile.TarInfo(m.name)
            info.size = len(data)
            tout.addfile(info, io.BytesIO(data))
        for name, data in add.items():
            info = tarfile.TarInfo(name)
            info.size = len(data)
            tout.addfile(info, io.BytesIO(data))


def test_altered_manifest_refused(bundle: Path, key: Signer, tmp_path: Path) -> None:
    with tarfile.open(bundle) as t:
        raw = t.extractfile("manifest.json").read()  # type: ignore[union-attr]
    bad = tmp_path / "bad.ltar"
    _rewrite(bundle, bad, {"manifest.json": raw.replace(b"0.2.0", b"0.9.0", 1)}, {})
    with pytest.raises(BundleError) as e:
        read_manifest(bad, key.verifier)
    assert e.value.reason == "bad_signature"


def test_swapped_wheel_refused_by_hash(bundle: Path, key: Signer, tmp_path: Path) -> None:
    evil = make_wheel(tmp_path / "evil", "0.2.0", works=False).read_bytes()
    name = "wheels/liandong-0.2.0-py3-none-any.whl"
    with tarfile.open(bundle) as t:
        size = t.getmember(name).size
    evil = evil[:size].ljust(size, b"\0")  # same size: only the hash can tell
    bad = tmp_path / "bad.ltar"
    _rewrite(bundle, bad, {name: evil}, {})
    with pytest.raises(BundleError) as e:
        extract(bad, key.verifier, tmp_path / "x")
    assert e.value.reason == "bad_hash"


@pytest.mark.parametrize("keep", [0.3, 0.6, 0.9, 0.99])
def test_truncated_bundle_refused(bundle: Path, key: Signer, tmp_path: Path, keep: float) -> None:
    """Cut inside the members (a tar is padded with zero blocks to 10 KiB: a cut in the
    padding loses nothing, and the verified content is whole)."""
    with tarfile.open(bundle) as t:
        end = max(m.offset_data + m.size for m in t.getmembers())
    data = bundle.read_bytes()
    cut = tmp_path / "cut.ltar"
    cut.write_bytes(data[: int(end * keep)])
    with pytest.raises(BundleError) as e:
        extract(cut, key.verifier, tmp_path / "x")
    assert e.value.reason in {"truncated", "bad_archive", "missing_file", "bad_hash"}


def test_empty_and_garbage_refused(key: Signer, tmp_path: Path) -> None:
    for data in (b"", b"not a tar at all" * 100):
        p = tmp_path / "g.ltar"
        p.write_bytes(data)
        with pytest.raises(BundleError):
            verify_bundle(p, key.verifier)


@pytest.mark.parametrize(
    "name", ["../evil.whl", "wheels/../../etc/passwd.whl", "/abs.whl", "wheels/a/b.whl", "x.sh"]
)
def test_path_traversal_refused(bundle: Path, key: Signer, tmp_path: Path, name: str) -> None:
    bad = tmp_path / "bad.ltar"
    _rewrite(bundle, bad, {}, {name: b"x"})
    with pytest.raises(BundleError) as e:
        extract(bad, key.verifier, tmp_path / "x")
    assert e.value.reason == "bad_name"
    assert not (tmp_path / "x").exists()


def test_symlink_refused(bundle: Path, key: Signer, tmp_path: Path) -> None:
    bad = tmp_path / "bad.ltar"
    _rewrite(bundle, bad, {}, {})
    with tarfile.open(bad, "a") as t:
        info = tarfile.TarInfo("wheels/link.whl")
        info.type, info.linkname = tarfile.SYMTYPE, "/etc/shadow"
        t.addfile(info)
    with pytest.raises(BundleError) as e:
        read_manifest(bad, key.verifier)
    assert e.value.reason == "bad_name"


def test_extra_and_missing_files_refused(bundle: Path, key: Signer, tmp_path: Path) -> None:
    extra = tmp_path / "extra.ltar"
    _rewrite(bundle, extra, {}, {"wheels/more-1-py3-none-any.whl": b"x"})
    with pytest.raises(BundleError) as e:
        read_manifest(extra, key.verifier)
    assert e.value.reason == "extra_file"
    missing = tmp_path / "missing.ltar"
    _rewrite(bundle, missing, {"wheels/dep-1.0-py3-none-any.whl": None}, {})
    with pytest.raises(BundleError) as e:
        read_manifest(missing, key.verifier)
    assert e.value.reason == "missing_file"


def test_versions_ordered_and_downgrade_refused() -> None:
    check_upgrade("0.10.0", "0.9.0", min_version="0", allow_downgrade=False)
    with pytest.raises(BundleError) as e:
        check_upgrade("0.1.0", "0.2.0", min_version="0", allow_downgrade=False)
    assert e.value.reason == "downgrade"
    check_upgrade("0.1.0", "0.2.0", min_version="0", allow_downgrade=True)
    with pytest.raises(BundleError) as e:
        check_upgrade("0.2.0", "0.2.0", min_version="0", allow_downgrade=True)
    assert e.value.reason == "same_version"
    with pytest.raises(BundleError) as e:
        check_upgrade("0.3.0", "0.1.0", min_version="0.2.0", allow_downgrade=False)
    assert e.value.reason == "too_old"
    with pytest.raises(BundleError) as e:
        check_upgrade("not a version", "0.1.0", min_version="0", allow_downgrade=False)
    assert e.value.reason == "bad_version"


def test_update_command_fields_enforced() -> None:
    offer = {"version": "0.2.0", "url": "https://hub/r/x", "sha256": "a" * 64, "size": 10}
    msgspec.convert({"command": "update", "update": offer}, k.CommandBody)
    for bad in (
        {"command": "update"},
        {"command": "silence", "update": offer},
        {"command": "update", "update": {**offer, "sha256": "A" * 64}},
        {"command": "update", "update": {**offer, "url": "file:///etc/passwd"}},
        {"command": "update", "update": {**offer, "url": "https://x/\n"}},
        {"command": "update", "update": {**offer, "size": 0}},
        {"command": "update", "update": {**offer, "version": "../x"}},
    ):
        with pytest.raises(msgspec.ValidationError):
            msgspec.convert(bad, k.CommandBody)
