"""The deployment rehearsal's two helpers, and the README's commands they type.

The rehearsal itself (`make deploy-rehearsal`) needs root, qemu and an hour, so it is not
in `make test`. What can drift without it is checked here: the README's deployment block
still reads as commands (readme_steps.py), every `liandong-provision`, `liandong-hub` and
`hub-install/install.sh` command in it names a subcommand and options that exist, and the
transcript the rehearsal writes is published without its secrets (transcript_md.py).
"""

from __future__ import annotations

import importlib.util
import shlex
import subprocess
import sys
from pathlib import Path
from types import ModuleType

import click
import pytest

from hub.cli import main as hub_main
from provisioning.cli import main as provision_main

ROOT = Path(__file__).resolve().parents[2]
TOOLS = ROOT / "tools" / "deploy-rehearsal"


def _load(name: str) -> ModuleType:
    spec = importlib.util.spec_from_file_location(name, TOOLS / f"{name}.py")
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


readme_steps = _load("readme_steps")
transcript_md = _load("transcript_md")


def _commands() -> list[str]:
    steps = readme_steps.steps((ROOT / "README.md").read_text(encoding="utf-8"))
    return [str(step["command"]) for step in steps]


def _argv(command: str, program: str) -> list[str]:
    """The arguments after `program` in one README command (sudo and paths before it)."""
    words = shlex.split(command.replace("\\\n", " "), comments=True)
    at = next(
        i
        for i, w in enumerate(words)
        if w.endswith("/" + program) or (w == program and words[i - 1] != "-u")
    )
    return words[at + 1 :]


def test_the_readme_block_is_the_deployment_in_order() -> None:
    commands = _commands()
    assert commands[0].startswith("apt-get update && apt-get install -y sudo")
    order = [
        "apt-get install -y git python3-venv mosquitto nginx",
        "git clone",
        "pip install '.[hub]'",
        "liandong-provision init",
        "liandong-provision broker-config",
        "liandong-provision console-cert",
        "liandong-provision intake-key",
        "hub-install/install.sh",
        "liandong-hub create-admin",
    ]
    found = [next(i for i, c in enumerate(commands) if part in c) for part in order]
    assert found == sorted(found), list(zip(order, found, strict=True))


@pytest.mark.parametrize(
    ("program", "group"),
    [("liandong-provision", provision_main), ("liandong-hub", hub_main)],
)
def test_every_readme_command_parses_against_the_cli(
    program: str, group: click.Group, tmp_path: Path
) -> None:
    """A renamed subcommand or option breaks the README's deployment: caught here.

    The PKI folder is moved under tmp_path, with the files click checks exist."""
    (tmp_path / "hub").mkdir()
    (tmp_path / "hub" / "hub.toml").touch()
    commands = [c.replace("/srv/liandong/pki", str(tmp_path)) for c in _commands()]
    uses = [_argv(c, program) for c in commands if program in c]
    assert uses, f"the README's block has no {program} command"
    for argv in uses:
        name, *rest = argv
        command = group.get_command(click.Context(group), name)
        assert command is not None, f"{program} has no command {name!r}"
        # parse only: a bad option or a missing argument raises a UsageError here
        command.make_context(name, list(rest), parent=click.Context(group, info_name=program))


def test_the_installers_options_in_the_readme_exist() -> None:
    usage = subprocess.run(
        ["bash", str(ROOT / "hub-install" / "install.sh"), "--help"],
        capture_output=True,
        text=True,
        check=False,
    ).stdout
    uses = [_argv(c, "hub-install/install.sh") for c in _commands() if "install.sh" in c]
    assert uses
    for argv in uses:
        for word in argv:
            if word.startswith("--"):
                assert f"  {word} " in usage, f"install.sh --help does not list {word}"


def test_the_transcript_is_published_without_its_secrets() -> None:
    key = "9" * 64
    raw = "\n".join(
        [
            "hub# sudo /opt/liandong/bin/liandong-provision intake-key cad-110 --dir /srv/pki",
            f"  {key}",
            "",
            "hub# sudo -u liandong-hub liandong-hub create-admin chief",
            "  管理员 chief 已创建。一次性密码（首次登录须修改）/ one-time password:",
            "  3mDvxixpIRanhwGZ",
            "",
            "hub# git clone http://10.0.2.2:8765/liandong.git && cd liandong",
            "  Cloning into 'liandong'...",
            "  Updating files:  75% (503/667)\rUpdating files: 100% (667/667), done.",
        ]
    )
    out = transcript_md.render(raw)
    assert key not in out and "3mDvxixpIRanhwGZ" not in out
    assert "<the intake key: 64 hex digits, not reproduced>" in out
    assert "<the one-time password, not reproduced>" in out
    assert "  Updating files: 100% (667/667), done." in out.splitlines()
    assert "75%" not in out
    assert "hub# git clone" in out


def test_a_long_output_keeps_its_head_and_tail() -> None:
    lines = [f"  line {i}" for i in range(100)]
    out = transcript_md.render("\n".join(["hub# apt-get install -y nginx", *lines, "hub# true"]))
    kept = out.splitlines()
    head, tail = transcript_md.HEAD, transcript_md.TAIL
    assert kept[1 : 1 + head] == lines[:head]
    assert kept[1 + head] == f"  ... ({100 - head - tail} lines left out)"
    assert kept[2 + head : 2 + head + tail] == lines[-tail:]
    assert kept[-1] == "hub# true"


def test_the_command_reads_redraws_as_one_line(tmp_path: Path) -> None:
    """Read as text, Python's universal newlines would make each redraw a line of its own."""
    raw = tmp_path / "transcript.txt"
    raw.write_bytes(b"hub# apt-get install -y sudo\n  (Reading 5%\r(Reading 100%\n")
    done = subprocess.run(
        [sys.executable, str(TOOLS / "transcript_md.py"), str(raw)],
        capture_output=True,
        text=True,
        check=True,
    )
    assert done.stdout.splitlines() == ["hub# apt-get install -y sudo", "  (Reading 100%"]
