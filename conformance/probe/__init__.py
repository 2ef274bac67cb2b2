"""The probe function the invoke areas run (func.py), and how to run or build it."""

from __future__ import annotations

import sys
from pathlib import Path

from .. import __version__

#: The probe image's default name, as fn-conformance build-probe tags it.
PROBE_IMAGE = f"localhost/fn-probe:{__version__}"
#: The status function's image (a pure runner's FN_STATUS_IMAGE), built FROM the probe image.
STATUS_IMAGE = f"localhost/fn-status:{__version__}"
HERE = Path(__file__).resolve().parent
FUNC = HERE / "func.py"
STATUS_FUNC = HERE / "status.py"
CONTAINERFILE = HERE / "Containerfile"


def process_command(python: str | None = None) -> list[str]:
    """How a process driver runs the probe: this interpreter (which has the fdk) and func.py."""
    return [python or sys.executable, str(FUNC)]


def status_command(python: str | None = None) -> list[str]:
    """How a process driver runs the status function."""
    return [python or sys.executable, str(STATUS_FUNC)]


__all__ = [
    "CONTAINERFILE",
    "FUNC",
    "HERE",
    "PROBE_IMAGE",
    "STATUS_FUNC",
    "STATUS_IMAGE",
    "process_command",
    "status_command",
]
