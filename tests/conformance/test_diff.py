"""``fn-conformance diff A B``: changed outcomes in their groups, findings compared without the
noise of run ids, ports and server ids, requirements of one run only kept apart, exit codes,
unreadable files refused in one line, and (end to end) a diff of the reference server against a
broken variant that lists exactly the requirements whose outcome differs."""

from __future__ import annotations

import argparse
import json
import os
import re
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

from conformance import diff
from conformance._server import LocalServer
from conformance.failures import Outcome
from conformance.report import json_report
from conformance.report.schema import validate
from conformance.results import Finding
from tests.power.variants import MAX_REQUEST_SIZE, VARIANTS

from .test_results_schema import build_run, exchange, judged

ROOT = Path(__file__).resolve().parents[2]


def _document(
    outcomes: dict[str, Outcome],
    *,
    run_id: str = "runaaaa1",
    port: int = 8080,
    findings: dict[str, tuple[str, str]] | None = None,
    **kw: Any,
) -> dict[str, Any]:
    """A valid results document where each requirement of ``outcomes`` is judged by one test,
    with a (title, message) finding for those in ``findings``."""
    url = f"http://127.0.0.1:{port}"
    found = findings or {}
    evidence = (exchange(f"{url}/v2/apps"),)
    results = [
        judged(f"t::{req}", req, outcome,
               (Finding(req, *found[req], evidence),) if req in found else ())
        for req, outcome in outcomes.items()
    ]  # fmt: skip
    document = json.loads(
        json.dumps(json_report.document(build_run(results, run_id=run_id, api_url=url, **kw)))
    )
    validate(document)
    return document


def _ids(result: dict[str, Any], group: str) -> list[str]:
    return [entry["id"] for entry in result[group]]


P, F = Outcome.PASSED, Outcome.FAILED


def test_changed_outcomes_fall_into_their_groups() -> None:
    a = _document({"FN-APP-001": P, "FN-APP-002": F, "FN-APP-003": P, "FN-APP-004": Outcome.ERROR,
                   "FN-APP-005": F, "FN-APP-006": P})  # fmt: skip
    b = _document({"FN-APP-001": F, "FN-APP-002": P, "FN-APP-004": P,
                   "FN-APP-005": Outcome.DISABLED, "FN-APP-006": P}, run_id="runbbbb2")  # fmt: skip
    result = diff.compare(a, b)
    assert _ids(result, "newly_failing") == ["FN-APP-001"]
    assert _ids(result, "newly_passing") == ["FN-APP-002"]
    assert _ids(result, "other_changes") == ["FN-APP-003", "FN-APP-004", "FN-APP-005"]
    assert result["changed_evidence"] == [] and result["only_in_a"] == []
    entry = result["other_changes"][0]
    assert (entry["a_outcome"], entry["b_outcome"], entry["level"]) == ("passed", "not-run", "MUST")
    assert entry["title"] and result["in_both"] == len(a["requirements"])
    assert diff.exit_code(result) == 1
    assert diff.changed_ids(result) == {f"FN-APP-00{i}" for i in range(1, 6)}


NOISY = (
    "Unexpected status for GET /v2/apps/{id}",
    "Received: {status}\nExpected: 404\napp fnc{run}-{n} at http://127.0.0.1:{port}/v2/apps "
    "(127.0.0.1:{port}) after {s} s and {ms} ms, created {time}, call {uuid}",
)


def _noisy(run: str, port: int, status: int = 200, *, n: int = 12) -> tuple[str, str]:
    values = {
        "run": run, "port": port, "status": status, "n": n, "s": f"{n / 10:.2f}", "ms": n * 3,
        "id": f"01ARZ3NDEKTSV4RRFFQ69G{n:04d}", "time": f"2026-01-0{n % 9 + 1}T10:11:12.{n}Z",
        "uuid": f"123e4567-e89b-12d3-a456-4266141740{n:02d}",
    }  # fmt: skip
    return NOISY[0].format(**values), NOISY[1].format(**values)


def test_the_same_finding_in_two_runs_is_not_changed_evidence() -> None:
    a = _document({"FN-APP-007": F}, findings={"FN-APP-007": _noisy("runaaaa1", 8080)})
    b = _document(
        {"FN-APP-007": F}, run_id="runbbbb2", port=9090,
        findings={"FN-APP-007": _noisy("runbbbb2", 9090, n=45)},
    )  # fmt: skip
    assert a["requirements"] != b["requirements"]
    result = diff.compare(a, b)
    assert not any(result[group] for group in diff.GROUPS), result
    assert diff.exit_code(result) == 0


