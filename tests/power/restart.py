"""``python -m tests.power.restart FOLDER``: the restart command the power test gives the suite.

It asks the test process, which owns the variant's server, to restart it (the same request
files the plugin's watchdog uses for the embedded server) and exits 0 once that is done.
"""

from __future__ import annotations

import sys
from pathlib import Path

from conformance.plugin.watchdog import request_restarter


def main(argv: list[str] | None = None) -> int:
    args = sys.argv[1:] if argv is None else argv
    if len(args) != 1:
        print("usage: python -m tests.power.restart FOLDER", file=sys.stderr)
        return 2
    problem = request_restarter(Path(args[0]))()
    if problem:
        print(f"tests.power.restart: {problem}", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
