"""``junit-requirements.xml``: one test case per requirement, named by its ID and title, so CI
dashboards show FN-xxx (pytest's own ``junit.xml`` next to it has one case per test)."""

from __future__ import annotations

import re
import xml.etree.ElementTree as ET
from pathlib import Path

from ..failures import Outcome
from ..results import RequirementResult, RunResult
from .text import printable

NAME = "junit-requirements.xml"
_XML_INVALID = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\ufffe\uffff]")


def _clean(text: str) -> str:
    return _XML_INVALID.sub(lambda m: f"\\x{ord(m.group()):02x}", printable(text))


def _details(row: RequirementResult) -> str:
    parts = [f"{f.title}\n{f.message}" for f in row.findings]
    parts += [f"{t.nodeid}: {t.message}" for t in row.tests if t.message and not row.findings]
    parts += list(row.notes)
    return _clean("\n\n".join(parts))[:20000]


def _case(suite: ET.Element, row: RequirementResult) -> str:
    req = row.requirement
    case = ET.SubElement(
        suite,
        "testcase",
        classname=f"fn-conformance.{req.area}",
        name=_clean(f"{req.id} ({req.level}) {req.title}"),
        time=f"{sum(t.duration_s for t in row.tests):.3f}",
    )
    first = _clean(row.findings[0].title) if row.findings else ""
    if row.outcome == Outcome.FAILED and row.known_deviation:
        ET.SubElement(case, "skipped", message=_clean(f"known deviation: {row.known_deviation}"))
        return "skipped"
    if row.outcome == Outcome.FAILED:
        failure = ET.SubElement(case, "failure", message=first or "failed", type=req.level)
        failure.text = _details(row)
        return "failures"
    if row.outcome == Outcome.ERROR:
        error = ET.SubElement(case, "error", message="an error of the suite, not the target")
        error.text = _details(row)
        return "errors"
    if row.outcome != Outcome.PASSED:
        note = row.notes[0] if row.notes else ""
        ET.SubElement(case, "skipped", message=_clean(f"{row.outcome.value}: {note}".strip()))
        return "skipped"
    return "passed"


def write(run: RunResult, folder: Path) -> Path:
    root = ET.Element("testsuites")
    suite = ET.SubElement(root, "testsuite", name=f"fn-conformance requirements ({run.profile})")
    properties = ET.SubElement(suite, "properties")
    for name, value in (
        ("verdict", run.verdict.status),
        ("run_id", run.run_id),
        ("target", run.target.api_url),
        ("seed", str(run.seed)),
    ):
        ET.SubElement(properties, "property", name=name, value=_clean(value))
    counts = {"failures": 0, "errors": 0, "skipped": 0, "passed": 0}
    for row in run.requirements:
        counts[_case(suite, row)] += 1
    suite.set("tests", str(len(run.requirements)))
    for key in ("failures", "errors", "skipped"):
        suite.set(key, str(counts[key]))
    suite.set("time", f"{run.duration_s:.2f}")
    path = folder / NAME
    ET.ElementTree(root).write(path, encoding="utf-8", xml_declaration=True)
    return path
