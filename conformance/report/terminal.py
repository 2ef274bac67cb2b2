"""The summary table printed at the end of a run."""

from __future__ import annotations

from typing import Any

COLUMNS = ("passed", "failed", "unsupported", "disabled", "error", "inconclusive", "not-run")


def summary_lines(verdict: dict[str, Any]) -> list[str]:
    header = f"{'area':<6}" + "".join(f"{c:>13}" for c in COLUMNS)
    lines = ["", "Fn conformance: requirements per area", header, "-" * len(header)]
    for area, counts in verdict["areas"].items():
        lines.append(f"{area:<6}" + "".join(f"{counts.get(c, 0):>13}" for c in COLUMNS))
    for line in verdict.get("problems", []):
        lines.append(f"  ! {line}")
    state = "PASSED" if verdict["passed"] else "FAILED"
    lines.append(f"verdict: {state} (profile {verdict['profile']}, run {verdict['run_id']})")
    for name, path in verdict["reports"].items():
        lines.append(f"  {name}: {path}")
    return lines
