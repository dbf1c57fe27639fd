"""`liandong-hub`: the command centre's hub (serve, report).

A thin command line over the library; commands arrive with their issues.
"""

from __future__ import annotations

import click


@click.group(help="Liandong: the command centre's hub (serve, report).")
@click.version_option(package_name="liandong")
def main() -> None:
    """Entry point of `liandong-hub`."""
