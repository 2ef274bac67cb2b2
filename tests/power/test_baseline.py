"""A baseline of known deviations makes a run fail only on new ones: against a target that
answers deletes with 200 and a body, the deletes area fails; with FN-DEL-001 in the baseline
(with its reason) the same run passes and the report names the deviation as known."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

from conformance._server import LocalServer

from .test_power import ROOT, _child_env


def _run(url: str, report_dir: Path, run_id: str, *extra: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "conformance.cli", "run", "--target", url, "--effort", "dev",
         "--report-dir", str(report_dir), "--run-id", run_id, "-k", "test_deletes", *extra],
        cwd=ROOT, env=_child_env(), capture_output=True, text=True, timeout=240,
    )  # fmt: skip


def test_baseline_turns_a_known_deviation_into_a_pass_and_keeps_new_ones_failing(
    tmp_path: Path,
) -> None:
    baseline = tmp_path / "baseline.yml"
    baseline.write_text('deviations:\n  - id: FN-DEL-001\n    reason: "answers 200 with a body"\n')
    other = tmp_path / "other.yml"
    other.write_text('deviations:\n  - id: FN-DEL-003\n    reason: "unrelated"\n')
    env = {"PYTHONPATH": _child_env()["PYTHONPATH"]}
    with LocalServer(env=env, module="tests.power.serve", args=("delete-200-json",)) as server:
        plain = _run(server.url, tmp_path, "base0001")
        known = _run(server.url, tmp_path, "base0002", "--baseline", str(baseline))
        unrelated = _run(server.url, tmp_path, "base0003", "--baseline", str(other))
    assert plain.returncode == 1, plain.stdout[-2000:]
    assert known.returncode == 0, known.stdout[-3000:]
    assert unrelated.returncode == 1, unrelated.stdout[-2000:]
    document = json.loads((tmp_path / "base0002" / "results.json").read_text())
    row = next(r for r in document["requirements"] if r["id"] == "FN-DEL-001")
    assert row["outcome"] == "failed"
    assert row["known_deviation"] == "answers 200 with a body"
    assert (
        "known deviation: answers 200 with a body"
        in (tmp_path / "base0002" / "report.md").read_text()
    )
