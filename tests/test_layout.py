"""The layout rules of DESIGN.md: the gateway never imports the hub, nor the hub the gateway,
the shared contract imports neither (nor paho: it is plain data and crypto), and the shared
MQTT package `mqttlink` imports no side of the system."""

from __future__ import annotations

import ast
import re
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


# ---- module size -------------------------------------------------------------------------

MAX_LINES = 400
"""A module past this does more than one job (STYLE.md: a few hundred lines at most)."""
SIZED = ["gateway", "hub", "mqttlink", "provisioning", "wire"]


def oversized(package_dir: Path, limit: int = MAX_LINES) -> dict[str, int]:
    """Modules under `package_dir` longer than `limit` lines, with their length."""
    sizes = {
        str(f.relative_to(package_dir.parent)): len(f.read_text(encoding="utf-8").splitlines())
        for f in sorted(package_dir.rglob("*.py"))
    }
    return {name: n for name, n in sizes.items() if n > limit}


@pytest.mark.parametrize("package", SIZED)
def test_no_module_passes_400_lines(package: str) -> None:
    assert (ROOT / package).is_dir()
    too_long = oversized(ROOT / package)
    assert not too_long, f"split these modules (over {MAX_LINES} lines): {too_long}"


def test_size_check_can_fail(tmp_path: Path) -> None:
    pkg = tmp_path / "pkg"
    (pkg / "sub").mkdir(parents=True)
    (pkg / "__init__.py").write_text("")
    (pkg / "sub" / "ok.py").write_text("x = 1\n" * MAX_LINES)
    (pkg / "sub" / "big.py").write_text("x = 1\n" * (MAX_LINES + 1))
    assert oversized(pkg) == {"pkg/sub/big.py": MAX_LINES + 1}


# ---- import cycles between the parts of a package ----------------------------------------

ACYCLIC = ["gateway", "hub"]
"""Packages whose parts (sub-packages and top-level modules) import each other without a
cycle: hub.dispatch -> hub.terminals -> hub.dispatch, or hub.config <-> hub.sources, fails."""


def _imported_modules(path: Path, module: str) -> set[str]:
    """Every module `path` (the module named `module`) imports, absolute or relative, at
    any depth: in a function, or under `if TYPE_CHECKING` (a cycle of types is a cycle)."""
    tree = ast.parse(path.read_text(encoding="utf-8"), filename=str(path))
    package = module if path.name == "__init__.py" else module.rpartition(".")[0]
    found: set[str] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            found.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom):
            if node.level:
                base = package.split(".")
                base = base[: len(base) - node.level + 1]
                prefix = ".".join(base)
                target = f"{prefix}.{node.module}" if node.module else prefix
            else:
                target = node.module or ""
            found.add(target)
            # `from pkg import part` names a part, not only the package
            found.update(f"{target}.{alias.name}" for alias in node.names)
    return found


def part_graph(package_dir: Path) -> dict[str, set[str]]:
    """The parts of a package (its sub-packages and top-level modules) and which parts each
    one imports (itself left out)."""
    root = package_dir.name
    parts = {
        p.stem if p.is_file() else p.name
        for p in package_dir.iterdir()
        if (p.is_file() and p.suffix == ".py" and p.name != "__init__.py")
        or (p.is_dir() and (p / "__init__.py").exists())
    }
    graph: dict[str, set[str]] = {part: set() for part in parts}
    for f in package_dir.rglob("*.py"):
        rel = f.relative_to(package_dir.parent).with_suffix("")
        names = list(rel.parts)
        if names[-1] == "__init__":
            names = names[:-1]
        if len(names) < 2:
            continue  # the package's own __init__ belongs to no part
        module, part = ".".join(names), names[1]
        for target in _imported_modules(f, module):
            bits = target.split(".")
            if len(bits) >= 2 and bits[0] == root and bits[1] in parts and bits[1] != part:
                graph[part].add(bits[1])
    return graph


