"""Fixtures for the registry tests."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import pytest


@pytest.fixture
def write_registry(tmp_path: Path) -> Callable[[str], Path]:
    """Write registry text to `reg.toml` in a temporary folder and return its path."""

    def write(text: str) -> Path:
        path = tmp_path / "reg.toml"
        path.write_text(text, encoding="utf-8")
        return path

    return write
