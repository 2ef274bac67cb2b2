"""The suite against targets it starts from container images (``--target-image``), on the
engine at DOCKER_HOST (tox env ``image``; ``.ci/run`` starts the podman engine of ../shared).

The README's image recipe is run line for line (it builds the reference server's image and runs
the whole ``full`` profile against it); a broken reference server, built as an image FROM it,
crashes under the suite and must be restarted, reported and its log attached; the container is
always removed.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from conformance._container import RUN_LABEL
from conformance.reference_image import REFERENCE_IMAGE, build_reference
from conformance.report.schema import validate

from ..needs import missing
from ..readme import recipe

ROOT = Path(__file__).resolve().parents[2]
BIN = Path(sys.executable).parent
#: A reference server with one rule broken per power variant (FN_POWER_VARIANT names it).
POWER_IMAGE = "localhost/fn-reference-power:test"
RUN_TIMEOUT = 900


@pytest.fixture(scope="module")
def engine() -> Iterator[Any]:
    try:
        import docker
    except ImportError:
        missing("the image tests need the docker extra: pip install 'fn-conformance[docker]'")
    try:
        client = docker.from_env(timeout=30)
        client.ping()
    except docker.errors.DockerException as exc:
        missing(
            f"no Docker-compatible engine at DOCKER_HOST ({exc}); start one with "
            'eval "$(../shared/engine/podman-engine.sh up)" (or point DOCKER_HOST at yours), '
            "then tox -e image"
        )
    yield client
    client.close()


@pytest.fixture(scope="module")
def reference(engine: Any) -> str:
    build_reference(REFERENCE_IMAGE, client=engine)
    return REFERENCE_IMAGE


@pytest.fixture(scope="module")
def power_image(engine: Any, reference: str, tmp_path_factory: pytest.TempPathFactory) -> str:
    """The reference image plus tests/power, serving the variant FN_POWER_VARIANT names."""
    context = tmp_path_factory.mktemp("power-image")
    (context / "tests").mkdir()
    (context / "tests" / "__init__.py").write_text("")
    (context / "tests" / "power").mkdir()
    for source in (ROOT / "tests" / "power").glob("*.py"):
        (context / "tests" / "power" / source.name).write_text(source.read_text())
    (context / "Containerfile").write_text(
        f"FROM {reference}\n"
        "COPY tests /opt/fn/tests\n"
        'ENTRYPOINT ["sh", "-c", "echo starting variant $FN_POWER_VARIANT; '
        'exec python3 -m tests.power.serve \\"$FN_POWER_VARIANT\\""]\n'
    )
    engine.images.build(path=str(context), dockerfile="Containerfile", tag=POWER_IMAGE, rm=True)
    return POWER_IMAGE


def _left_behind(engine: Any, run_id: str) -> list[str]:
    found = engine.containers.list(all=True, filters={"label": f"{RUN_LABEL}={run_id}"})
    return [c.name for c in found]


def _env() -> dict[str, str]:
    """The outer environment (DOCKER_HOST included) with this interpreter's tools first, and
    nothing of an outer run that would steer the inner one."""
    env = {k: v for k, v in os.environ.items() if not k.startswith(("FNCONF_", "PYTEST_"))}
    env.pop("FN_API_URL", None)
    env["PATH"] = f"{BIN}{os.pathsep}{env.get('PATH', '')}"
    return env


def _results(folder: Path) -> dict[str, Any]:
    document: dict[str, Any] = json.loads((folder / "results.json").read_text())
    validate(document)
    return document


def test_the_readme_image_recipe_runs_the_whole_suite_conformant(
    reference: str, engine: Any, tmp_path: Path
) -> None:
    lines = recipe("image")
    assert any("build-image" in line for line in lines)
    assert any(f"--target-image {reference}" in line for line in lines), lines
    for line in lines:
        proc = subprocess.run(
            ["bash", "-c", line], cwd=tmp_path, env=_env(), capture_output=True, text=True,
            timeout=RUN_TIMEOUT, check=False,
        )  # fmt: skip
        assert proc.returncode == 0, f"{line}\n{proc.stdout[-4000:]}\n{proc.stderr[-3000:]}"
    [folder] = [p.parent for p in (tmp_path / "reports").glob("*/results.json")]
    document = _results(folder)
    assert document["verdict"]["status"] == "conformant", document["verdict"]
    assert document["target"]["image"] == reference
    assert document["target"]["embedded"] is False
    assert document["profile"] == "full"
    judged = {r["id"] for r in document["requirements"] if r["outcome"] == "passed"}
    assert {"FN-INV-001", "FN-HOT-001", "FN-SEC-001", "FN-INV-008"} <= judged
    assert {"FN-EVI-001", "FN-EVI-002"} <= judged  # on the image's own evictor nodes
    assert document["target_log"] == ""  # nothing failed: no log attached
    assert (folder / "report.html").exists() and (folder / "badge.svg").exists()
    assert _left_behind(engine, document["run_id"]) == []


def test_a_target_image_that_crashes_is_restarted_reported_and_its_log_attached(
    power_image: str, engine: Any, tmp_path: Path
) -> None:
    run_id = "imgcrash1"
    proc = subprocess.run(
        [
            BIN / "fn-conformance", "run", "--target-image", power_image,
            "--target-env", "FN_POWER_VARIANT=exits-on-nul-path",
            "--requirement", "FN-ERR-005", "--requirement", "FN-APP-00*",
            "--report-dir", str(tmp_path), "--run-id", run_id, "--effort", "dev",
        ],
        env=_env(), capture_output=True, text=True, timeout=RUN_TIMEOUT, check=False,
    )  # fmt: skip
    output = proc.stdout[-4000:] + proc.stderr[-2000:]
    assert proc.returncode == 1, output
    document = _results(tmp_path / run_id)
    assert document["verdict"]["status"] == "not-conformant", output
    assert document["crashes"] and all(c["restarted"] for c in document["crashes"]), output
    # Each crash names the request that killed the target (a path id with a NUL).
    assert all("%00" in c["unanswered"]["url"] for c in document["crashes"]), document["crashes"]
    outcomes = {r["id"]: r["outcome"] for r in document["requirements"]}
    assert outcomes["FN-ERR-005"] == "failed"
    # The run went on after the restart: everything else it selected was judged and passed.
    rest = {k: v for k, v in outcomes.items() if k.startswith("FN-APP-00")}
    assert rest and set(rest.values()) == {"passed"}, rest
    assert document["target_log"] == "target.log"
    log = (tmp_path / run_id / "target.log").read_text()
    assert log.count("starting variant exits-on-nul-path") >= 2, log[-2000:]  # and restarted
    assert "target.log" in (tmp_path / run_id / "report.md").read_text()
    assert _left_behind(engine, run_id) == []


def test_plain_pytest_takes_the_target_image_too(
    reference: str, engine: Any, tmp_path: Path
) -> None:
    run_id = "imgpytest1"
    proc = subprocess.run(
        [
            sys.executable, "-m", "pytest", "-p", "no:cacheprovider", "-q",
            "--pyargs", "conformance.suite", "--fn-target-image", reference,
            "--fn-requirement", "FN-APP-001", "--fn-requirement", "FN-INV-001",
            "--fn-report-dir", str(tmp_path), "--fn-run-id", run_id,
        ],
        env=_env(), cwd=tmp_path, capture_output=True, text=True, timeout=RUN_TIMEOUT,
        check=False,
    )  # fmt: skip
    assert proc.returncode == 0, proc.stdout[-3000:] + proc.stderr[-2000:]
    document = _results(tmp_path / run_id)
    assert document["verdict"]["status"] == "narrowed"
    assert {r["id"]: r["outcome"] for r in document["requirements"]}["FN-INV-001"] == "passed"
    assert _left_behind(engine, run_id) == []


def test_an_image_the_engine_does_not_have_is_one_line_and_exit_3(
    engine: Any, tmp_path: Path
) -> None:
    proc = subprocess.run(
        [BIN / "fn-conformance", "run", "--target-image", "localhost/no-such-image:0",
         "--report-dir", str(tmp_path)],
        env=_env(), capture_output=True, text=True, timeout=120, check=False,
    )  # fmt: skip
    lines = [line for line in proc.stderr.splitlines() if line.strip()]
    assert proc.returncode == 3, proc.stdout[-2000:] + proc.stderr[-2000:]
    assert lines and "localhost/no-such-image:0 is not on the engine" in lines[-1], lines


def test_an_image_that_exits_at_start_shows_its_log_and_exit_3(
    reference: str, engine: Any, tmp_path: Path
) -> None:
    proc = subprocess.run(
        [BIN / "fn-conformance", "run", "--target-image", reference,
         "--target-env", "FN_NODE_TYPE=nonsense", "--report-dir", str(tmp_path),
         "--run-id", "imgbad1"],
        env=_env(), capture_output=True, text=True, timeout=120, check=False,
    )  # fmt: skip
    assert proc.returncode == 3, proc.stdout[-2000:] + proc.stderr[-2000:]
    assert "exited (code 2) before it answered /version" in proc.stderr
    assert "FN_NODE_TYPE" in proc.stderr  # the server's own line, from the container's log
    assert _left_behind(engine, "imgbad1") == []


def test_cleanup_removes_the_container_a_killed_run_left(
    reference: str, engine: Any, tmp_path: Path
) -> None:
    """A run killed with SIGKILL cannot remove its container: cleanup finds it by its label."""
    from conformance._container import ContainerServer

    left = ContainerServer(reference, run_id="imgleft1").start()  # never stopped by the "run"
    assert _left_behind(engine, "imgleft1") != []
    proc = subprocess.run(
        [BIN / "fn-conformance", "cleanup", "--run-id", "imgleft1", "--target", left.url,
         "--report-dir", str(tmp_path)],
        env=_env(), capture_output=True, text=True, timeout=120, check=False,
    )  # fmt: skip
    assert proc.returncode == 0, proc.stdout + proc.stderr
    assert "1 target containers removed" in proc.stdout
    assert _left_behind(engine, "imgleft1") == []