def cycles(graph: dict[str, set[str]]) -> list[list[str]]:
    """The strongly connected components with more than one part (Tarjan), each sorted."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    on_stack: set[str] = set()
    found: list[list[str]] = []

    def visit(v: str) -> None:
        index[v] = low[v] = len(index)
        stack.append(v)
        on_stack.add(v)
        for w in sorted(graph[v]):
            if w not in index:
                visit(w)
                low[v] = min(low[v], low[w])
            elif w in on_stack:
                low[v] = min(low[v], index[w])
        if low[v] == index[v]:
            component: list[str] = []
            while True:
                w = stack.pop()
                on_stack.discard(w)
                component.append(w)
                if w == v:
                    break
            if len(component) > 1:
                found.append(sorted(component))

    for v in sorted(graph):
        if v not in index:
            visit(v)
    return sorted(found)


@pytest.mark.parametrize("package", ACYCLIC)
def test_parts_do_not_import_in_a_circle(package: str) -> None:
    graph = part_graph(ROOT / package)
    assert len(graph) > 1
    found = cycles(graph)
    assert not found, f"{package}: these parts import each other in a circle: {found}"


def test_cycle_check_can_fail(tmp_path: Path) -> None:
    """A synthetic package: a -> b by an absolute import, b -> c relatively, c -> a only
    for type checking; d imports a (no cycle); a module imports its own part (no cycle)."""
    pkg = tmp_path / "pkg"
    for part in ("a", "b", "c"):
        (pkg / part).mkdir(parents=True)
        (pkg / part / "__init__.py").write_text("")
    (pkg / "__init__.py").write_text("")
    (pkg / "a" / "x.py").write_text("from pkg.b.y import thing\nfrom pkg.a import z\n")
    (pkg / "a" / "z.py").write_text("")
    (pkg / "b" / "y.py").write_text("from ..c import w\nthing = 1\n")
    (pkg / "c" / "w.py").write_text(
        "from typing import TYPE_CHECKING\nif TYPE_CHECKING:\n    import pkg.a.x\n"
    )
    (pkg / "d.py").write_text("def f():\n    from pkg import a\n")
    graph = part_graph(pkg)
    assert graph == {"a": {"b"}, "b": {"c"}, "c": {"a"}, "d": {"a"}}
    assert cycles(graph) == [["a", "b", "c"]]
    (pkg / "c" / "w.py").write_text("")
    assert cycles(part_graph(pkg)) == []


# ---- the terminal's tables: one writer each ---------------------------------------------

GATEWAY_TABLE_WRITERS = {
    "orders": "gateway/state/orders.py",
    "seen": "gateway/state/seen.py",
    "outbox": "gateway/uplink/outbox.py",
    "prints": "gateway/devices/spool.py",
    "rollcalls": "gateway/state/rollcalls.py",
}
_SQL_WRITE = re.compile(
    r"\b(?:INSERT(?:\s+OR\s+[A-Z]+)?\s+INTO|REPLACE\s+INTO|UPDATE|DELETE\s+FROM)\s+[\"`\[]?(\w+)"
)
_TABLE_WRITE_METHODS = {
    "insert",
    "insert_all",
    "upsert",
    "upsert_all",
    "update",
    "delete",
    "delete_where",
    "drop",
}


def _table_name(node: ast.expr) -> str | None:
    """ "t" of `db.table("t")` or `db["t"]`."""
    if (
        isinstance(node, ast.Call)
        and isinstance(node.func, ast.Attribute)
        and node.func.attr == "table"
        and node.args
        and isinstance(node.args[0], ast.Constant)
    ):
        return str(node.args[0].value)
    if isinstance(node, ast.Subscript) and isinstance(node.slice, ast.Constant):
        return str(node.slice.value)
    return None


def tables_written(path: Path) -> set[str]:
    """Tables a module writes: SQL in its string literals (f-strings too), and sqlite-utils
    table methods that write (`db.table("t").insert(...)`, `db["t"].upsert(...)`)."""
    tree = ast.parse(path.read_text(encoding="utf-8"), filename=str(path))
    written: set[str] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Constant) and isinstance(node.value, str):
            written.update(m.group(1) for m in _SQL_WRITE.finditer(node.value))
        elif (
            isinstance(node, ast.Call)
            and isinstance(node.func, ast.Attribute)
            and node.func.attr in _TABLE_WRITE_METHODS
        ):
            name = _table_name(node.func.value)
            if name is not None:
                written.add(name)
    return written


def writers(package_dir: Path, tables: set[str]) -> dict[str, set[str]]:
    """For each of `tables`, the modules under `package_dir` that write it."""
    found: dict[str, set[str]] = {t: set() for t in tables}
    for f in sorted(package_dir.rglob("*.py")):
        for table in tables_written(f) & tables:
            found[table].add(str(f.relative_to(package_dir.parent)))
    return found


def test_each_terminal_table_has_one_writer() -> None:
    found = writers(ROOT / "gateway", set(GATEWAY_TABLE_WRITERS))
    assert found == {t: {m} for t, m in GATEWAY_TABLE_WRITERS.items()}


def test_writer_check_can_fail(tmp_path: Path) -> None:
    pkg = tmp_path / "pkg"
    (pkg / "state").mkdir(parents=True)
    (pkg / "state" / "orders.py").write_text(
        'def f(c, sets):\n    c.execute(f"UPDATE orders SET {sets}")\n'
    )
    (pkg / "sneaky.py").write_text(
        "def g(c, db):\n"
        '    c.execute("INSERT OR IGNORE INTO seen VALUES (?)", (1,))\n'
        "    db.table('orders').upsert({'order_id': 'x'}, pk='order_id')\n"
        "    db['outbox'].delete_where('1')\n"
        "    c.execute('SELECT * FROM prints')  # a read is no write\n"
    )
    assert writers(pkg, {"orders", "seen", "outbox", "prints"}) == {
        "orders": {"pkg/state/orders.py", "pkg/sneaky.py"},
        "seen": {"pkg/sneaky.py"},
        "outbox": {"pkg/sneaky.py"},
        "prints": set(),
    }


# ---- the hub's tables: each written only from the folder that owns it --------------------

DISPATCH_TABLES = {
    "incidents",
    "orders",
    "deadlines",
    "unit_state",
    "outbox",
    "seen",
    "rejected",
    "rejected_counts",
    "events",
}
"""The one writer's tables (DESIGN.md): nothing outside hub/dispatch/ writes them."""
HUB_TABLE_OWNERS = {
    **{table: "hub/dispatch/" for table in DISPATCH_TABLES},
    **{f"rollcall_{t}": "hub/dispatch/rollcall/" for t in ("rounds", "calls", "plan")},
    "boundary_files": "hub/sources/boundary/",
    "notifications": "hub/alerts/",
    "boundary_cursor": "hub/sources/boundary/",
    **{
        f"assessment_{t}": "hub/assessment/"
        for t in ("samples", "findings", "appeals", "decisions", "rollcall_checks")
    },
    **{
        f"console_{t}": "hub/console/"
        for t in ("users", "sessions", "audit", "login_guard", "login_seats")
    },
    **{f"fleet_{t}": "hub/fleet/" for t in ("releases", "rollouts", "targets")},
}


