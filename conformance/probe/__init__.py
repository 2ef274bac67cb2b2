"""The probe function the invoke areas run (func.py), and how to run or build it."""

from __future__ import annotations

import sys
from pathlib import Path

from .. import __version__

#: The probe image's default name, as fn-conformance build-probe tags it.
PROBE_IMAGE = f"localhost/fn-probe:{__version__}"
HERE = Path(__file__).resolve().parent
FUNC = HERE / "func.py"
CONTAINERFILE = HERE / "Containerfile"


def process_command(python: str | None = None) -> list[str]:
    """How a process driver runs the probe: this interpreter (which has the fdk) and func.py."""
    return [python or sys.executable, str(FUNC)]


__all__ = ["CONTAINERFILE", "FUNC", "HERE", "PROBE_IMAGE", "process_command"]
