"""`python -m hub.registry [FILE]`: check a registry file before the hub is pointed at it.

Prints every problem with its line and exits 1, or a one-line summary and exits 0; a county
editing its registry learns of a mistake at the desk, not when the hub refuses to start.
"""

from __future__ import annotations

from pathlib import Path

import click

from hub.registry.loader import load_registry
from hub.registry.model import RegistryError


@click.command()
@click.argument("path", required=False, type=click.Path(path_type=Path))
def main(path: Path | None) -> None:
    """Check the registry FILE (default: the shipped Shuangbai registry)."""
    try:
        reg = load_registry(path)
    except RegistryError as e:
        click.echo(str(e), err=True)
        raise SystemExit(1) from e
    tiers = [sum(1 for u in reg.units.values() if u.tier == t) for t in (1, 2, 3)]
    terminals = sum(1 for u in reg.units.values() if u.terminal)
    click.echo(
        f"{reg.source}: {reg.county_name} ({reg.county_id}): {len(reg.townships)} townships, "
        f"{len(reg.units)} units (tier 1/2/3: {tiers[0]}/{tiers[1]}/{tiers[2]}; "
        f"{terminals} with a terminal, {len(reg.units) - terminals} by phone), "
        f"{len(reg.categories)} categories: OK"
    )


if __name__ == "__main__":
    main()
