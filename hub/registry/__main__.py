"""`python -m hub.registry [FILE]`: check a registry file before the hub is pointed at it.

Prints every problem with its line and exits 1, or a one-line summary and exits 0; a county
editing its registry learns of a mistake at the desk, not when the hub refuses to start.
`--selfcall-lists` prints gateway.toml's `[selfcall]` section for the county instead.
"""

from __future__ import annotations

from pathlib import Path

import click
import tomli_w

from hub.registry.loader import load_registry
from hub.registry.model import Registry, RegistryError


@click.command()
@click.argument("path", required=False, type=click.Path(path_type=Path))
@click.option(
    "--selfcall-lists",
    is_flag=True,
    help="Print the [selfcall] section of gateway.toml (the kiosk's 自接警情 lists) instead.",
)
def main(path: Path | None, selfcall_lists: bool) -> None:
    """Check the registry FILE (default: the shipped Shuangbai registry)."""
    try:
        reg = load_registry(path)
    except RegistryError as e:
        click.echo(str(e), err=True)
        raise SystemExit(1) from e
    if selfcall_lists:
        click.echo(selfcall_section(reg), nl=False)
        return
    tiers = [sum(1 for u in reg.units.values() if u.tier == t) for t in (1, 2, 3)]
    terminals = sum(1 for u in reg.units.values() if u.terminal)
    click.echo(
        f"{reg.source}: {reg.county_name} ({reg.county_id}): {len(reg.townships)} townships, "
        f"{len(reg.units)} units (tier 1/2/3: {tiers[0]}/{tiers[1]}/{tiers[2]}; "
        f"{terminals} with a terminal, {len(reg.units) - terminals} by phone), "
        f"{len(reg.categories)} categories: OK"
    )


def selfcall_section(reg: Registry) -> str:
    """gateway.toml's `[selfcall]`: the county's category codes and township ids with their
    Chinese names, for a terminal's 自接警情 form (the terminal has no registry of its own)."""
    lists = {
        "selfcall": {
            "categories": {c.code: c.name_zh for c in reg.categories.values()},
            "townships": {t.id: t.name_zh for t in reg.townships.values()},
        }
    }
    return tomli_w.dumps(lists)


if __name__ == "__main__":
    main()
