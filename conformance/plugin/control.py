"""``python -m conformance.plugin.control FOLDER ACTION...``: the runner (or restart) command
of a run whose servers the suite, or a test harness, started itself.

The process that owns the servers serves the request (watchdog.RestartService); this exits 0
once the action (``restart``, ``stop 0``, ``start 1``, ...) is done, 1 with the problem
otherwise.
"""

from __future__ import annotations

import sys
from pathlib import Path

from .watchdog import request_action


def main(argv: list[str] | None = None) -> int:
    args = sys.argv[1:] if argv is None else argv
    if len(args) < 2:
        print("usage: python -m conformance.plugin.control FOLDER ACTION...", file=sys.stderr)
        return 2
    problem = request_action(Path(args[0]), " ".join(args[1:]))
    if problem:
        print(f"conformance.plugin.control: {problem}", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
