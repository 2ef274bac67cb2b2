"""``results.json``: the machine-readable report (versioned schema)."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from ..results import STATUSES, RequirementResult, RunResult

SCHEMA_VERSION = 2
NAME = "results.json"


def requirement_entry(row: RequirementResult) -> dict[str, Any]:
    req = row.requirement
    return {
        "id": req.id,
        "level": req.level,
        "area": req.area,
        "title": req.title,
        "source": req.source,
        "capability": req.capability,
        "outcome": row.outcome.value,
        "known_deviation": row.known_deviation,
        "notes": list(row.notes),
        "findings": [f.to_dict() for f in row.findings],
        "tests": [
            {
                "nodeid": t.nodeid,
                "outcome": t.judged[req.id].value,
                "test_outcome": t.outcome.value,
                "message": t.message,
                "evidence": list(t.evidence),
            }
            for t in row.tests
        ],
    }


def document(run: RunResult) -> dict[str, Any]:
    verdict = run.verdict
    return {
        "schema_version": SCHEMA_VERSION,
        "suite": {"name": "fn-conformance", "version": run.suite_version},
        "run_id": run.run_id,
        "started_at": run.started_at,
        "finished_at": run.finished_at,
        "duration_s": run.duration_s,
        "target": run.target.__dict__,
        "profile": run.profile,
        "effort": run.effort,
        "seed": run.seed,
        "config": dict(run.config),
        "requests_sent": run.requests_sent,
        "verdict": {
            "status": verdict.status,
            "meaning": STATUSES[verdict.status][1],
            "exit_code": verdict.exit_code,
            "conformant": verdict.conformant,
            "reasons": list(verdict.reasons),
            "blocking": list(verdict.blocking),
        },
        "narrowed_by": list(run.narrowed_by),
        "left_out": list(run.left_out),
        "crashes": [c.__dict__ for c in run.crashes],
        "baseline_unused": list(run.baseline_unused),
        "target_log": run.target_log,
        "areas": run.areas(),
        "summary": run.summary(),
        "requirements": [requirement_entry(r) for r in run.requirements],
        "tests": len(run.tests),
        "measurements": run.measurements(),
        "suite_errors": [{"nodeid": t.nodeid, "message": t.message} for t in run.suite_errors],
        "cleanup": {
            "created": run.cleanup.created,
            "deleted": run.cleanup.deleted,
            "gone": run.cleanup.gone,
            "leaked": list(run.cleanup.leaked),
            "errors": list(run.cleanup.errors),
        },
    }


def write(run: RunResult, folder: Path) -> Path:
    path = folder / NAME
    text = json.dumps(document(run), indent=2, ensure_ascii=False)
    path.write_text(text + "\n", encoding="utf-8", errors="backslashreplace")
    return path