def test_a_different_status_code_is_changed_evidence_shown_normalised() -> None:
    a = _document({"FN-APP-007": F}, findings={"FN-APP-007": _noisy("runaaaa1", 8080)})
    b = _document(
        {"FN-APP-007": F}, run_id="runbbbb2", port=9090,
        findings={"FN-APP-007": _noisy("runbbbb2", 9090, 500)},
    )  # fmt: skip
    result = diff.compare(a, b)
    assert _ids(result, "changed_evidence") == ["FN-APP-007"]
    assert diff.changed_ids(result) == set() and diff.exit_code(result) == 0
    entry = result["changed_evidence"][0]
    assert entry["a_findings"] == entry["b_findings"] == ["Unexpected status for GET /v2/apps/<id>"]
    message = entry["findings_only_in_b"][0]["message"]
    assert message == (
        "Received: 500\nExpected: 404\napp fnc<run>-<n> at <target>/v2/apps (<target>) "
        "after <n> s and <n> ms, created <time>, call <id>"
    )
    assert "Received: 200" in entry["findings_only_in_a"][0]["message"]


def test_a_known_deviation_that_appears_is_a_change() -> None:
    a = _document({"FN-APP-007": F})
    b = _document({"FN-APP-007": F}, run_id="runbbbb2", baseline={"FN-APP-007": "known"})
    result = diff.compare(a, b)
    assert _ids(result, "other_changes") == ["FN-APP-007"]
    assert result["other_changes"][0]["b_known_deviation"] == "known"
    assert "FN-APP-007  MUST" in diff.diff_text.text(result)
    assert "failed → failed (known deviation)" in diff.diff_text.text(result)


def test_requirements_of_one_run_only_are_listed_apart() -> None:
    a = _document({"FN-APP-001": P})
    b = _document({"FN-APP-001": P}, run_id="runbbbb2", profile="full")
    result = diff.compare(a, b)
    assert result["only_in_a"] == []
    assert {row["id"].split("-")[1] for row in result["only_in_b"]} == {
        "INV", "HTT", "FDK", "HOT", "EVI", "MET",
    }  # fmt: skip
    assert diff.changed_ids(result) == set() and result["in_both"] == len(a["requirements"])
    assert diff.compare(b, a)["only_in_a"] == result["only_in_b"]


def _save(folder: Path, document: dict[str, Any]) -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    (folder / "results.json").write_text(json.dumps(document), encoding="utf-8")
    return folder


def _parse(*argv: str) -> argparse.Namespace:
    parser = argparse.ArgumentParser(prog="fn-conformance")
    diff.add_parser(parser.add_subparsers(dest="command", required=True))
    return parser.parse_args(["diff", *argv])


