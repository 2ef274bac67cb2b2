"""``report.html``: the report for people, as one self-contained page.

Everything ``report.md`` shows, plus a chart of the outcomes per area, a requirement table with
filters, copy buttons on the curl lines and charts of the measurements. The page is one file
with its CSS, JavaScript and SVG inline, so it works opened from a CI artifact with no network.

Python prepares plain data (strings, numbers, the charts' geometry); the Jinja2 template
``templates/report.html.j2`` renders it with autoescaping on, so nothing a target sent (bodies,
messages, URLs) is ever markup. Control characters are shown as escapes first (:func:`printable`).
"""

from __future__ import annotations

import json
import statistics
from collections.abc import Iterable, Mapping
from functools import lru_cache
from pathlib import Path
from typing import Any

import jinja2

from ..failures import Outcome
from ..requirements import load
from ..results import STATUSES, RequirementResult, RunResult, TestResult
from . import badge, json_report, junit, markdown
from .terminal import COLUMNS
from .text import one_line, printable

NAME = "report.html"
TEMPLATES = Path(__file__).parent / "templates"
#: The outcomes in the order the reports list them (the terminal summary's columns).
OUTCOMES = COLUMNS
#: Requirements shown with their details: the target broke them, or the suite did.
DETAILED = (Outcome.FAILED, Outcome.ERROR)
FINDINGS_SHOWN = 10
SUITE_ERRORS_SHOWN = 50
#: Measurement keys that are not its context.
NOT_CONTEXT = ("name", "value", "unit", "test", "samples")

# Geometry of the per-area chart (SVG user units).
AREA_LABEL_W, AREA_BAR_W, AREA_ROW_H, AREA_BAR_H = 300, 760, 26, 18
# Geometry of a measurement chart.
MEASURE_LABEL_W, MEASURE_PLOT_W, MEASURE_VALUE_W = 220, 300, 110
MEASURE_BAR_H, MEASURE_STRIP_H, MEASURE_AXIS_H = 16, 14, 22


@lru_cache(maxsize=1)
def environment() -> jinja2.Environment:
    return jinja2.Environment(
        loader=jinja2.FileSystemLoader(TEMPLATES),
        autoescape=True,
        undefined=jinja2.StrictUndefined,
        trim_blocks=True,
        lstrip_blocks=True,
        keep_trailing_newline=True,
    )


def _number(value: float) -> str:
    return f"{value:.4g}"


def _head(run: RunResult) -> dict[str, Any]:
    verdict, target = run.verdict, run.target
    kind = " (embedded reference server)" if target.embedded else ""
    facts = [
        ("Target", printable(target.api_url) + kind),
        *([("Invoke URL", printable(target.invoke_url))] if target.invoke_url else []),
        *([("Image", printable(target.image))] if target.image else []),
        ("Target version", printable(target.version) or "unknown"),
        ("Profile", run.profile),
        ("Effort", run.effort),
        ("Seed", str(run.seed)),
        ("Suite", f"fn-conformance {run.suite_version}"),
        ("Started", run.started_at),
        ("Finished", run.finished_at),
        ("Duration", f"{run.duration_s} s"),
        ("Requests", str(run.requests_sent)),
        ("Tests", str(len(run.tests))),
    ]
    if run.narrowed_by:
        facts.append(("Narrowed by", printable(", ".join(run.narrowed_by))))
    if run.left_out:
        facts.append(("Left out by the user", printable(", ".join(run.left_out))))
    files = [
        (json_report.NAME, "machine-readable results"),
        (markdown.NAME, "the same report in Markdown"),
        (junit.NAME, "JUnit, one case per requirement"),
        ("junit.xml", "JUnit, one case per test (pytest's)"),
        (badge.NAME, "badge"),
    ]
    return {
        "run_id": run.run_id,
        "verdict": {
            "status": verdict.status,
            "headline": verdict.headline,
            "meaning": STATUSES[verdict.status][1],
            "exit_code": verdict.exit_code,
            "tone": badge.TONES[verdict.status],
            "reasons": [printable(r) for r in verdict.reasons],
        },
        "facts": facts,
        "files": [{"href": name, "note": note} for name, note in files],
        "target_log": run.target_log,
    }


def area_chart(run: RunResult) -> dict[str, Any]:
    """One stacked bar per area, on one scale: a segment per outcome with its count."""
    names = load().areas
    table = _in_catalogue_order(run.areas(), names)
    widest = max((sum(counts.values()) for counts in table.values()), default=0) or 1
    scale = AREA_BAR_W / widest
    rows = []
    for index, (area, counts) in enumerate(table.items()):
        total = sum(counts.values())
        y = index * AREA_ROW_H + 4
        x = float(AREA_LABEL_W)
        segments = []
        for outcome in OUTCOMES:
            count = counts.get(outcome, 0)
            if not count:
                continue
            width = count * scale
            segments.append(
                {
                    "outcome": outcome,
                    "count": count,
                    "x": round(x, 2),
                    "width": round(width, 2),
                    "middle": round(x + width / 2, 2),
                    "labelled": width >= 16,
                }
            )
            x += width
        name = names.get(area, "")
        rows.append(
            {
                "area": area,
                "name": name,
                "label": one_line(f"{area} · {name}" if name else area, 44),
                "total": total,
                "y": y,
                "text_y": y + AREA_BAR_H / 2 + 4,
                "end": round(x + 6, 2),
                "segments": segments,
            }
        )
    width = AREA_LABEL_W + AREA_BAR_W + 40
    return {"width": width, "height": len(rows) * AREA_ROW_H + 8, "bar_h": AREA_BAR_H, "rows": rows}


