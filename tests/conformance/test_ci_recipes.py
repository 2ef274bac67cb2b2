"""The README's CI recipe for a deployment, run line for line: a fresh venv with tox, the
``external`` tox env twice against a running server (an upgrade check), then ``diff``."""

from __future__ import annotations

import json
import os
import re
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from conformance._server import LocalServer
from conformance.report.schema import validate

from ..readme import recipe

ROOT = Path(__file__).resolve().parents[2]


def _copy_checkout(into: Path) -> None:
    """The files of this checkout a fresh clone would have (tracked, or new and not ignored)."""
    listed = subprocess.run(
        ["git", "ls-files", "--cached", "--others", "--exclude-standard", "-z"],
        cwd=ROOT, capture_output=True, check=True,
    ).stdout.decode().split("\0")  # fmt: skip
    for name in filter(None, listed):
        source = ROOT / name
        if source.is_file():
            (into / name).parent.mkdir(parents=True, exist_ok=True)
            shutil.copy2(source, into / name)


@pytest.mark.slow
@pytest.mark.skipif(shutil.which("git") is None, reason="needs git to list the checkout")
def test_the_readme_ci_recipe_for_a_deployment_runs_as_written(tmp_path: Path) -> None:
    lines = recipe("external")
    assert any("tox -e external" in line for line in lines)
    assert any("fn-conformance diff" in line for line in lines)
    checkout = tmp_path / "checkout"
    _copy_checkout(checkout)
    env = {k: v for k, v in os.environ.items() if not k.startswith(("FNCONF_", "PYTEST_", "TOX"))}
    env.pop("VIRTUAL_ENV", None)
    # The runs are narrowed from the environment, which leaves the recipe's lines as they are.
    env["FNCONF_REQUIREMENTS"] = "FN-APP-00*"
    env["PATH"] = os.pathsep.join(
        p for p in env.get("PATH", "").split(os.pathsep) if not p.startswith(sys.prefix)
    )
    with LocalServer() as server:
        script = "\n".join(
            re.sub(r"FN_API_URL=\S+", f"FN_API_URL={server.url}", line) for line in lines
        )
        proc = subprocess.run(
            ["bash", "-ec", script], cwd=checkout, env=env, capture_output=True, text=True,
            timeout=600, check=False,
        )  # fmt: skip
    output = proc.stdout[-5000:] + proc.stderr[-3000:]
    assert proc.returncode == 0, output
    for run_id in ("before", "after"):
        document = json.loads((checkout / "reports" / run_id / "results.json").read_text())
        validate(document)
        assert document["verdict"]["status"] == "narrowed", document["verdict"]
        assert document["target"]["api_url"] == server.url
        assert (checkout / "reports" / run_id / "report.html").exists()
    written = sorted(p.name for p in (checkout / "reports" / "after").glob("diff-*"))
    assert written == ["diff-before-after.json", "diff-before-after.md"], written
