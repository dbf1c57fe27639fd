"""`liandong-provision`: county PKI, unit enrollment and broker configuration.

A thin command line over the library; commands arrive with their issues.
"""

from __future__ import annotations

import click


@click.group(help="Liandong: county PKI, unit enrollment and broker configuration.")
@click.version_option(package_name="liandong")
def main() -> None:
    """Entry point of `liandong-provision`."""
