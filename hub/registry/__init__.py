"""The county registry: townships, units, categories and deadline figures, from one TOML file.

`load_registry()` returns the shipped Shuangbai County registry; `load_registry(path)` any
county's. The file is validated at start; a `RegistryError` names the line and the problem.
"""

from hub.registry.loader import default_registry_path, load_registry
from hub.registry.model import (
    Category,
    Centre,
    DeadlinePolicy,
    Priority,
    Registry,
    RegistryError,
    Tier,
    Township,
    Unit,
    UnitClass,
)

__all__ = [
    "Category",
    "Centre",
    "DeadlinePolicy",
    "Priority",
    "Registry",
    "RegistryError",
    "Tier",
    "Township",
    "Unit",
    "UnitClass",
    "default_registry_path",
    "load_registry",
]