def test_run_prints_the_changes_writes_both_files_and_exits_1_on_a_new_failure(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    a = _save(tmp_path / "runaaaa1", _document({"FN-APP-001": P, "FN-APP-002": F}))
    b = _save(tmp_path / "runbbbb2", _document({"FN-APP-001": F, "FN-APP-002": P},
                                                run_id="runbbbb2"))  # fmt: skip
    args = _parse(str(a), str(b / "results.json"))
    assert args.func is diff.run
    assert args.func(args) == 1
    out = capsys.readouterr().out
    assert out.startswith("fn-conformance diff: 1 newly failing, 1 newly passing, 0 other")
    assert "  FN-APP-001  MUST  " in out and ": passed → failed" in out
    written = b / "diff-runaaaa1-runbbbb2.json"  # default: next to B's results.json
    assert f"diff.json: {written}" in out and f"diff.md: {written.with_suffix('.md')}" in out
    saved = json.loads(written.read_text())
    assert _ids(saved, "newly_failing") == ["FN-APP-001"]
    assert saved["a"]["run_id"] == "runaaaa1" and saved["b"]["verdict"] == "not-conformant"
    assert saved["a"]["file"] == str(a / "results.json")
    page = written.with_suffix(".md").read_text()
    assert "## Newly failing (1)" in page and "| FN-APP-001 | MUST |" in page
    # Only newly passing: exit 0.
    c = _save(tmp_path / "runcccc3", _document({"FN-APP-001": P, "FN-APP-002": P},
                                                run_id="runcccc3"))  # fmt: skip
    assert diff.main([str(b), str(c), "--output", str(tmp_path / "out")]) == 0
    assert (tmp_path / "out" / "diff-runbbbb2-runcccc3.md").exists()


@pytest.mark.parametrize(
    ("content", "expected"),
    [
        (None, r"^fn-conformance: \S+results\.json: no such file"),
        ({"schema_version": 3}, r"^fn-conformance: \S+ has schema_version 3; this fn-conformance"),
        ("{", r"^fn-conformance: \S+ is not valid JSON"),
    ],
    ids=["missing", "unknown version", "not JSON"],
)
def test_an_unreadable_file_exits_2_with_one_line(
    content: Any, expected: str, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    good = _save(tmp_path / "good", _document({"FN-APP-001": P}))
    bad = tmp_path / "bad" / "results.json"
    if content is not None:
        bad.parent.mkdir()
        bad.write_text(content if isinstance(content, str) else json.dumps(content))
    for argv in ([str(good), str(bad)], [str(bad), str(good)]):
        assert diff.main(argv) == 2
        captured = capsys.readouterr()
        assert captured.out == ""
        assert captured.err.count("\n") == 1, captured.err
        assert re.match(expected, captured.err), captured.err


# -- end to end: the reference server (A) against a broken variant (B) -----------------------

VARIANT = next(v for v in VARIANTS if v.name == "missing-app-200")
AREAS = ("test_apps", "test_deletes")


def _suite(report_dir: Path, run_id: str, variant: str | None) -> Path:
    """Run AREAS of the suite against the reference server (or ``variant`` of it)."""
    env = {"FN_MAX_REQUEST_SIZE": str(MAX_REQUEST_SIZE), "PYTHONPATH": str(ROOT)}
    child = {
        k: v
        for k, v in os.environ.items()
        if not k.startswith(("FN_API_URL", "FNCONF_", "PYTEST_", "HYPOTHESIS_PROFILE"))
    }
    child["PYTHONPATH"] = os.pathsep.join(filter(None, [str(ROOT), child.get("PYTHONPATH")]))
    module, args = ("tests.power.serve", (variant,)) if variant else ("reference_impl", ())
    with LocalServer(env=env, module=module, args=args) as server:
        subprocess.run(
            [sys.executable, "-m", "pytest", "-p", "no:cacheprovider", "-q", "--no-header",
             "-p", "tests.power._fast", "-p", "no:schemathesis",
             "--fn-conformance", *(f"conformance/suite/{area}.py" for area in AREAS),
             "--fn-target", server.url, "--fn-max-request-size", str(MAX_REQUEST_SIZE),
             "--fn-effort", "dev", "--fn-report-dir", str(report_dir), "--fn-run-id", run_id],
            cwd=ROOT, env=child, capture_output=True, text=True, timeout=240, check=False,
        )  # fmt: skip
    path = report_dir / run_id / "results.json"
    assert path.exists(), f"the run against {variant or 'the reference server'} wrote nothing"
    return path


def _diff_cli(a: Path, b: Path, output: Path) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "conformance.diff", str(a), str(b), "--output", str(output)],
        cwd=ROOT, capture_output=True, text=True, timeout=60, check=False,
    )  # fmt: skip


@pytest.mark.slow
def test_diff_of_a_broken_variant_lists_exactly_the_requirements_whose_outcome_differs(
    tmp_path: Path,
) -> None:
    a = _suite(tmp_path, "diffref1", None)
    b = _suite(tmp_path, "diffbrk1", VARIANT.name)
    outcomes = [
        {r["id"]: r["outcome"] for r in json.loads(p.read_text())["requirements"]} for p in (a, b)
    ]
    differ = {
        i for i in outcomes[0].keys() & outcomes[1].keys() if outcomes[0][i] != outcomes[1][i]
    }
    proc = _diff_cli(a, b, tmp_path / "out")
    assert proc.returncode == 1, proc.stdout + proc.stderr
    written = json.loads((tmp_path / "out" / "diff-diffref1-diffbrk1.json").read_text())
    assert (tmp_path / "out" / "diff-diffref1-diffbrk1.md").exists()
    assert diff.changed_ids(written) == differ
    assert set(VARIANT.breaks) <= set(_ids(written, "newly_failing")) <= differ
    for req_id in differ:
        assert f"  {req_id}  " in proc.stdout, proc.stdout
    # A run against itself: nothing changed.
    same = _diff_cli(a, a, tmp_path / "same")
    assert same.returncode == 0, same.stdout + same.stderr
    written = json.loads((tmp_path / "same" / "diff-diffref1-diffref1.json").read_text())
    assert not any(written[group] for group in (*diff.GROUPS, "only_in_a", "only_in_b"))
    assert "No requirement in both runs changed." in same.stdout
