"""Each install extra brings every third-party module its programs import.

The deployment rehearsal (tools/deploy-rehearsal) found `liandong-hub serve` dying with
"No module named 'serial'" on a machine installed with `pip install '.[hub]'` alone: the
dev venv has every extra, so no other test could see it. This reads the imports of each
installed part (ast, no import) and checks that the distribution providing each module is
in the base dependencies or that part's extra, or required by one of those.
"""

from __future__ import annotations

import ast
import importlib.metadata as md
import re
import sys
import tomllib
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[2]
OURS = {"hub", "gateway", "wire", "provisioning", "mqttlink", "tests", "demo", "bench"}
# what `pip install '.[EXTRA]'` puts on a machine that runs which programs
PARTS = {
    "hub": ["hub", "provisioning", "wire", "mqttlink"],
    "gateway": ["gateway", "wire", "mqttlink"],
}


def _names(requirements: list[str]) -> set[str]:
    return {
        re.split(r"[<>=!~\[; ]", r, maxsplit=1)[0].lower().replace("_", "-") for r in requirements
    }


def _closure(names: set[str]) -> set[str]:
    """The named distributions and everything they require (installed ones only)."""
    seen: set[str] = set()
    todo = list(names)
    while todo:
        name = todo.pop()
        if name in seen:
            continue
        seen.add(name)
        try:
            requires = md.requires(name) or []
        except md.PackageNotFoundError:
            continue
        todo += [r for r in _names([q for q in requires if "extra ==" not in q]) if r not in seen]
    return seen


def _imports(folder: Path) -> set[str]:
    found: set[str] = set()
    for path in folder.rglob("*.py"):
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if isinstance(node, ast.Import):
                found |= {a.name.split(".")[0] for a in node.names}
            elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
                found.add(node.module.split(".")[0])
    return found - OURS - set(sys.stdlib_module_names) - {"__future__"}


@pytest.mark.parametrize("extra", sorted(PARTS))
def test_extra_brings_every_import(extra: str) -> None:
    project = tomllib.loads((REPO / "pyproject.toml").read_text(encoding="utf-8"))["project"]
    allowed = _closure(
        _names(project["dependencies"]) | _names(project["optional-dependencies"][extra])
    )
    providers = md.packages_distributions()
    missing: dict[str, list[str]] = {}
    for module in sorted(set().union(*(_imports(REPO / p) for p in PARTS[extra]))):
        dists = {d.lower().replace("_", "-") for d in providers.get(module, [])}
        if not dists:
            continue  # an optional import guarded at run time (a Pi-only module, say)
        if not dists & allowed:
            missing[module] = sorted(dists)
    assert not missing, f"imported by the {extra} programs but not in liandong[{extra}]: {missing}"
