"""``report.md``: the verdict and why, then the failures with their evidence, then every
requirement of the profile with its outcome, then what is not the target's fault."""

from __future__ import annotations

from pathlib import Path

from ..failures import Outcome
from ..results import STATUSES, Finding, RequirementResult, RunResult
from .text import fenced, one_line, printable

NAME = "report.md"
#: ``html.NAME`` (the HTML writer imports this module, so the name is repeated here).
HTML_NAME = "report.html"
_MARK = {
    "passed": "✅",
    "failed": "❌",
    "error": "⚠️",
    "not-run": "⏸",
    "disabled": "-",
    "unsupported": "-",
    "inconclusive": "❔",
}


def _head(run: RunResult) -> list[str]:
    verdict = run.verdict
    target = run.target
    kind = " (embedded reference server)" if target.embedded else ""
    kind = f" (a container of {printable(target.image)})" if target.image else kind
    out = [
        f"# Fn conformance report — run {run.run_id}",
        "",
        f"**Verdict: {verdict.headline}** — {STATUSES[verdict.status][1]} "
        f"(exit code {verdict.exit_code}).",
        "",
    ]
    out += [f"- {printable(reason)}" for reason in verdict.reasons]
    out += [
        "",
        f"Target: {target.api_url}{kind}, version {target.version or 'unknown'}. "
        f"Profile `{run.profile}`, effort `{run.effort}`, seed {run.seed}. "
        f"fn-conformance {run.suite_version}. {run.started_at} → {run.finished_at} "
        f"({run.duration_s} s), {run.requests_sent} requests, {len(run.tests)} tests.",
    ]
    out.append(f"The same report as a web page, with charts and filters: `{HTML_NAME}`.")
    if run.target_log:
        out.append(f"Target log (the container's output): `{printable(run.target_log)}`.")
    if run.left_out:
        out.append(f"Left out by the user: {', '.join(run.left_out)}.")
    return out


def _evidence(finding: Finding) -> list[str]:
    out: list[str] = []
    for exchange in finding.evidence[-2:]:
        answer = (
            f"-> no answer: {exchange['error']}"
            if exchange.get("error")
            else f"-> {exchange['status']}\n{exchange['response_body'][:800]}"
        )
        out += ["", *fenced(f"{exchange['method']} {exchange['url']}\n{answer}")]
        out += ["", "Reproduce:", "", *fenced(exchange["curl"], "sh")]
    return out


def _failure(row: RequirementResult) -> list[str]:
    req = row.requirement
    known = f" — known deviation: {printable(row.known_deviation)}" if row.known_deviation else ""
    out = ["", f"### {req.id} ({req.level}): {printable(req.title)}{known}", ""]
    for finding in row.findings[:3]:
        where = next((t.nodeid for t in row.tests if finding in t.findings), "")
        out += ["", f"**{printable(finding.title)}**" + (f" — `{where}`" if where else "")]
        out += ["", *fenced(finding.message), *_evidence(finding)]
    if len(row.findings) > 3:
        out += ["", f"(and {len(row.findings) - 3} more findings in results.json)"]
    if not row.findings:
        for test in row.tests[:3]:
            out += ["", f"`{test.nodeid}`: {test.outcome.value}", "", *fenced(test.message)]
    return out


def _table(run: RunResult) -> list[str]:
    out = [
        "",
        "## Every requirement of the profile",
        "",
        "| | ID | level | outcome | requirement |",
        "|---|---|---|---|---|",
    ]
    for row in run.requirements:
        req = row.requirement
        outcome = row.outcome.value + (" (known deviation)" if row.known_deviation else "")
        note = f" — {one_line(row.notes[0])}" if row.notes else ""
        out.append(
            f"| {_MARK.get(row.outcome.value, '')} | {req.id} | {req.level} | {outcome} | "
            f"{printable(req.title).replace('|', '/')}{note} |"
        )
    return out


NOT_CONTEXT = ("name", "value", "unit", "test")


def render(run: RunResult) -> str:
    out = _head(run)
    failing = [r for r in run.requirements if r.outcome == Outcome.FAILED]
    out += ["", f"## Failures ({len(failing)})"]
    if not failing:
        out += ["", "None."]
    for row in failing:
        out += _failure(row)
    out += _table(run)
    if run.crashes:
        out += ["", "## The target stopped answering", ""]
        for crash in run.crashes:
            again = "restarted, the run went on" if crash.restarted else "the run stopped"
            out.append(f"- after `{crash.after_test}`: {printable(crash.reason)} ({again})")
            for label, exchange in crash.exchanges:
                out += [
                    "",
                    f"  {label}:",
                    "",
                    *(f"  {line}" for line in fenced(exchange["curl"], "sh")),
                ]
    measured = run.measurements()
    if measured:
        out += ["", "## Measurements", "", "| Measurement | Value | Test |", "|---|---|---|"]
        for m in measured:
            extra = ", ".join(f"{k}={v}" for k, v in m.items() if k not in NOT_CONTEXT)
            shown = f"{m['value']:g} {m['unit']}" + (f" ({extra})" if extra else "")
            out.append(f"| {m['name']} | {printable(shown)} | `{m['test']}` |")
    errors = run.suite_errors
    out += ["", f"## Suite errors ({len(errors)}) — not the target's fault", ""]
    out += ["None."] if not errors else []
    for test in errors[:50]:
        out += [f"- `{test.nodeid}`: {one_line(test.message, 300)}"]
    cleanup = run.cleanup
    out += [
        "",
        "## Cleanup",
        "",
        f"{cleanup.created} entities created; {cleanup.gone} confirmed gone at the end "
        f"({cleanup.deleted} by cleanup's own DELETE, the rest by tests or cascades); "
        f"{len(cleanup.leaked)} could not be confirmed deleted.",
    ]
    for leak in cleanup.leaked:
        out.append(
            f"- left: {leak['kind']} `{leak['id'] or '(id unknown)'}` {printable(leak['name'])}"
        )
    out += [f"- {printable(error)}" for error in cleanup.errors]
    if run.baseline_unused:
        out += [
            "",
            f"Baseline entries that did not fail this time: {', '.join(run.baseline_unused)}.",
        ]
    return "\n".join(out) + "\n"


def write(run: RunResult, folder: Path) -> Path:
    path = folder / NAME
    path.write_text(render(run), encoding="utf-8", errors="backslashreplace")
    return path
