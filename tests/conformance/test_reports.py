"""Report writers and evidence, without a target: curl lines a shell accepts byte for byte,
reports free of raw control characters, a JUnit case per requirement, and verdicts that claim
only what was checked."""

from __future__ import annotations

import json
import shutil
import subprocess
import xml.etree.ElementTree as ET
from pathlib import Path

import pytest

from conformance.failures import Outcome
from conformance.recorder import Exchange, shell_word
from conformance.report import write_reports
from conformance.requirements import load
from conformance.results import (
    Cleanup,
    Collected,
    Finding,
    RunCollector,
    RunResult,
    TargetInfo,
    TestResult,
    decide,
)

BODIES = {
    "json": b'{"name": "fnc-a"}',
    "quotes": b"{'it''s': \"odd\"}",
    "non-ascii": '{"name": "日本é"}'.encode(),
    "control": b'{"name": "a\x01\x1b[31m\x7f"}',
    "not-utf8": b"\xff\xfe{\x80",
    "nul": b'{"name": "a\x00b"}\x00',
    "newlines": b'{\n  "name": "x"\n}\n',
}


@pytest.mark.skipif(shutil.which("bash") is None, reason="needs bash")
@pytest.mark.parametrize("body", list(BODIES.values()), ids=list(BODIES))
def test_curl_lines_send_the_exact_bytes_when_a_shell_runs_them(
    body: bytes, tmp_path: Path
) -> None:
    exchange = Exchange.from_request(
        "PUT", "http://127.0.0.1:9/v2/apps/a%00b?x=%FF",
        {"Content-Type": "application/json", "X-Odd": "caf\u00e9 \x07"}, body,
    )  # fmt: skip
    line = exchange.curl()
    assert "\n" not in line and "\x00" not in line
    # A stand-in curl that writes what it got: its arguments, and the body it would send.
    script = (
        f'curl() {{ printf "%s\\0" "$@" > {tmp_path}/args; '
        f'for a in "$@"; do [ "$a" = "@-" ] && cat > {tmp_path}/stdin; done; return 0; }}\n'
        f"{line}\n"
    )
    subprocess.run(["bash", "-c", script], check=True, timeout=30)
    args = (tmp_path / "args").read_bytes().split(b"\0")[:-1]
    sent = (
        (tmp_path / "stdin").read_bytes()
        if b"@-" in args
        else args[args.index(b"--data-binary") + 1]
    )
    assert sent == body
    assert args[-1] == b"http://127.0.0.1:9/v2/apps/a%00b?x=%FF"
    assert "X-Odd: caf\u00e9 \x07".encode() in args


def test_shell_words_quote_plain_text_simply() -> None:
    assert shell_word("GET") == "GET"
    assert shell_word("a b'c") == "'a b'\"'\"'c'"
    assert shell_word("tab\there") == "'tab\there'"
    assert shell_word("é").startswith("$'")


def _result(
    nodeid: str, req: str, outcome: Outcome, findings: tuple[Finding, ...] = ()
) -> TestResult:
    return TestResult(nodeid, "call", outcome, (req,), {req: outcome}, findings, "msg", (), 0.1)


def _run(results: list[TestResult], collected: list[Collected], **kw: object) -> RunResult:
    catalogue = load()
    collector = RunCollector(catalogue, "api")
    for result in results:
        collector.add(result)
    rows = collector.requirement_results(collected, {})
    cleanup = Cleanup()
    verdict = decide(rows, results, cleanup=cleanup, narrowed_by=(), crashes=(), interrupted=False)
    return RunResult(
        run_id="unit0001", suite_version="0", started_at="s", finished_at="f", duration_s=1.0,
        target=TargetInfo("http://t", "http://t", embedded=False, version="1"), profile="api",
        effort="dev", seed=1, config={}, requests_sent=3, verdict=verdict,
        requirements=tuple(rows), tests=tuple(results), cleanup=cleanup,
    )  # fmt: skip


