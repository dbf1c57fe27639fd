"""`liandong-provision release key|build`: the release key and signed bundles."""

from __future__ import annotations

from pathlib import Path

import click

from provisioning import release
from provisioning.errors import ProvisioningError

_pki = click.option(
    "--dir",
    "pki",
    required=True,
    envvar="LIANDONG_PKI",
    type=click.Path(file_okay=False, path_type=Path),
    help="The county PKI folder (or $LIANDONG_PKI).",
)


@click.group("release", help="Software releases for the terminals (docs/updates.md).")
def group() -> None:
    """`liandong-provision release ...`"""


@group.command("key")
@_pki
def key_cmd(pki: Path) -> None:
    """Make the county's release key (PKI/release/release.key, 0600) and add release.pub
    to every unit bundle. Refuses to replace an existing key."""
    try:
        units = release.make_release_key(pki)
    except ProvisioningError as e:
        raise click.ClickException(str(e)) from e
    click.echo(f"release key: {pki / 'release' / 'release.key'} (keep it offline, with the CA)")
    click.echo(f"{release.RELEASE_PUB} added to {len(units)} unit bundles; redeploy it to:")
    for unit in units:
        click.echo(f"  {unit}")


@group.command("build")
@_pki
@click.option(
    "--wheel-dir",
    required=True,
    type=click.Path(exists=True, file_okay=False, path_type=Path),
    help="The liandong wheel and every wheel it needs (pip download / pip wheel).",
)
@click.option("--version", "version", required=True, help="The liandong version inside.")
@click.option("--min-version", default="0", show_default=True, help="Oldest version it updates.")
@click.option("--out", required=True, type=click.Path(dir_okay=False, path_type=Path))
def build_cmd(pki: Path, wheel_dir: Path, version: str, min_version: str, out: Path) -> None:
    """Build and sign a release bundle."""
    try:
        m = release.build_release(pki, wheel_dir, version, out, min_version=min_version)
    except ProvisioningError as e:
        raise click.ClickException(str(e)) from e
    click.echo(f"release {m.version}: {out} ({len(m.files)} wheels, signed)")
