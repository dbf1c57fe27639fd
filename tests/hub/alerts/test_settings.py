"""hub.toml's [notify]: the channel, the ladder, the figures; bad ones named with the file."""

from __future__ import annotations

from pathlib import Path

import pytest

from hub.alerts.settings import DEFAULT_LADDER
from hub.config import load_config
from hub.errors import ConfigError

HEAD = '[county]\nid = "shuangbai"\n'


def write(tmp_path: Path, notify: str) -> Path:
    toml = tmp_path / "hub.toml"
    toml.write_text(HEAD + notify, encoding="utf-8")
    return toml


def test_no_notify_section_means_no_sms(tmp_path: Path) -> None:
    assert load_config(write(tmp_path, "")).notify is None


def test_a_modem_with_its_ladder_and_figures(tmp_path: Path) -> None:
    cfg = load_config(
        write(
            tmp_path,
            '[notify]\nchannel = "modem"\nmax_attempts = 5\nper_phone = 3\n'
            '[notify.modem]\nport = "/dev/ttyUSB2"\npin = "1234"\n'
            '[notify.ladder]\nack = ["duty", "leader"]\nrollcall_missed = ["supervisor"]\n'
            "receive = []\n",
        )
    )
    n = cfg.notify
    assert n is not None and n.modem is not None and n.webhook is None
    assert (n.modem.port, n.modem.pin, n.max_attempts, n.per_phone) == (
        "/dev/ttyUSB2",
        "1234",
        5,
        3,
    )
    assert n.ladder["ack"] == ("duty", "leader")
    assert n.ladder["rollcall_missed"] == ("supervisor",)
    assert n.ladder["receive"] == ()
    assert n.ladder["arrive"] == DEFAULT_LADDER["arrive"]  # the default kept
    assert cfg.settings().notify == n


def test_a_webhook_reads_its_secret_from_a_file(tmp_path: Path) -> None:
    (tmp_path / "sms.secret").write_text("0123456789abcdef0123\n")
    cfg = load_config(
        write(
            tmp_path,
            '[notify]\nchannel = "webhook"\n'
            '[notify.webhook]\nurl = "https://sms.example.gov.cn/send"\n'
            'secret_file = "sms.secret"\n',
        )
    )
    assert cfg.notify is not None and cfg.notify.webhook is not None
    assert cfg.notify.webhook.secret == b"0123456789abcdef0123"
    assert "0123456789" not in repr(cfg.notify)  # never in a log line


@pytest.mark.parametrize(
    ("notify", "said"),
    [
        ('[notify]\nchannel = "pigeon"', "channel must be one of"),
        ('[notify]\nchannel = "modem"\nmax_attempts = 0', "max_attempts must be at least 1"),
        ('[notify]\nchannel = "modem"\nper_phone = "x"', "[notify]: invalid literal"),
        ('[notify]\nchannel = "modem"\n[notify.ladder]\nack = ["boss"]', "ack must be a list"),
        ('[notify]\nchannel = "webhook"', "needs url and secret_file"),
        (
            '[notify]\nchannel = "webhook"\n[notify.webhook]\nurl = "ftp://x"\nsecret_file = "s"',
            "url must be http(s)",
        ),
        (
            '[notify]\nchannel = "webhook"\n[notify.webhook]\nurl = "https://x"\n'
            'secret_file = "missing.secret"',
            "missing.secret",
        ),
    ],
)
def test_bad_notify_is_named_with_the_file(tmp_path: Path, notify: str, said: str) -> None:
    toml = write(tmp_path, notify + "\n")
    with pytest.raises(ConfigError) as e:
        load_config(toml)
    assert str(toml) in str(e.value) and said in str(e.value)


def test_a_short_secret_is_refused(tmp_path: Path) -> None:
    (tmp_path / "s").write_text("short")
    toml = write(
        tmp_path,
        '[notify]\nchannel = "webhook"\n[notify.webhook]\nurl = "https://x"\nsecret_file = "s"\n',
    )
    with pytest.raises(ConfigError, match="shorter than 16 bytes"):
        load_config(toml)
