"""`liandong-hub`: the command centre's hub (serve, report).

A thin command line over the library: `serve` is `hub.runtime.Hub(config).run_forever()`.
"""

from __future__ import annotations

import logging
from pathlib import Path
from typing import Any

import click

from hub import release_cli
from hub.errors import HubError
from hub.registry import RegistryError


@click.group(help="Liandong: the command centre's hub (serve, report).")
@click.version_option(package_name="liandong")
def main() -> None:
    """Entry point of `liandong-hub`."""


@main.command(help="Run the hub: HTTP API and console, MQTT link and deadline engine.")
@click.option(
    "--config",
    "config_path",
    type=click.Path(exists=True, dir_okay=False, path_type=Path),
    required=True,
    help="hub.toml (written by `liandong-provision init`, e.g. PKI/hub/hub.toml).",
)
@click.option("--log-level", default="INFO", show_default=True, help="DEBUG, INFO, WARNING.")
@click.option(
    "--trusted-proxy",
    "proxies",
    multiple=True,
    help="Also trust this proxy's X-Forwarded-For/-Proto, as [http] trusted_proxies does "
    "(repeat; the installed service passes 127.0.0.1 for its nginx).",
)
def serve(config_path: Path, log_level: str, proxies: tuple[str, ...]) -> None:
    from hub.config import load_config, with_proxies
    from hub.db.running import DatabaseLock
    from hub.runtime import Hub

    logging.basicConfig(
        level=log_level.upper(), format="%(asctime)s %(levelname)s %(name)s: %(message)s"
    )
    try:
        config = with_proxies(load_config(config_path), proxies)
        # One serving hub per database, held until the process ends; `restore` waits for it.
        lock = DatabaseLock(config.db_path)
        hub = Hub(config)
    except (HubError, RegistryError) as e:
        raise click.ClickException(str(e)) from None
    try:
        hub.run_forever()
    finally:
        lock.release()


@main.command("create-admin", help="Create a console admin and print a one-time password.")
@click.option(
    "--config",
    "config_path",
    type=click.Path(exists=True, dir_okay=False, path_type=Path),
    required=True,
    help="hub.toml: the admin is created in its [store] database.",
)
@click.argument("username")
def create_admin(config_path: Path, username: str) -> None:
    """No account has a default password: the first admin gets a one-time password that
    must be changed at the first login."""
    from hub.config import load_config
    from hub.console.commands import create_admin as make_admin
    from hub.console.errors import UserError

    try:
        config = load_config(config_path)
        config.db_path.parent.mkdir(parents=True, exist_ok=True)
        password = make_admin(config.db_path, username)
    except (HubError, UserError) as e:
        raise click.ClickException(str(e)) from None
    click.echo(f"管理员 {username} 已创建。一次性密码（首次登录须修改）/ one-time password:")
    click.echo(password)


# ---- backups (hub/db/backup.py does the work) ----
_config_option = click.option(
    "--config",
    "config_path",
    type=click.Path(exists=True, dir_okay=False, path_type=Path),
    required=True,
    help="hub.toml: its [store] database.",
)


@main.command(help="Back the database up while the hub serves (SQLite's online backup).")
@_config_option
@click.option(
    "--to",
    "folder",
    type=click.Path(file_okay=False, path_type=Path),
    help="Backup folder (default: backups/ beside the database).",
)
@click.option("--keep", default=14, show_default=True, help="Days of daily backups kept.")
def backup(config_path: Path, folder: Path | None, keep: int) -> None:
    from datetime import UTC, datetime

    from hub.config import load_config
    from hub.db.backup import backup as make_backup

    try:
        db = load_config(config_path).db_path
        made = make_backup(db, folder or db.parent / "backups", now=datetime.now(UTC), keep=keep)
    except HubError as e:
        raise click.ClickException(str(e)) from None
    click.echo(f"备份完成 backed up: {made.path} ({made.size} bytes)")
    for old in made.removed:
        kept = f"only the newest backup of each of the last {keep} days is kept"
        click.echo(f"  removed ({kept}): {old.name}")


@main.command(help="Put a backup in place of the database; the hub must be stopped.")
@_config_option
@click.argument("file", type=click.Path(exists=True, dir_okay=False, path_type=Path))
def restore(config_path: Path, file: Path) -> None:
    from datetime import UTC, datetime

    from hub.config import load_config
    from hub.db.backup import restore as put_back

    try:
        db = load_config(config_path).db_path
        kept = put_back(db, file, now=datetime.now(UTC))
    except HubError as e:
        raise click.ClickException(str(e)) from None
    click.echo(f"已恢复 restored {db} from {file}")
    if kept:
        click.echo(f"  the database it replaced is kept as {kept}")
    click.echo("  start the hub: systemctl start liandong-hub")


