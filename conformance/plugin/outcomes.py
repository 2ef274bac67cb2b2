"""From a pytest report to a :class:`~conformance.results.TestResult`: what a test judged.

Only a :class:`~conformance.failures.ConformanceFailure` is a failure of the target; any other
exception (a plain ``assert`` in the suite included) is an error of the suite. The generic
checks' findings were recorded as the test went on, so one test can fail several requirements.
"""

from __future__ import annotations

import dataclasses

import pytest

from ..errors import TargetDown
from ..failures import SKIP_PREFIXES, ConformanceFailure, Outcome
from ..recorder import Recorder
from ..results import Finding, TestResult
from .watchdog import TargetCrash


def leaves(exc: BaseException) -> list[BaseException]:
    """The exceptions inside (nested) exception groups, or the exception itself."""
    if isinstance(exc, BaseExceptionGroup):
        return [leaf for inner in exc.exceptions for leaf in leaves(inner)]
    return [exc]


def finding(failure: ConformanceFailure) -> Finding:
    evidence = [e.to_dict() for e in failure.context]
    if failure.exchange is not None:
        evidence.append(failure.exchange.to_dict())
    return Finding(failure.requirement_id, failure.title, failure.message, tuple(evidence))


def skip_outcome(report: pytest.TestReport) -> tuple[Outcome, str]:
    reason = report.longrepr[2] if isinstance(report.longrepr, tuple) else str(report.longrepr)
    reason = reason.removeprefix("Skipped: ")
    for prefix, outcome in SKIP_PREFIXES.items():
        if reason.startswith(prefix):
            return outcome, reason.removeprefix(prefix).strip()
    return Outcome.NOT_RUN, reason


def message_of(report: pytest.TestReport) -> str:
    if report.passed:
        return ""
    if report.skipped and isinstance(report.longrepr, tuple):
        return str(report.longrepr[2])
    crash = getattr(report.longrepr, "reprcrash", None)
    text = str(crash.message) if crash is not None else str(report.longrepr)
    return text[:4000]


def classify(
    report: pytest.TestReport,
    excinfo: pytest.ExceptionInfo[BaseException] | None,
    *,
    requirements: tuple[str, ...],
    recorder: Recorder,
    extra: list[ConformanceFailure],
) -> TestResult | None:
    """The result of one phase, or None when the phase says nothing (a passed setup)."""
    if report.when != "call" and report.outcome == "passed" and not extra:
        return None
    soft = [*recorder.findings, *extra] if report.when == "call" else list(extra)
    hard: list[ConformanceFailure] = []
    judged: dict[str, Outcome] = {}
    dynamic = dict.fromkeys(sorted(recorder.judged), Outcome.PASSED)
    message = message_of(report)
    if report.outcome == "skipped":
        outcome, message = skip_outcome(report)
        judged = dict.fromkeys(requirements, outcome)
    elif report.outcome == "passed":
        outcome = Outcome.PASSED
        judged = {**dict.fromkeys(requirements, Outcome.PASSED), **dynamic}
    else:
        found = leaves(excinfo.value) if excinfo is not None else []
        if any(isinstance(f, TargetCrash) for f in soft):
            # The target died during the test: what went wrong after that follows from it.
            outcome, judged = Outcome.FAILED, dynamic
            hard = [e for e in found if isinstance(e, TargetCrash)]
        elif found and all(isinstance(e, TargetDown) for e in found):
            outcome, message = Outcome.NOT_RUN, str(found[0])
            judged = dict.fromkeys(requirements, Outcome.NOT_RUN)
        elif found and all(isinstance(e, ConformanceFailure) for e in found):
            outcome = Outcome.FAILED
            hard = [e for e in found if isinstance(e, ConformanceFailure)]
            # The test stopped at its finding: it says nothing of what it had not judged yet.
            judged = dynamic
            if any(f.requirement_id is None for f in hard):
                judged = {**dict.fromkeys(requirements, Outcome.FAILED), **dynamic}
        else:
            outcome = Outcome.ERROR
            judged = {**dict.fromkeys(requirements, Outcome.ERROR), **dynamic}
    findings = [finding(f) for f in dict.fromkeys((*hard, *soft))]
    if soft and outcome == Outcome.PASSED:
        outcome = Outcome.FAILED
    crash = next((f for f in (*hard, *soft) if isinstance(f, TargetCrash)), None)
    if crash is not None:
        # The target died on this test's request: what that request judged did not hold,
        # and each of those requirements shows the crash as its finding.
        blamed = recorder.subject if recorder.subject is not None else requirements
        judged.update(dict.fromkeys(blamed, Outcome.FAILED))
        base = finding(crash)
        findings += [
            dataclasses.replace(base, requirement=req) for req in blamed if req != base.requirement
        ]
    for item in findings:
        if item.requirement is not None:
            judged[item.requirement] = Outcome.FAILED
    evidence = (
        tuple(e.to_dict() for e in recorder.exchanges[-5:])
        if outcome not in (Outcome.PASSED, Outcome.DISABLED) and report.when == "call"
        else ()
    )
    if soft and not message:
        message = "\n\n".join(str(f) for f in soft)[:4000]
    return TestResult(
        nodeid=report.nodeid,
        when=report.when,
        outcome=outcome,
        requirements=requirements,
        judged=judged,
        findings=tuple(findings),
        message=message,
        evidence=evidence,
        duration_s=round(report.duration, 3),
        measurements=tuple(recorder.measurements) if report.when == "call" else (),
    )


def mark_failed(report: pytest.TestReport, findings: list[ConformanceFailure]) -> None:
    """Make a passed report failed, for findings recorded while the test went on."""
    text = "\n\n".join(str(f) for f in findings)
    report.outcome = "failed"
    report.longrepr = text
