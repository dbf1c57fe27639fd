"""The `liandong-gateway` entry point: `run` as the systemd unit gives it starts without
click; anything else goes to the click command line in `gateway.cli`.

Only `run` with `--config PATH` and `--log-level LEVEL` (each at most once, `--opt VALUE`
or `--opt=VALUE`) takes the short way; any other word, `--help` included, is click's to
parse, so errors and help read the same as for every other command.
"""

from __future__ import annotations

import sys
from pathlib import Path

from gateway.config import RUN_OPTIONS


def run_arguments(argv: list[str]) -> dict[str, str] | None:
    """`run`'s options from argv (without the program name), or None when click must parse
    the command line."""
    if not argv or argv[0] != "run":
        return None
    found: dict[str, str] = {}
    words = iter(argv[1:])
    for word in words:
        name, eq, value = word.partition("=")
        if name not in RUN_OPTIONS or name in found:
            return None
        if not eq:
            value = next(words, "")
        if not value or value.startswith("-"):
            return None
        found[name] = value
    return {**RUN_OPTIONS, **found}


def main() -> None:
    """Entry point of `liandong-gateway`."""
    options = run_arguments(sys.argv[1:])
    if options is None:
        from gateway.cli import main as cli

        cli()
        return
    from gateway.errors import GatewayError
    from gateway.runner import run

    try:
        run(Path(options["--config"]), options["--log-level"])
    except GatewayError as e:
        print(f"Error: {e}", file=sys.stderr)  # as click prints a ClickException
        raise SystemExit(1) from None