def _in_catalogue_order(
    table: dict[str, dict[str, int]], names: Mapping[str, str]
) -> dict[str, dict[str, int]]:
    order = {code: index for index, code in enumerate(names)}
    return dict(sorted(table.items(), key=lambda item: (order.get(item[0], len(order)), item[0])))


def _exchange(data: Mapping[str, Any]) -> dict[str, Any]:
    headers = data.get("response_headers") or {}
    ctype = headers.get("content-type", headers.get("Content-Type", ""))
    return {
        "method": printable(str(data.get("method", ""))),
        "url": printable(str(data.get("url", ""))),
        "status": "" if data.get("status") is None else str(data["status"]),
        "content_type": printable(str(ctype)),
        "elapsed_ms": data.get("elapsed_ms", 0),
        "error": printable(str(data.get("error") or "")),
        "request_body": printable(str(data.get("request_body") or "")),
        "response_body": printable(str(data.get("response_body") or "")),
        "curl": printable(str(data.get("curl", ""))),
    }


def _exchanges(evidence: Iterable[Mapping[str, Any]]) -> list[dict[str, Any]]:
    return [_exchange(e) for e in evidence]


def _test(test: TestResult, req_id: str) -> dict[str, Any]:
    return {
        "nodeid": printable(test.nodeid),
        "outcome": test.judged.get(req_id, test.outcome).value,
        "message": printable(test.message),
        "exchanges": _exchanges(test.evidence[-3:]),
    }


def _detail(row: RequirementResult) -> dict[str, Any]:
    req = row.requirement
    findings = []
    for finding in row.findings[:FINDINGS_SHOWN]:
        where = next((t.nodeid for t in row.tests if finding in t.findings), "")
        findings.append(
            {
                "title": printable(finding.title),
                "where": printable(where),
                "message": printable(finding.message),
                "exchanges": _exchanges(finding.evidence),
            }
        )
    return {
        "id": req.id,
        "level": req.level,
        "title": printable(req.title),
        "source": req.source,
        "outcome": row.outcome.value,
        "known_deviation": printable(row.known_deviation or ""),
        "notes": [printable(n) for n in row.notes],
        "findings": findings,
        "more_findings": max(0, len(row.findings) - FINDINGS_SHOWN),
        "tests": [] if row.findings else [_test(t, req.id) for t in row.tests[:3]],
    }


def _rows(run: RunResult) -> list[dict[str, Any]]:
    names = load().areas
    return [
        {
            "id": row.id,
            "level": row.requirement.level,
            "area": row.requirement.area,
            "area_name": names.get(row.requirement.area, ""),
            "title": printable(row.requirement.title),
            "outcome": row.outcome.value,
            "known_deviation": printable(row.known_deviation or ""),
            "note": one_line(row.notes[0], 300) if row.notes else "",
            "detailed": row.outcome in DETAILED,
        }
        for row in run.requirements
    ]


def _samples(measurement: Mapping[str, Any]) -> list[float]:
    """The measurement's ``samples`` when they are a list of numbers (else none)."""
    samples = measurement.get("samples")
    if not isinstance(samples, list) or not samples:
        return []
    if not all(isinstance(s, int | float) and not isinstance(s, bool) for s in samples):
        return []
    return [float(s) for s in samples]


def _context(measurement: Mapping[str, Any]) -> str:
    """What tells this measurement apart from the others of its name (``mode=blocking``)."""
    keys = [k for k in measurement if k not in NOT_CONTEXT]
    if "samples" in measurement and not _samples(measurement):
        keys.append("samples")  # a count, not a list: context like any other
    return ", ".join(f"{k}={printable(str(measurement[k]))}" for k in keys)


