"""Where the contract file ``swaggerv2.yml`` is found.

In a source checkout the contract is the repository's ``swaggerv2.yml`` (one file, edited in one
place). An installed distribution ships a copy as package data of ``conformance``.
"""

from __future__ import annotations

from importlib import resources
from pathlib import Path

from .errors import ContractMissing

SPEC_NAME = "swaggerv2.yml"


def spec_path() -> Path:
    """The path of ``swaggerv2.yml``: the checkout's copy first, then the packaged one."""
    root = Path(__file__).resolve().parents[1]
    checkout = root / SPEC_NAME
    # pyproject.toml tells a source checkout from site-packages (which never holds one).
    if checkout.is_file() and (root / "pyproject.toml").is_file():
        return checkout
    packaged = resources.files(__package__ or "conformance") / SPEC_NAME
    if isinstance(packaged, Path) and packaged.is_file():
        return packaged
    raise ContractMissing(
        f"{SPEC_NAME} is neither at {checkout} (source checkout) nor packaged in conformance/"
    )


__all__ = ["SPEC_NAME", "spec_path"]
