"""`liandong-hub release add|list`: keep a signed release bundle on the hub (checked in
full first; recorded in the console's audit log as done by `cli`) and list what is kept.
Rollouts are started in the console by an admin (docs/updates.md)."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path

import click

from hub.console import audit
from hub.console import db as console_db
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


def _audit(db_path: Path, at: datetime, target: str, outcome: str, detail: dict[str, str]) -> None:
    console_db.migrate(db_path)
    audit.record(
        db_path,
        at=at,
        actor="cli",
        role="-",
        action="release_add",
        target=target,
        outcome=outcome,
        detail=detail,
    )


@click.group("release", help="Software releases for the terminals (docs/updates.md).")
def release() -> None:
    """`liandong-hub release ...`"""


@release.command("add", help="Verify a release bundle in full and keep it for rollouts.")
@_config
@click.argument("bundle", type=click.Path(exists=True, dir_okay=False, path_type=Path))
def add(config_path: Path, bundle: Path) -> None:
    store = _store(config_path)
    now = datetime.now(UTC)
    try:
        row = store.add(bundle, by="cli", now=now)
    except HubError as e:
        _audit(store.db_path, now, bundle.name, "refused", {"error": str(e)})
        raise click.ClickException(str(e)) from None
    _audit(store.db_path, now, row["version"], "ok", {"sha256": row["sha256"]})
    click.echo(f"release {row['version']} kept as {row['file']} (sha256 {row['sha256']})")


@release.command("list", help="The releases the hub keeps, newest first.")
@_config
def list_cmd(config_path: Path) -> None:
    for r in _store(config_path).all():
        click.echo(f"{r['version']}\t{r['file']}\t{r['size']}\t{r['added_at']}")