EVIL = "\x00\x1b[2J\u202e"
RAW = ("\x00", "\x1b", "\u202e")


def test_reports_hold_no_raw_control_characters_and_a_junit_case_per_requirement(
    tmp_path: Path,
) -> None:
    evidence = Exchange.from_request("POST", "http://t/v2/apps", {}, EVIL.encode()).to_dict()
    finding = Finding("FN-APP-001", f"bad {EVIL}", f"Received: {EVIL}", (evidence,))
    results = [
        _result("t::a", "FN-APP-001", Outcome.FAILED, (finding,)),
        _result("t::b", "FN-APP-002", Outcome.PASSED),
        _result("t::c", "FN-APP-003", Outcome.ERROR),
    ]
    run = _run(results, [Collected(r.nodeid, r.requirements, True) for r in results])
    paths = write_reports(run, tmp_path)
    for name in ("report", "junit-requirements"):
        text = Path(paths[name]).read_text(encoding="utf-8")
        assert not any(ch in text for ch in RAW), name
    report = Path(paths["report"]).read_text()
    assert report.startswith("# Fn conformance report")
    assert "**Verdict: NOT CONFORMANT**" in report.splitlines()[2]
    assert "| ❌ | FN-APP-001 | MUST | failed |" in report
    assert "## Suite errors (1) — not the target's fault" in report
    suite = ET.parse(paths["junit-requirements"]).getroot().find("testsuite")
    assert suite is not None
    cases = {case.get("name", "").split(" ")[0]: case for case in suite.iter("testcase")}
    assert len(cases) == len(load().in_profile("api"))
    assert cases["FN-APP-001"].find("failure") is not None
    assert cases["FN-APP-003"].find("error") is not None
    assert cases["FN-APP-002"].find("skipped") is None and len(cases["FN-APP-002"]) == 0
    assert cases["FN-APP-004"].find("skipped") is not None  # never judged
    document = json.loads(Path(paths["results"]).read_text())
    assert document["schema_version"] == 2 and document["verdict"]["exit_code"] == 1


def test_a_requirement_is_not_passed_while_one_of_its_own_tests_did_not_run() -> None:
    passed = _result("t::ran", "FN-APP-006", Outcome.PASSED)
    collected = [
        Collected("t::ran", ("FN-APP-006",), True),
        Collected("t::left", ("FN-APP-006",), False, left_out="-k x"),
    ]
    run = _run([passed], collected)
    row = next(r for r in run.requirements if r.id == "FN-APP-006")
    assert row.outcome == Outcome.NOT_RUN
    assert "did not run (-k x)" in row.notes[0]


def test_a_generic_finding_fails_a_requirement_but_never_passes_one() -> None:
    generic = Finding("FN-ERR-003", "two documents", "Received: x")
    judged = {"FN-FN-010": Outcome.PASSED, "FN-ERR-003": Outcome.FAILED}
    other = TestResult("t::x", "call", Outcome.FAILED, ("FN-FN-010",), judged, (generic,))
    run = _run([other], [Collected("t::x", ("FN-FN-010",), True)])
    rows = {r.id: r for r in run.requirements}
    assert rows["FN-ERR-003"].outcome == Outcome.FAILED
    assert rows["FN-FN-010"].outcome == Outcome.PASSED
    assert rows["FN-ERR-001"].outcome == Outcome.NOT_RUN
    assert run.verdict.status == "not-conformant"


def test_every_must_passed_is_conformant_and_nothing_less() -> None:
    catalogue = load()
    musts = [r.id for r in catalogue.in_profile("api") if r.is_must]
    results = [_result(f"t::{i}", req, Outcome.PASSED) for i, req in enumerate(musts)]
    collected = [Collected(r.nodeid, r.requirements, True) for r in results]
    assert _run(results, collected).verdict.status == "conformant"
    assert _run(results[1:], collected[1:]).verdict.status == "incomplete"
