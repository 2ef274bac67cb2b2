"""End to end: ``fn-conformance run`` against the embedded reference server writes the three
reports, passes, cleans up exactly what it created, and never touches anyone else's resources;
``fn-conformance cleanup`` removes what a crashed run left."""

from __future__ import annotations

import json
import signal
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import requests

from conformance._server import LocalServer
from conformance.report.schema import validate
from conformance.resources import run_prefix

ROOT = Path(__file__).resolve().parents[2]


@pytest.fixture(scope="module")
def server() -> Iterator[LocalServer]:
    with LocalServer(env={"FN_MAX_REQUEST_SIZE": "1048576"}) as srv:
        yield srv


def _all_apps(url: str) -> list[dict[str, Any]]:
    apps, cursor = [], None
    for _ in range(1000):
        params: dict[str, Any] = {"per_page": 100, **({"cursor": cursor} if cursor else {})}
        body = requests.get(f"{url}/v2/apps", params=params, timeout=10).json()
        apps += body["items"]
        cursor = body.get("next_cursor")
        if not cursor:
            return apps
    raise AssertionError("app listing did not end")


def _someone_elses(url: str) -> dict[str, Any]:
    """Resources made beforehand by someone else, including one that looks like a run's."""
    made: dict[str, Any] = {}
    for name in ("production-app", "fncotherrun-keepme"):
        app = requests.post(f"{url}/v2/apps", json={"name": name, "config": {"A": "1"}}, timeout=10)
        made[name] = app.json()
    fn = requests.post(
        f"{url}/v2/fns",
        json={"app_id": made["production-app"]["id"], "name": "billing", "image": "acme/billing:1"},
        timeout=10,
    ).json()
    trigger = requests.post(
        f"{url}/v2/triggers",
        json={
            "app_id": fn["app_id"],
            "fn_id": fn["id"],
            "name": "pay",
            "type": "http",
            "source": "/pay",
        },
        timeout=10,
    ).json()
    made["fn"], made["trigger"] = fn, trigger
    return made


def _fetch(url: str, kind: str, entity_id: str) -> dict[str, Any]:
    response = requests.get(f"{url}/v2/{kind}/{entity_id}", timeout=10)
    assert response.status_code == 200, f"{kind} {entity_id} was touched: {response.status_code}"
    return response.json()  # type: ignore[no-any-return]


def test_full_run_passes_writes_reports_and_leaves_others_untouched(
    server: LocalServer, tmp_path: Path
) -> None:
    before = _someone_elses(server.url)
    run_id = "e2etest1"
    result = subprocess.run(
        [sys.executable, "-m", "conformance.cli", "run", "--target", server.url,
         "--report-dir", str(tmp_path), "--run-id", run_id, "--effort", "dev",
         "--max-request-size", "1048576"],
        cwd=ROOT, capture_output=True, text=True, timeout=600,
    )  # fmt: skip
    assert result.returncode == 0, result.stdout[-5000:] + result.stderr[-3000:]
    assert "verdict: CONFORMANT" in result.stdout
    folder = tmp_path / run_id
    for name in ("junit.xml", "junit-requirements.xml", "results.json", "report.md"):
        assert (folder / name).stat().st_size > 0, name
    document = json.loads((folder / "results.json").read_text())
    validate(document)
    assert document["schema_version"] == 2
    assert document["verdict"]["status"] == "conformant"
    assert document["suite_errors"] == []
    assert document["target"]["version"]
    assert isinstance(document["seed"], int) and document["seed"] > 0
    assert document["cleanup"]["leaked"] == [] and document["cleanup"]["created"] > 0
    outcomes = {r["id"]: r["outcome"] for r in document["requirements"]}
    must = [r for r in document["requirements"] if r["level"] == "MUST"]
    assert all(r["outcome"] == "passed" for r in must if r["outcome"] != "disabled"), [
        r["id"] for r in must if r["outcome"] != "passed"
    ]
    # No node memory, evictor nodes or LB were given: exactly what needs them is disabled.
    disabled = {r["id"] for r in must if r["outcome"] == "disabled"}
    assert disabled == {"FN-EVI-001", "FN-EVI-002", "FN-INV-008", "FN-HYB-002", "FN-HYB-003"}
    assert outcomes["FN-SEC-001"] == "passed"
    assert "<testsuite" in (folder / "junit.xml").read_text()
    # Someone else's resources are exactly as they were; none of the run's are left.
    for name in ("production-app", "fncotherrun-keepme"):
        assert _fetch(server.url, "apps", before[name]["id"]) == before[name]
    assert _fetch(server.url, "fns", before["fn"]["id"])["name"] == "billing"
    assert _fetch(server.url, "triggers", before["trigger"]["id"])["source"] == "/pay"
    leftovers = [
        a["name"] for a in _all_apps(server.url) if a["name"].startswith(run_prefix(run_id))
    ]
    assert leftovers == []


