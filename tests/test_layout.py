"""The layout rules of DESIGN.md: the gateway never imports the hub, nor the hub the gateway,
the shared contract imports neither (nor paho: it is plain data and crypto), and the shared
MQTT package `mqttlink` imports no side of the system."""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
FORBIDDEN = {
    "gateway": {"hub", "demo"},
    "hub": {"gateway", "demo"},
    "wire": {"hub", "gateway", "provisioning", "demo", "mqttlink", "paho"},
    "mqttlink": {"hub", "gateway", "provisioning", "demo"},
    "provisioning": {"hub", "gateway", "demo"},
}


def imported_roots(path: Path) -> set[str]:
    tree = ast.parse(path.read_text(encoding="utf-8"), filename=str(path))
    roots: set[str] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            roots.update(alias.name.split(".")[0] for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
            roots.add(node.module.split(".")[0])
    return roots


@pytest.mark.parametrize("package", sorted(FORBIDDEN))
def test_package_does_not_import_forbidden(package: str) -> None:
    files = sorted((ROOT / package).rglob("*.py"))
    assert files, f"{package}/ has no Python files"
    bad = {str(f.relative_to(ROOT)): sorted(imported_roots(f) & FORBIDDEN[package]) for f in files}
    bad = {k: v for k, v in bad.items() if v}
    assert not bad, f"{package} must not import {sorted(FORBIDDEN[package])}: {bad}"


def test_checker_sees_imports(tmp_path: Path) -> None:
    f = tmp_path / "m.py"
    f.write_text("import hub.x\nfrom gateway import y\nfrom . import z\n")
    assert imported_roots(f) == {"hub", "gateway"}
