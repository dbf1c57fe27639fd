"""`liandong-hub release add|list`: keep a signed release bundle on the hub (checked in
full first) and list what is kept. Rollouts are started in the console by an admin."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path

import click

from hub.errors import HubError
from hub.fleet.releases import ReleaseStore

_config = click.option(
    "--config",
    "config_path",
    type=click.Path(exists=True, dir_okay=False, path_type=Path),
    required=True,
    help="hub.toml: [fleet] releases folder and release key, [store] database.",
)


def _store(config_path: Path) -> ReleaseStore:
    from hub.config import load_config

    c = load_config(config_path)
    return ReleaseStore(
        c.db_path,
        c.releases_dir or c.db_path.parent / "releases",
        c.release_key or c.pki_dir / "release" / "release.pub",
    )


@click.group("release", help="Software releases for the terminals (docs/updates.md).")
def release() -> None:
    """`liandong-hub release ...`"""


@release.command("add", help="Verify a release bundle in full and keep it for rollouts.")
@_config
@click.argument("bundle", type=click.Path(exists=True, dir_okay=False, path_type=Path))
def add(config_path: Path, bundle: Path) -> None:
    try:
        row = _store(config_path).add(bundle, by="cli", now=datetime.now(UTC))
    except HubError as e:
        raise click.ClickException(str(e)) from None
    click.echo(f"release {row['version']} kept as {row['file']} (sha256 {row['sha256']})")


@release.command("list", help="The releases the hub keeps, newest first.")
@_config
def list_cmd(config_path: Path) -> None:
    for r in _store(config_path).all():
        click.echo(f"{r['version']}\t{r['file']}\t{r['size']}\t{r['added_at']}")
