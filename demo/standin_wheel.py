"""A tiny real wheel standing in for a liandong release: a package named `liandong` whose
console script `liandong-gateway` prints its version and exits 0, or exits 1 (a release
that fails to start). Written by hand (a wheel is a zip with a dist-info); pip installs it
like any other in well under a second, so the release tests and the demo's rollout need
not build the real project with all its dependencies. It is signed and verified like a
real release; only what it runs differs.
"""

from __future__ import annotations

import base64
import hashlib
import zipfile
from pathlib import Path


def _record_line(name: str, data: bytes) -> str:
    digest = base64.urlsafe_b64encode(hashlib.sha256(data).digest()).rstrip(b"=").decode()
    return f"{name},sha256={digest},{len(data)}"


def make_wheel(folder: Path, version: str, *, works: bool = True, name: str = "liandong") -> Path:
    """Write `name-version-py3-none-any.whl` into `folder` and return its path."""
    folder.mkdir(parents=True, exist_ok=True)
    pkg = f"{name}_dummy"
    code = f"VERSION = {version!r}\n\n\ndef main() -> None:\n"
    code += "    print(VERSION)\n" if works else "    raise SystemExit(1)\n"
    dist = f"{name}-{version}.dist-info"
    files = {
        f"{pkg}/__init__.py": code.encode(),
        f"{dist}/METADATA": (f"Metadata-Version: 2.1\nName: {name}\nVersion: {version}\n").encode(),
        f"{dist}/WHEEL": b"Wheel-Version: 1.0\nGenerator: tests\nRoot-Is-Purelib: true\n"
        b"Tag: py3-none-any\n",
        f"{dist}/entry_points.txt": (
            f"[console_scripts]\nliandong-gateway = {pkg}:main\n"
        ).encode(),
    }
    record = [_record_line(n, d) for n, d in files.items()] + [f"{dist}/RECORD,,"]
    files[f"{dist}/RECORD"] = ("\n".join(record) + "\n").encode()
    path = folder / f"{name}-{version}-py3-none-any.whl"
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as z:
        for n, d in files.items():
            z.writestr(n, d)
    return path