def foreign_writers(package_dir: Path, owners: dict[str, str]) -> dict[str, set[str]]:
    """For each table, the modules under `package_dir` that write it from outside the
    folder that owns it (an empty dict: every table has its one writer's folder)."""
    found = writers(package_dir, set(owners))
    return {
        table: bad
        for table, modules in found.items()
        if (bad := {m for m in modules if not m.startswith(owners[table])})
    }


def test_hub_tables_are_written_only_by_their_owner() -> None:
    assert foreign_writers(ROOT / "hub", HUB_TABLE_OWNERS) == {}
    found = writers(ROOT / "hub", DISPATCH_TABLES)
    assert all(found.values()), f"the scan sees no writer of some table: {found}"


def test_hub_owner_check_can_fail(tmp_path: Path) -> None:
    """The layout before issue 12: delivery, the uplink and the gate wrote dispatch tables."""
    hub = tmp_path / "hub"
    for folder in ("dispatch", "terminals", "sources/boundary"):
        (hub / folder).mkdir(parents=True)
    (hub / "dispatch" / "ledger.py").write_text(
        'def f(db):\n    db.execute("INSERT INTO events (id) VALUES (?)", ("e",))\n'
    )
    (hub / "terminals" / "delivery.py").write_text(
        "def pump(db, now, seq):\n"
        '    db.conn.executemany("UPDATE outbox SET done_at=? WHERE seq=?", [(now, seq)])\n'
    )
    (hub / "terminals" / "uplink.py").write_text(
        "def up(db, sets):\n"
        '    db.execute("INSERT INTO seen (msg_id) VALUES (?)", ("m",))\n'
        '    db.execute(f"UPDATE incidents SET {sets} WHERE id=?", ("i",))\n'
        '    db.execute("SELECT * FROM orders")  # a read is no write\n'
    )
    (hub / "sources" / "boundary" / "journal.py").write_text(
        "def gate(db, row):\n"
        '    db.table("incidents").insert(row)\n'
        '    db["boundary_files"].insert(row)  # its own table\n'
    )
    assert foreign_writers(hub, HUB_TABLE_OWNERS) == {
        "outbox": {"hub/terminals/delivery.py"},
        "seen": {"hub/terminals/uplink.py"},
        "incidents": {"hub/terminals/uplink.py", "hub/sources/boundary/journal.py"},
    }


def test_hub_cycle_check_can_fail(tmp_path: Path) -> None:
    """Two circles the hub's layout must not have: dispatch <-> terminals, and a top-level
    module with a sub-package (config reads [boundary] with sources, whose check read the
    config back)."""
    hub = tmp_path / "hub"
    for part in ("dispatch", "terminals", "sources"):
        (hub / part).mkdir(parents=True)
        (hub / part / "__init__.py").write_text("")
    (hub / "__init__.py").write_text("")
    (hub / "dispatch" / "inbox.py").write_text("from hub.terminals.link import publish\n")
    (hub / "terminals" / "link.py").write_text("from hub.dispatch import inbox\n")
    (hub / "config.py").write_text("from hub.sources.boundary import load_boundary\n")
    (hub / "sources" / "check.py").write_text("from hub.config import HubConfig\n")
    assert cycles(part_graph(hub)) == [["config", "sources"], ["dispatch", "terminals"]]
