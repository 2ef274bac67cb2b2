"""``results.json``: the machine-readable report (versioned schema)."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from .collect import Row

SCHEMA_VERSION = 1


def requirement_entry(row: Row) -> dict[str, Any]:
    req = row.requirement
    return {
        "id": req.id,
        "level": req.level,
        "area": req.area,
        "title": req.title,
        "source": req.source,
        "outcome": row.outcome.value,
        "known_deviation": row.known_deviation,
        "tests": [
            {
                "nodeid": t["nodeid"],
                "outcome": t["outcome_for_requirement"],
                "message": t.get("message", ""),
                "evidence": t.get("exchanges", []),
            }
            for t in row.tests
        ],
    }


def write(path: Path, document: dict[str, Any]) -> None:
    path.write_text(json.dumps(document, indent=2, ensure_ascii=False) + "\n", encoding="utf-8")
