"""`python -m hub.registry`: the desk check of a registry file."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

from click.testing import CliRunner

from hub.registry.__main__ import main
from tests.hub.registry.small import SMALL, line_of, replace_once


def test_shipped_registry_checks_ok() -> None:
    result = CliRunner().invoke(main, [])
    assert result.exit_code == 0
    assert "双柏县 (shuangbai): 8 townships" in result.output
    assert "29 with a terminal, 25 by phone" in result.output
    assert result.output.rstrip().endswith("OK")


def test_bad_file_prints_every_problem_and_fails(write_registry: Callable[[str], Path]) -> None:
    text = replace_once(SMALL, "tier = 2", "tier = 7")
    text = replace_once(text, 'lead_unit = "power-co"', 'lead_unit = "gas-co"')
    path = write_registry(text)
    result = CliRunner().invoke(main, [str(path)])
    assert result.exit_code == 1
    assert f"reg.toml line {line_of(text, 'tier = 7')}: " in result.output
    assert f"reg.toml line {line_of(text, 'gas-co')}: " in result.output


def test_selfcall_lists_make_a_gateway_toml_section_the_terminal_reads(tmp_path: Path) -> None:
    """The kiosk's 自接警情 form offers what the hub's registry holds, codes and all."""
    import tomllib

    from gateway.config import parse_config

    result = CliRunner().invoke(main, ["--selfcall-lists"])
    assert result.exit_code == 0
    section = tomllib.loads(result.output)["selfcall"]
    assert section["categories"]["water-main-burst"] == "供水管道爆裂"
    assert section["townships"]["tuodian"] == "妥甸镇"
    gateway_toml = {
        "unit": {"id": "water-co", "county": "shuangbai"},
        "mqtt": {"host": "h", "ca": "c", "cert": "c", "key": "k", "hub_key": "p"},
        "printer": {"port": "loop://"},
        "selfcall": section,
    }
    lists = parse_config(gateway_toml, tmp_path).selfcall  # the terminal accepts it as is
    assert lists.categories == section["categories"] and lists.townships == section["townships"]
