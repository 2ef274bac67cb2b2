"""What a test needs from the machine: without it the test is skipped with a message saying
how to get it, except in CI (CI=true), where ``.ci/run`` provides it and its absence fails."""

from __future__ import annotations

import os
from typing import NoReturn

import pytest


def missing(what: str) -> NoReturn:
    if os.environ.get("CI", "").lower() in ("1", "true", "yes"):
        pytest.fail(f"{what} (CI=true: .ci/run should have provided it)", pytrace=False)
    pytest.skip(what)


__all__ = ["missing"]
