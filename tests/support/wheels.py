"""The stand-in wheel the release tests install (the demo's rollout uses the same one)."""

from __future__ import annotations

from demo.standin_wheel import make_wheel

__all__ = ["make_wheel"]
