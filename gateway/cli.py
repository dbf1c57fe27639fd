"""`liandong-gateway`: the duty-room terminal (run).

A thin command line over the library; commands arrive with their issues.
"""

from __future__ import annotations

import click


@click.group(help="Liandong: the duty-room terminal (run).")
@click.version_option(package_name="liandong")
def main() -> None:
    """Entry point of `liandong-gateway`."""
