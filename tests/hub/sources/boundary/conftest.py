"""Fixtures for the 110 boundary: the real files of ../shared/data, the county mapping."""

from __future__ import annotations

from dataclasses import replace
from pathlib import Path

import pytest

from hub.registry import Registry, load_registry
from hub.sources.boundary.mapping import Mapping, load_mapping

ROOT = Path(__file__).resolve().parents[4]
SHARED = ROOT.parent / "shared" / "data"
CAP_DIR = SHARED / "cap"
EIDO_DIR = SHARED / "eido"


def shared(path: Path) -> Path:
    """A file or folder of ../shared/data, or skip saying what is missing."""
    if not path.exists():
        pytest.skip(f"{path} is absent: the real CAP/EIDO files live in ../shared/data")
    return path


def cap_files(folder: Path) -> list[Path]:
    return sorted(folder.glob("*.xml")) if folder.exists() else []


@pytest.fixture(scope="session")
def registry() -> Registry:
    return load_registry(None)


@pytest.fixture(scope="session")
def mapping(registry: Registry) -> Mapping:
    """The shipped Shuangbai mapping, with the county seat as the default township: the
    real files come from abroad and name no township of Shuangbai."""
    return replace(load_mapping(None, registry), default_township="tuodian")
