"""Join per-test results to the catalogue: one row per requirement, with its evidence."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml

from ..errors import InvalidConfig
from ..failures import Outcome
from ..requirements import Catalogue, Requirement

#: Outcomes that do not count against a MUST: explicitly out of scope for this target.
OUT_OF_SCOPE = (Outcome.DISABLED, Outcome.UNSUPPORTED, Outcome.INCONCLUSIVE)


@dataclass
class Row:
    requirement: Requirement
    outcome: Outcome = Outcome.NOT_RUN
    tests: list[dict[str, Any]] = field(default_factory=list)
    known_deviation: str | None = None

    @property
    def blocks_verdict(self) -> bool:
        if not self.requirement.is_must or self.known_deviation is not None:
            return False
        return self.outcome in (Outcome.FAILED, Outcome.ERROR)


def load_baseline(path: str) -> dict[str, str]:
    """``{requirement id: reason}`` from a YAML/JSON file ``deviations: [{id, reason}]``."""
    if not path:
        return {}
    try:
        data = yaml.safe_load(Path(path).read_text(encoding="utf-8"))
    except (OSError, yaml.YAMLError) as exc:
        raise InvalidConfig(f"cannot read baseline {path}: {exc}") from exc
    entries = data.get("deviations") if isinstance(data, dict) else None
    if not isinstance(entries, list):
        raise InvalidConfig(f"baseline {path} must hold 'deviations: [{{id, reason}}]'")
    out = {}
    for entry in entries:
        if not isinstance(entry, dict) or not entry.get("id") or not entry.get("reason"):
            raise InvalidConfig(f"baseline {path}: every deviation needs an id and a reason")
        out[str(entry["id"])] = str(entry["reason"])
    return out


def outcomes_per_requirement(result: dict[str, Any]) -> dict[str, Outcome]:
    """What one test result says about each requirement it touches."""
    outcome = Outcome(result["outcome"])
    declared: list[str] = result["requirements"]
    named = result.get("failed_requirement")
    if outcome == Outcome.FAILED and named:
        return {named: Outcome.FAILED}
    return dict.fromkeys(declared, outcome)


def collect(
    catalogue: Catalogue, profile: str, results: Iterable[dict[str, Any]], baseline: dict[str, str]
) -> list[Row]:
    rows = {r.id: Row(r) for r in catalogue.in_profile(profile)}
    for result in results:
        for req_id, outcome in outcomes_per_requirement(result).items():
            row = rows.get(req_id)
            if row is None:
                if req_id not in catalogue:
                    continue
                row = rows[req_id] = Row(catalogue[req_id])
            row.tests.append({**result, "outcome_for_requirement": outcome.value})
    for row in rows.values():
        said = [Outcome(t["outcome_for_requirement"]) for t in row.tests]
        decided = [o for o in said if o != Outcome.NOT_RUN]
        row.outcome = Outcome.worst(decided) if decided else Outcome.NOT_RUN
    for req_id, reason in baseline.items():
        if req_id in rows and rows[req_id].outcome in (Outcome.FAILED, Outcome.ERROR):
            rows[req_id].known_deviation = reason
    return sorted(rows.values(), key=lambda r: r.requirement.id)


def area_counts(rows: list[Row]) -> dict[str, dict[str, int]]:
    table: dict[str, dict[str, int]] = {}
    for row in rows:
        counts = table.setdefault(row.requirement.area, {o.value: 0 for o in Outcome})
        counts[row.outcome.value] += 1
    return table
