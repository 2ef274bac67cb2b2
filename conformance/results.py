"""The typed results of a run: what each test found, what each requirement ends as, the verdict.

The plugin turns every test phase into a :class:`TestResult` (in whichever process ran it) and
feeds it to a :class:`RunCollector` on the controller, as events. At the end
:meth:`RunCollector.finish` joins them to the catalogue and decides the :class:`Verdict`; the
report writers receive the finished :class:`RunResult` and nothing else.

How a requirement ends (:func:`requirement_outcome`):

* a requirement's *own* tests are those whose marker names it; only they can pass it. A finding
  of any test (a generic check, a factory, the watchdog) can fail it;
* an own test that was collected but did not run (deselected, left out, run stopped) counts as
  *not-run*, so a partly judged requirement is never reported as passed;
* the outcome is the worst of what its tests said (failed > error > not-run > inconclusive >
  unsupported > disabled > passed).
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import asdict, dataclass, field, replace
from typing import Any

from .failures import Outcome
from .requirements import Catalogue, Requirement

#: Outcomes that put a requirement out of scope on this target (declared, never inferred).
OUT_OF_SCOPE = frozenset({Outcome.DISABLED, Outcome.UNSUPPORTED})


@dataclass(frozen=True)
class Finding:
    """One way the target broke a requirement, with its evidence."""

    requirement: str | None
    title: str
    message: str
    evidence: tuple[dict[str, Any], ...] = ()

    def to_dict(self) -> dict[str, Any]:
        return {**asdict(self), "evidence": list(self.evidence)}

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> Finding:
        return cls(data["requirement"], data["title"], data["message"], tuple(data["evidence"]))


@dataclass(frozen=True)
class TestResult:
    """What one phase (setup, call or teardown) of one test says."""

    __test__ = False  # not a test class, whatever pytest thinks of its name

    nodeid: str
    when: str
    outcome: Outcome
    #: The requirement IDs the test's marker names (its own requirements).
    requirements: tuple[str, ...]
    #: What this phase says about each requirement it judged.
    judged: Mapping[str, Outcome]
    findings: tuple[Finding, ...] = ()
    message: str = ""
    #: The last exchanges of a test that did not pass.
    evidence: tuple[dict[str, Any], ...] = ()
    duration_s: float = 0.0
    #: Numbers the test measured (name, value, unit and context).
    measurements: tuple[dict[str, Any], ...] = ()

    def to_dict(self) -> dict[str, Any]:
        return {
            "nodeid": self.nodeid,
            "when": self.when,
            "outcome": self.outcome.value,
            "requirements": list(self.requirements),
            "judged": {k: v.value for k, v in self.judged.items()},
            "findings": [f.to_dict() for f in self.findings],
            "message": self.message,
            "evidence": list(self.evidence),
            "duration_s": self.duration_s,
            "measurements": list(self.measurements),
        }

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> TestResult:
        return cls(
            nodeid=data["nodeid"],
            when=data["when"],
            outcome=Outcome(data["outcome"]),
            requirements=tuple(data["requirements"]),
            judged={k: Outcome(v) for k, v in data["judged"].items()},
            findings=tuple(Finding.from_dict(f) for f in data["findings"]),
            message=data["message"],
            evidence=tuple(data["evidence"]),
            duration_s=data["duration_s"],
            measurements=tuple(data.get("measurements", ())),
        )

    def merged(self, later: TestResult) -> TestResult:
        """This phase and a later phase of the same test, as one result."""
        judged = dict(self.judged)
        for req, outcome in later.judged.items():
            judged[req] = Outcome.worst([judged.get(req, outcome), outcome])
        worse = later if later.outcome.rank > self.outcome.rank else self
        return replace(
            self,
            when=worse.when,
            outcome=worse.outcome,
            judged=judged,
            findings=self.findings + later.findings,
            message=worse.message or self.message,
            evidence=self.evidence or later.evidence,
            duration_s=round(self.duration_s + later.duration_s, 3),
            measurements=self.measurements + later.measurements,
        )


@dataclass(frozen=True)
class Collected:
    """One collected test: what it declares, and whether this run selected it."""

    nodeid: str
    requirements: tuple[str, ...]
    selected: bool
    disruptive: bool = False
    #: Why it was not selected ("-k ...", "--no-disruptive", ...).
    left_out: str = ""


@dataclass(frozen=True)
class RequirementResult:
    requirement: Requirement
    outcome: Outcome
    tests: tuple[TestResult, ...] = ()
    findings: tuple[Finding, ...] = ()
    #: Why the requirement is not fully judged, when it is not.
    notes: tuple[str, ...] = ()
    known_deviation: str | None = None

    @property
    def id(self) -> str:
        return self.requirement.id


@dataclass(frozen=True)
class Cleanup:
    created: int = 0
    deleted: int = 0
    gone: int = 0
    leaked: tuple[dict[str, str], ...] = ()
    errors: tuple[str, ...] = ()


@dataclass(frozen=True)
class TargetInfo:
    api_url: str
    invoke_url: str
    embedded: bool
    version: str = ""
    #: The container image the suite started the target from (``--target-image``), if any.
    image: str = ""


@dataclass(frozen=True)
class Crash:
    """The target stopped answering during the run."""

    after_test: str
    reason: str
    restarted: bool
    #: The last request the target answered (a wedge's culprit) and the first it did not (a
    #: crash's), as the recorder keeps them (redacted, with a curl line); None when none.
    last_answered: Mapping[str, Any] | None = None
    unanswered: Mapping[str, Any] | None = None

    @property
    def exchanges(self) -> tuple[tuple[str, Mapping[str, Any]], ...]:
        """The requests around the crash, each with what it was."""
        pairs = (("last answered", self.last_answered), ("not answered", self.unanswered))
        return tuple((label, e) for label, e in pairs if e is not None)


#: Verdict statuses, their exit codes and what they mean.
STATUSES: dict[str, tuple[int, str]] = {
    "conformant": (0, "every MUST in scope ran and passed, and nothing leaked"),
    "known-deviations": (0, "no new deviations: every failed MUST is in the baseline"),
    "narrowed": (
        0,
        "a narrowed run: every MUST it judged passed; not a conformance verdict",
    ),
    "not-conformant": (1, "a MUST failed, or the run left resources behind"),
    "target-crashed": (1, "the target stopped answering and the run stopped there"),
    "incomplete": (1, "some MUSTs in scope were not judged"),
    "suite-error": (3, "the suite itself (or its environment) broke during the run"),
    "interrupted": (130, "the run was interrupted"),
}


@dataclass(frozen=True)
class Verdict:
    status: str
    reasons: tuple[str, ...]
    #: MUSTs that failed and are not known deviations.
    blocking: tuple[str, ...] = ()

    @property
    def exit_code(self) -> int:
        return STATUSES[self.status][0]

    @property
    def conformant(self) -> bool:
        return self.status == "conformant"

    @property
    def headline(self) -> str:
        return self.status.upper().replace("-", " ")


@dataclass(frozen=True)
class RunResult:
    run_id: str
    suite_version: str
    started_at: str
    finished_at: str
    duration_s: float
    target: TargetInfo
    profile: str
    effort: str
    seed: int
    config: Mapping[str, Any]
    requests_sent: int
    verdict: Verdict
    requirements: tuple[RequirementResult, ...]
    tests: tuple[TestResult, ...]
    cleanup: Cleanup
    #: What the user narrowed the run by (empty: the whole profile was selected).
    narrowed_by: tuple[str, ...] = ()
    left_out: tuple[str, ...] = ()
    crashes: tuple[Crash, ...] = ()
    baseline_unused: tuple[str, ...] = ()
    #: The target's own log, written next to the reports when something failed and the suite
    #: started the target from an image (a file name in the run's folder; "" when none).
    target_log: str = ""

    def measurements(self) -> list[dict[str, Any]]:
        """Every number the tests measured, with the test that measured it."""
        return [{**m, "test": t.nodeid} for t in self.tests for m in t.measurements]

    def areas(self) -> dict[str, dict[str, int]]:
        """Per catalogue area: how many requirements ended with each outcome."""
        table: dict[str, dict[str, int]] = {}
        for row in self.requirements:
            counts = table.setdefault(row.requirement.area, {o.value: 0 for o in Outcome})
            counts[row.outcome.value] += 1
        return dict(sorted(table.items()))

    def summary(self) -> dict[str, int]:
        return {o.value: sum(1 for r in self.requirements if r.outcome == o) for o in Outcome}

    @property
    def suite_errors(self) -> tuple[TestResult, ...]:
        return tuple(t for t in self.tests if t.outcome == Outcome.ERROR)


def requirement_outcome(
    req_id: str, tests: Iterable[TestResult], own: Iterable[Collected]
) -> tuple[Outcome, list[TestResult], list[str]]:
    """The outcome of ``req_id`` from the tests that judged it and its own collected tests.

    An own test that did not run counts as not-run; one that ran but stopped at a finding of
    another requirement before judging this one says nothing about it.
    """
    tests = list(tests)
    judged = [t for t in tests if req_id in t.judged]
    said = [t.judged[req_id] for t in judged]
    by_node = {t.nodeid: t for t in tests}
    notes = []
    unrun = [c for c in own if c.nodeid not in by_node]
    if unrun:
        said += [Outcome.NOT_RUN] * len(unrun)
        reasons = sorted({c.left_out or "did not run" for c in unrun})
        notes.append(f"{len(unrun)} of its tests did not run ({'; '.join(reasons)})")
    stopped = [c for c in own if c.nodeid in by_node and req_id not in by_node[c.nodeid].judged]
    if stopped:
        notes.append(f"{len(stopped)} of its tests stopped at another finding before judging it")
    halted = [t for t in judged if t.judged[req_id] == Outcome.NOT_RUN]
    if halted:
        notes.append(f"{len(halted)} of its tests did not run: {halted[0].message[:200]}")
    return Outcome.worst(said), judged, notes


@dataclass
class RunCollector:
    """Receives test results as they come; turns them into requirement results at the end."""

    catalogue: Catalogue
    profile: str
    results: dict[str, TestResult] = field(default_factory=dict)
    #: Requirements whose capability is off: their tests that did not run were disabled.
    disabled: frozenset[str] = frozenset()

    def add(self, result: TestResult) -> None:
        previous = self.results.get(result.nodeid)
        self.results[result.nodeid] = previous.merged(result) if previous else result

    def requirement_results(
        self, collected: Iterable[Collected], baseline: Mapping[str, str]
    ) -> list[RequirementResult]:
        own: dict[str, list[Collected]] = {}
        for item in collected:
            for req_id in item.requirements:
                own.setdefault(req_id, []).append(item)
        in_profile = [r.id for r in self.catalogue.in_profile(self.profile)]
        rows = []
        for req_id in sorted(in_profile):
            outcome, judged, notes = requirement_outcome(
                req_id, self.results.values(), own.get(req_id, [])
            )
            if req_id in self.disabled and outcome == Outcome.NOT_RUN:
                outcome = Outcome.DISABLED
            if not own.get(req_id) and not judged:
                notes.append("no test of it was collected")
            findings = tuple(
                f for t in judged for f in t.findings if f.requirement in (req_id, None)
            )
            deviation = baseline.get(req_id) if outcome == Outcome.FAILED else None
            rows.append(
                RequirementResult(
                    self.catalogue[req_id],
                    outcome,
                    tuple(judged),
                    findings,
                    tuple(notes),
                    deviation,
                )
            )
        return rows


def decide(
    rows: Iterable[RequirementResult],
    tests: Iterable[TestResult],
    *,
    cleanup: Cleanup,
    narrowed_by: tuple[str, ...],
    crashes: tuple[Crash, ...],
    interrupted: bool,
) -> Verdict:
    """The verdict: it claims only what was checked."""
    rows = list(rows)
    musts = [r for r in rows if r.requirement.is_must]
    blocking = tuple(r.id for r in musts if r.outcome == Outcome.FAILED and not r.known_deviation)
    known = [r.id for r in musts if r.outcome == Outcome.FAILED and r.known_deviation]
    unjudged = [
        r.id for r in musts if r.outcome not in (Outcome.PASSED, Outcome.FAILED, *OUT_OF_SCOPE)
    ]
    out = [r.id for r in musts if r.outcome in OUT_OF_SCOPE]
    errors = [t.nodeid for t in tests if t.outcome == Outcome.ERROR]
    stopped = [c for c in crashes if not c.restarted]
    reasons: list[str] = []
    if blocking:
        reasons.append(f"MUST not met: {', '.join(blocking)}")
    if cleanup.leaked:
        reasons.append(f"cleanup could not confirm {len(cleanup.leaked)} resources deleted")
    tests_crashed = list(dict.fromkeys(c.after_test for c in crashes))
    if len(tests_crashed) > 3:
        again = "restarted each time" if not stopped else "the run stopped at the last"
        reasons.append(
            f"the target stopped answering {len(crashes)} times, after {len(tests_crashed)} "
            f"tests ({again}; first after {tests_crashed[0]})"
        )
    for test in tests_crashed if len(tests_crashed) <= 3 else ():
        times = [c for c in crashes if c.after_test == test]
        again = "restarted, the run went on" if times[-1].restarted else "the run stopped there"
        count = f", {len(times)} times" if len(times) > 1 else ""
        reasons.append(f"the target stopped answering after {test} ({again}{count})")
    if errors:
        reasons.append(f"{len(errors)} tests ended in a suite error (not the target's fault)")
    if narrowed_by:
        judged = [r.id for r in rows if r.outcome in (Outcome.PASSED, Outcome.FAILED)]
        reasons.append(
            f"judged {len(judged)} of {len(rows)} requirements ({', '.join(judged) or 'none'}); "
            f"{len(unjudged)} MUSTs not judged"
        )
    elif unjudged:
        reasons.append(f"{len(unjudged)} MUSTs not judged: {', '.join(unjudged)}")
    if known:
        reasons.append(f"known deviations (baseline): {', '.join(known)}")
    shoulds = [
        r.id for r in rows
        if not r.requirement.is_must and r.outcome == Outcome.FAILED and not r.known_deviation
    ]  # fmt: skip
    if shoulds:
        reasons.append(f"not a MUST, reported only: failed {', '.join(shoulds)}")
    known_shoulds = [
        r.id for r in rows
        if not r.requirement.is_must and r.outcome == Outcome.FAILED and r.known_deviation
    ]  # fmt: skip
    if known_shoulds:
        reasons.append(f"known deviations of SHOULDs (baseline): {', '.join(known_shoulds)}")
    if narrowed_by:
        reasons.append(f"narrowed by {', '.join(narrowed_by)}: not a conformance verdict")
    if interrupted:
        status = "interrupted"
    elif stopped:
        status = "target-crashed"
    elif blocking or cleanup.leaked:
        status = "not-conformant"
    elif errors:
        status = "suite-error"
    elif narrowed_by:
        status = "narrowed"
    elif unjudged:
        status = "incomplete"
    elif known:
        status = "known-deviations"
    else:
        status = "conformant"
        reasons.append(f"all {len(musts) - len(out)} MUSTs in scope passed")
    if out:
        reasons.append(f"out of scope (capability off): {', '.join(out)}")
    if interrupted:
        reasons.insert(0, "the run was interrupted before every test ran")
    return Verdict(status, tuple(reasons), blocking)


__all__ = [
    "OUT_OF_SCOPE",
    "STATUSES",
    "Cleanup",
    "Collected",
    "Crash",
    "Finding",
    "RequirementResult",
    "RunCollector",
    "RunResult",
    "TargetInfo",
    "TestResult",
    "Verdict",
    "decide",
    "requirement_outcome",
]