def _measure_chart(name: str, group: list[dict[str, Any]]) -> dict[str, Any]:
    """Horizontal bars from zero on one axis per name; samples as dots with the median."""
    numbers = [0.0]
    for m in group:
        numbers += [float(m["value"]), *_samples(m)]
    low, high = min(numbers), max(numbers)
    if high == low:
        high = low + 1
    x0, x1 = MEASURE_LABEL_W, MEASURE_LABEL_W + MEASURE_PLOT_W

    def at(value: float) -> float:
        return round(x0 + (value - low) / (high - low) * MEASURE_PLOT_W, 2)

    zero = at(0.0)
    marks, y = [], 6
    for m in group:
        value, samples = float(m["value"]), _samples(m)
        label = _context(m) or printable(m["test"].rsplit("::", 1)[-1])
        mark: dict[str, Any] = {
            "label": one_line(label, 32),
            "full_label": label,
            "test": printable(m["test"]),
            "value": f"{_number(value)} {printable(str(m['unit']))}",
            "y": y,
            "text_y": y + MEASURE_BAR_H / 2 + 4,
            "bar_x": min(zero, at(value)),
            "bar_w": max(round(abs(at(value) - zero), 2), 1),
            "dots": [],
            "median_x": None,
        }
        y += MEASURE_BAR_H + 4
        if samples:
            median = statistics.median(samples)
            mark["dots"] = [{"cx": at(s), "value": _number(s)} for s in samples]
            mark["median_x"] = at(median)
            mark["median"] = _number(median)
            mark["strip_y"] = y + MEASURE_STRIP_H / 2
            mark["strip_top"] = y
            mark["strip_bottom"] = y + MEASURE_STRIP_H
            y += MEASURE_STRIP_H + 4
        marks.append(mark)
    unit = printable(str(group[0]["unit"]))
    return {
        "name": printable(name),
        "unit": unit,
        "width": x1 + MEASURE_VALUE_W,
        "height": y + MEASURE_AXIS_H,
        "marks": marks,
        "bar_h": MEASURE_BAR_H,
        "axis": {
            "y": y + 2,
            "x0": x0,
            "x1": x1,
            "zero": zero,
            "ticks": [
                {"x": at(v), "text": f"{_number(v)} {unit}"}
                for v in dict.fromkeys((low, 0.0, high))
            ],
        },
    }


def measurements(run: RunResult) -> dict[str, Any]:
    measured = run.measurements()
    groups: dict[str, list[dict[str, Any]]] = {}
    for m in measured:
        groups.setdefault(str(m["name"]), []).append(m)
    rows = []
    for m in measured:
        samples = _samples(m)
        rows.append(
            {
                "name": printable(str(m["name"])),
                "value": f"{m['value']:g}",
                "unit": printable(str(m["unit"])),
                "context": _context(m),
                "samples": (
                    f"{len(samples)} (median {_number(statistics.median(samples))})"
                    if samples
                    else ""
                ),
                "test": printable(m["test"]),
            }
        )
    return {"charts": [_measure_chart(n, g) for n, g in groups.items()], "rows": rows}


def _flat(config: Mapping[str, Any], prefix: str = "") -> list[tuple[str, str]]:
    out: list[tuple[str, str]] = []
    for key, value in config.items():
        name = f"{prefix}{key}"
        if isinstance(value, Mapping) and value:
            out += _flat(value, f"{name}.")
        elif isinstance(value, str):
            out.append((printable(name), printable(value)))
        else:
            shown = json.dumps(value, default=str, ensure_ascii=False)
            out.append((printable(name), printable(shown)))
    return out


def context(run: RunResult) -> dict[str, Any]:
    """Everything the template shows, as plain data."""
    summary = run.summary()
    cleanup = run.cleanup
    errors = run.suite_errors
    return {
        **_head(run),
        "outcomes": [{"value": o, "count": summary.get(o, 0)} for o in OUTCOMES],
        "area_chart": area_chart(run),
        "areas": [
            {"code": code, "name": load().areas.get(code, "")}
            for code in _in_catalogue_order(run.areas(), load().areas)
        ],
        "levels": sorted({r.requirement.level for r in run.requirements}),
        "rows": _rows(run),
        "details": [_detail(r) for r in run.requirements if r.outcome in DETAILED],
        "crashes": [
            {
                "after_test": printable(c.after_test),
                "reason": printable(c.reason),
                "restarted": c.restarted,
                "exchanges": [(label, _exchange(e)) for label, e in c.exchanges],
            }
            for c in run.crashes
        ],
        "suite_errors": [
            {"nodeid": printable(t.nodeid), "message": printable(t.message)}
            for t in errors[:SUITE_ERRORS_SHOWN]
        ],
        "more_suite_errors": max(0, len(errors) - SUITE_ERRORS_SHOWN),
        "cleanup": {
            "created": cleanup.created,
            "deleted": cleanup.deleted,
            "gone": cleanup.gone,
            "leaked": [
                {
                    "kind": printable(leak.get("kind", "")),
                    "id": printable(leak.get("id", "")),
                    "name": printable(leak.get("name", "")),
                }
                for leak in cleanup.leaked
            ],
            "errors": [printable(e) for e in cleanup.errors],
        },
        "baseline_unused": list(run.baseline_unused),
        "measurements": measurements(run),
        "config": _flat(run.config),
    }


def render(run: RunResult) -> str:
    return environment().get_template("report.html.j2").render(context(run))


def write(run: RunResult, folder: Path) -> Path:
    path = folder / NAME
    path.write_text(render(run), encoding="utf-8", errors="backslashreplace")
    return path


__all__ = ["NAME", "area_chart", "context", "measurements", "render", "write"]