def test_cleanup_removes_what_a_crashed_run_left_and_nothing_else(
    server: LocalServer, tmp_path: Path
) -> None:
    run_id = "crashed1"
    prefix = run_prefix(run_id)
    mine = [
        requests.post(f"{server.url}/v2/apps", json={"name": f"{prefix}-{i}"}, timeout=10).json()
        for i in range(3)
    ]
    other = requests.post(
        f"{server.url}/v2/apps", json={"name": "fnccrashed2-0"}, timeout=10
    ).json()
    fn = requests.post(
        f"{server.url}/v2/fns",
        json={"app_id": other["id"], "name": "f", "image": "i"},
        timeout=10,
    ).json()
    ledger = tmp_path / run_id / "ledger-main.jsonl"
    ledger.parent.mkdir(parents=True)
    ledger.write_text(
        json.dumps({"kind": "app", "id": mine[0]["id"], "name": mine[0]["name"]}) + "\n"
    )
    result = subprocess.run(
        [sys.executable, "-m", "conformance.cli", "cleanup", "--run-id", run_id,
         "--target", server.url, "--report-dir", str(tmp_path)],
        cwd=ROOT, capture_output=True, text=True, timeout=120,
    )  # fmt: skip
    assert result.returncode == 0, result.stdout + result.stderr
    assert "3 found, 3 deleted, 0 still present" in result.stdout
    for app in mine:
        assert requests.get(f"{server.url}/v2/apps/{app['id']}", timeout=10).status_code == 404
    assert _fetch(server.url, "apps", other["id"]) == other
    assert _fetch(server.url, "fns", fn["id"])["name"] == "f"


def test_request_budget_ends_tests_as_errors_and_cleanup_still_runs(
    server: LocalServer, tmp_path: Path
) -> None:
    run_id = "budget01"
    result = subprocess.run(
        [sys.executable, "-m", "conformance.cli", "run", "--target", server.url,
         "--report-dir", str(tmp_path), "--run-id", run_id, "--effort", "dev",
         "--request-budget", "25", "-k", "test_apps"],
        cwd=ROOT, capture_output=True, text=True, timeout=300,
    )  # fmt: skip
    assert result.returncode == 3, result.stdout[-3000:]  # a suite error, not the target's
    document = json.loads((tmp_path / run_id / "results.json").read_text())
    assert document["verdict"]["status"] == "suite-error"
    outcomes = {t["outcome"] for r in document["requirements"] for t in r["tests"]}
    assert "error" in outcomes and "failed" not in outcomes
    assert document["requests_sent"] > 25 - 1
    cleanup = document["cleanup"]
    assert cleanup["created"] > 0 and cleanup["leaked"] == [] and cleanup["errors"] == []
    leftovers = [a for a in _all_apps(server.url) if a["name"].startswith(run_prefix(run_id))]
    assert leftovers == []


def test_ctrl_c_still_cleans_up_and_fails_the_verdict(server: LocalServer, tmp_path: Path) -> None:
    run_id = "sigint01"
    proc = subprocess.Popen(
        [sys.executable, "-m", "conformance.cli", "run", "--target", server.url,
         "--report-dir", str(tmp_path), "--run-id", run_id, "--effort", "dev"],
        cwd=ROOT, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True,
    )  # fmt: skip
    ledger = tmp_path / run_id / "ledger-main.jsonl"
    deadline = time.monotonic() + 120
    while time.monotonic() < deadline and not (ledger.exists() and ledger.stat().st_size > 4000):
        time.sleep(0.05)
    proc.send_signal(signal.SIGINT)
    output, _ = proc.communicate(timeout=120)
    assert proc.returncode == 130, output[-3000:]
    document = json.loads((tmp_path / run_id / "results.json").read_text())
    assert document["verdict"]["status"] == "interrupted"
    assert document["cleanup"]["created"] > 0, (document["cleanup"], output[-3000:])
    assert document["cleanup"]["leaked"] == []
    leftovers = [a for a in _all_apps(server.url) if a["name"].startswith(run_prefix(run_id))]
    assert leftovers == []