# ---- end backups ----


# ---- assessment (hub/assessment/command.py does the work) ----
@main.command(help="考核报表 Assessment report: daily spot-check day, quarterly bulletin, year.")
@click.argument("kind", type=click.Choice(["daily", "quarter", "year", "range"]))
@click.option(
    "--config",
    "config_path",
    type=click.Path(exists=True, dir_okay=False, path_type=Path),
    required=True,
    help="hub.toml: its [store] database (opened read-only) and registry.",
)
@click.option("--date", "day", type=click.DateTime(["%Y-%m-%d"]), help="daily: the Beijing date.")
@click.option("--year", type=int, help="quarter, year: the year.")
@click.option("--quarter", type=click.IntRange(1, 4), help="quarter: 1 to 4.")
@click.option("--from", "first", type=click.DateTime(["%Y-%m-%d"]), help="range: first day.")
@click.option("--to", "last", type=click.DateTime(["%Y-%m-%d"]), help="range: last day.")
@click.option("--unit", help="Only this unit's orders (its rank stays county-wide).")
@click.option("--township", help="Only calls from this township.")
@click.option(
    "--format",
    "fmt",
    type=click.Choice(["xlsx", "pdf", "html", "json"]),
    default="xlsx",
    show_default=True,
    help="xlsx (with 派单明细), pdf or html (the bulletin), json.",
)
@click.option("--out", type=click.Path(dir_okay=False, path_type=Path), required=True)
@click.option(
    "--as-of",
    "as_of",
    help="统计截至 Only what the hub had recorded by then, e.g. 2026-04-01T08:00:00+08:00 "
    "(Beijing time when no offset is given; default now).",
)
def report(
    kind: str,
    config_path: Path,
    day: Any,
    year: int | None,
    quarter: int | None,
    first: Any,
    last: Any,
    unit: str | None,
    township: str | None,
    fmt: str,
    out: Path,
    as_of: str | None,
) -> None:
    from hub.assessment.command import ReportError, Request, parse_as_of, run
    from hub.assessment.rubric import RubricError

    req = Request(
        kind=kind,
        day=day.date() if day else None,
        year=year,
        quarter=quarter,
        first=first.date() if first else None,
        last=last.date() if last else None,
        unit=unit,
        township=township,
        format=fmt,
    )
    try:
        a = run(config_path, req, out, as_of=parse_as_of(as_of) if as_of else None)
    except (HubError, RegistryError, RubricError, ReportError) as e:
        raise click.ClickException(str(e)) from None
    c = a.county
    click.echo(
        f"{out}: {a.period.label_zh} 计入考核派单 {c.orders} 单，超时 {c.late} 单，"
        f"已反馈 {c.fed_back} 单，仍未办结 {c.open} 单，演练 {len(a.drills)} 单不计 "
        f"({c.orders} orders counted, {c.late} late, {c.fed_back} fed back, {c.open} open)"
    )


# ---- end assessment ----


# ---- 110 boundary ----
@main.group(help="The 110 gate (边界交换): check files as the bridge would read them.")
def boundary() -> None:
    """`liandong-hub boundary ...`"""


@boundary.command(
    "check",
    help="Parse FILE as the bridge would (the county's registry and mapping from hub.toml) "
    "and print the incident it would make, exit 0; or the reasons, exit 1. Stores nothing.",
)
@click.option(
    "--config",
    "config_path",
    type=click.Path(exists=True, dir_okay=False, path_type=Path),
    required=True,
    help="hub.toml: its [county] registry and [boundary] mapping are used.",
)
@click.argument("file", type=click.Path(exists=True, dir_okay=False, path_type=Path))
def boundary_check(config_path: Path, file: Path) -> None:
    from hub.config import load_config
    from hub.sources.boundary.check import check_file

    try:
        config = load_config(config_path)
        ok, text = check_file(config.registry, config.boundary, file)
    except (HubError, RegistryError, OSError) as e:
        raise click.ClickException(str(e)) from None
    click.echo(text)
    if not ok:
        raise SystemExit(1)


main.add_command(release_cli.release)
