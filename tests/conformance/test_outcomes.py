"""How the plugin reads what a test did, end to end: only a ConformanceFailure is the target's
failure (a plain ``assert`` in the suite is an error of the suite), a generic check's finding
lets the test go on to its own, and one test can fail two requirements."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path
from typing import Any

from conformance._server import LocalServer

ROOT = Path(__file__).resolve().parents[2]

TESTS = """
import pytest
from conformance import expect

@pytest.mark.requirement("FN-APP-007")
def test_a_plain_assert_of_the_suite(fn):
    fn.get_version()
    assert 1 == 2, "a bug of the suite"

@pytest.mark.requirement("FN-APP-011")
def test_a_finding(fn):
    expect.error(fn.get_version(), 404, req="FN-APP-011")

@pytest.mark.requirement("FN-FN-010")
def test_a_generic_finding_and_the_tests_own(fn):
    fn.request("GET", "/v2/no-such-path", headers={"Accept": "text/html"})
    # the server answers JSON: the generic checks pass; now a body the check refuses
    response = fn.request("PATCH", "/v2/apps")
    response._content = b"not json"  # as a server that answers garbage would
    from conformance.checks import run_checks
    from conformance.client import observe
    for finding in run_checks(observe(response, response.exchange)):
        fn.recorder.note(finding)
    expect.true(False, "the test's own finding", req="FN-FN-010")

@pytest.mark.requirement("FN-FN-008")
def test_passes(fn):
    expect.ok(fn.get_version(), req="FN-FN-008")
"""


def _run(tmp_path: Path, server: LocalServer) -> dict[str, Any]:
    suite = tmp_path / "suite"
    suite.mkdir()
    (suite / "conftest.py").write_text(
        "from pathlib import Path\nimport conformance.plugin.selection as selection\n"
        "selection.SUITE_DIR = Path(__file__).resolve().parent\n"
    )
    (suite / "test_kinds.py").write_text(TESTS)
    subprocess.run(
        [sys.executable, "-m", "pytest", "-p", "no:cacheprovider", "-q", str(suite),
         "--fn-conformance", "--fn-target", server.url, "--fn-run-id", "kinds001",
         "--fn-report-dir", str(tmp_path / "reports")],
        cwd=tmp_path, capture_output=True, text=True, timeout=120, check=False,
    )  # fmt: skip
    return json.loads((tmp_path / "reports" / "kinds001" / "results.json").read_text())  # type: ignore[no-any-return]


def test_only_conformance_failures_are_the_targets_and_findings_add_up(tmp_path: Path) -> None:
    with LocalServer() as server:
        document = _run(tmp_path, server)
    outcomes = {r["id"]: r["outcome"] for r in document["requirements"]}
    assert outcomes["FN-APP-007"] == "error"  # the suite's own bug
    assert outcomes["FN-APP-011"] == "failed"
    assert outcomes["FN-FN-010"] == "failed" and outcomes["FN-ERR-003"] == "failed"
    assert outcomes["FN-FN-008"] == "passed"
    assert [e["nodeid"].split("::")[-1] for e in document["suite_errors"]] == [
        "test_a_plain_assert_of_the_suite"
    ]
    assert document["verdict"]["status"] == "not-conformant"
