"""Creating the first admin: no account ever has a default password.

`create_admin(db_path, username)` makes an admin account and returns a one-time password
that must be changed at the first login. Two ways in: the Flask CLI command
`flask create-admin USER` (registered by `init_app`) and `register(group)`, which adds the
same `create-admin` command to a click group such as `liandong-hub`.
"""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path

import click
from flask.cli import with_appcontext

from hub.console import db, users
from hub.console.audit import record
from hub.console.errors import UserError


def create_admin(db_path: Path | str, username: str) -> str:
    """Create admin `username` in the hub database and return its one-time password."""
    path = Path(db_path)
    db.migrate(path)
    when = datetime.now(UTC)
    password = users.create_user(path, username, "admin", by="cli", now=when)
    record(
        path,
        at=when,
        actor="cli",
        role="-",
        action="user_create",
        target=username,
        detail={"role": "admin"},
    )
    return password


def _run(db_path: Path, username: str) -> None:
    try:
        password = create_admin(db_path, username)
    except UserError as exc:
        raise click.ClickException(str(exc)) from exc
    click.echo(
        f"管理员 {username} 已创建。一次性密码（首次登录须修改）/ admin created, one-time password:"
    )
    click.echo(password)


@click.command("create-admin")
@click.argument("username")
@with_appcontext
def create_admin_command(username: str) -> None:
    """Create an admin account for the console and print its one-time password."""
    from flask import current_app

    from hub.console.web import EXTENSION

    _run(current_app.extensions[EXTENSION].db_path, username)


@click.command("create-admin")
@click.option(
    "--db",
    "db_path",
    required=True,
    type=click.Path(dir_okay=False, path_type=Path),
    help="The hub's SQLite file ([store] path of hub.toml).",
)
@click.argument("username")
def create_admin_standalone(db_path: Path, username: str) -> None:
    """Create an admin account for the console and print its one-time password."""
    _run(db_path, username)


def register(group: click.Group) -> None:
    """Add `create-admin --db PATH USER` to a click group (e.g. the `liandong-hub` CLI)."""
    group.add_command(create_admin_standalone)
