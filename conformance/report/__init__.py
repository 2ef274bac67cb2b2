"""Report writers: results.json and report.md (JUnit XML comes from pytest's own writer)."""

from __future__ import annotations

import json
import time
from datetime import UTC, datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any

import pytest
import requests

from ..failures import Outcome
from ..recorder import REDACTED
from . import markdown, results
from .collect import area_counts, collect, load_baseline

if TYPE_CHECKING:
    from ..plugin import RunState


def _target_version(state: RunState) -> str:
    cfg = state.cfg
    try:
        response = requests.get(cfg.api_url + "/version", headers=cfg.all_headers, timeout=5)
        version = response.json().get("version", "")
        return str(version)
    except (requests.RequestException, ValueError, AttributeError):
        return ""


def _cleanup(report_dir: Path) -> dict[str, Any]:
    total: dict[str, Any] = {"created": 0, "deleted": 0, "removed": 0, "leaked": [], "errors": []}
    total["requests"] = 0
    for path in sorted(report_dir.glob("cleanup-*.json")):
        part = json.loads(path.read_text())
        for key in ("created", "deleted", "removed", "requests"):
            total[key] += part[key]
        total["leaked"] += part["leaked"]
        total["errors"] += part["errors"]
    return total


def _iso(ts: float) -> str:
    return datetime.fromtimestamp(ts, UTC).isoformat(timespec="seconds")


def write_reports(state: RunState, session: pytest.Session) -> dict[str, Any]:
    """Write results.json and report.md; return the verdict the plugin turns into an exit code."""
    from .. import __version__

    cfg = state.cfg
    baseline = load_baseline(cfg.baseline)
    rows = collect(state.catalogue, cfg.profile, state.results, baseline)
    areas = area_counts(rows)
    cleanup = _cleanup(state.report_dir)
    problems = list(state.problems)
    if cleanup["leaked"]:
        problems.append(f"cleanup leaked {len(cleanup['leaked'])} resources")
    if cleanup["errors"]:
        problems.append(f"cleanup had {len(cleanup['errors'])} errors")
    blocking = [r.requirement.id for r in rows if r.blocks_verdict]
    passed = not blocking and not problems and bool(state.results)
    paths = {
        "junit": str(state.report_dir / "junit.xml"),
        "results": str(state.report_dir / "results.json"),
        "report": str(state.report_dir / "report.md"),
    }
    finished = time.time()
    config = cfg.redacted()
    config["token"] = REDACTED if cfg.token else ""
    document = {
        "schema_version": results.SCHEMA_VERSION,
        "suite": {"name": "fn-conformance", "version": __version__},
        "run_id": cfg.run_id,
        "started_at": _iso(state.started),
        "finished_at": _iso(finished),
        "duration_s": round(finished - state.started, 2),
        "target": {
            "api_url": cfg.api_url,
            "invoke_url": cfg.invoke_url or cfg.api_url,
            "embedded": state.server is not None,
            "version": _target_version(state),
        },
        "profile": cfg.profile,
        "effort": cfg.effort,
        "seed": cfg.seed,
        "config": config,
        "requests_sent": cleanup.pop("requests"),
        "verdict": {"passed": passed, "blocking": blocking, "problems": problems},
        "areas": areas,
        "summary": {o.value: sum(1 for r in rows if r.outcome == o) for o in Outcome},
        "requirements": [results.requirement_entry(r) for r in rows],
        "cleanup": cleanup,
        "tests": len({r["nodeid"] for r in state.results}),
    }
    results.write(Path(paths["results"]), document)
    markdown.write(Path(paths["report"]), document)
    return {
        "passed": passed,
        "areas": areas,
        "problems": problems + [f"MUST not met: {', '.join(blocking)}"] * bool(blocking),
        "profile": cfg.profile,
        "run_id": cfg.run_id,
        "reports": paths,
    }
