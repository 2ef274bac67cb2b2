"""Progress lines: one per catalogue area, as soon as every test judging that area finished.

The areas are the catalogue's (APP, FN, SEC, ...), the same names as in every report.
"""

from __future__ import annotations

from collections import Counter

from ..failures import Outcome
from ..results import Collected, RunCollector, requirement_outcome
from .state import RunState


def plan(state: RunState, collected: list[Collected]) -> None:
    """Which selected tests each area waits for."""
    for item in collected:
        if not item.selected:
            continue
        for area in {state.catalogue[r].area for r in item.requirements if r in state.catalogue}:
            state.pending_per_area.setdefault(area, set()).add(item.nodeid)


def finished(state: RunState, nodeid: str, collector: RunCollector) -> list[str]:
    """The progress lines that the end of test ``nodeid`` completes."""
    lines = []
    for area, pending in state.pending_per_area.items():
        if nodeid not in pending:
            continue
        pending.discard(nodeid)
        if pending:
            continue
        own = [c for c in state.collected if c.selected]
        outcomes: Counter[str] = Counter()
        for req in state.catalogue.in_profile(state.cfg.profile):
            if req.area == area:
                mine = [c for c in own if req.id in c.requirements]
                outcome, _, _ = requirement_outcome(req.id, collector.results.values(), mine)
                outcomes[outcome.value] += 1
        text = ", ".join(f"{outcomes[o.value]} {o.value}" for o in Outcome if outcomes[o.value])
        lines.append(f"fn-conformance: {area:<5} requirements: {text}")
    return lines


__all__ = ["finished", "plan"]
