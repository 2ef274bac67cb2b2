"""The summary printed at the end of a run."""

from __future__ import annotations

from ..results import RunResult
from .text import printable

COLUMNS = ("passed", "failed", "error", "not-run", "disabled", "unsupported", "inconclusive")


def summary_lines(run: RunResult, paths: dict[str, str]) -> list[str]:
    header = f"{'area':<6}" + "".join(f"{c:>13}" for c in COLUMNS)
    lines = ["", "Fn conformance: requirements per area", header, "-" * len(header)]
    for area, counts in run.areas().items():
        lines.append(f"{area:<6}" + "".join(f"{counts.get(c, 0):>13}" for c in COLUMNS))
    verdict = run.verdict
    lines.append(
        f"verdict: {verdict.headline} (profile {run.profile}, run {run.run_id}, "
        f"exit {verdict.exit_code})"
    )
    lines += [f"  - {printable(reason)}" for reason in verdict.reasons]
    if run.baseline_unused:
        lines.append(f"  - baseline entries that did not fail: {', '.join(run.baseline_unused)}")
    lines += [f"  {name}: {path}" for name, path in paths.items()]
    return lines
