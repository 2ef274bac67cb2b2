"""The suite's power: run it against every variant and check what it concludes.

A broken variant must fail the run and name each requirement the variant breaks; a harmless
variant must pass with no requirement failed (or in error) at any level. Each case starts the
variant with ``conformance._server.LocalServer`` (``python -m tests.power.serve NAME``), runs
the variant's suite modules against it in a child pytest exactly as a user would (plus
``tests.power._fast``, which only skips Hypothesis' shrinking), and reads the verdict from
``results.json``. The cases are independent, so pytest-xdist runs them in parallel.
"""

from __future__ import annotations

import json
import os
import secrets
import shlex
import string
import subprocess
import sys
import threading
import time
from pathlib import Path
from typing import Any

import pytest

from conformance._server import Cluster, LocalServer
from conformance.plugin.watchdog import RestartService
from conformance.probe import PROBE_IMAGE, STATUS_IMAGE
from conformance.report.schema import read_results
from conformance.requirements import load

from .variants import EVICTOR, INVOKE_AREAS, MAX_REQUEST_SIZE, VARIANTS, Variant

ROOT = Path(__file__).resolve().parents[2]
#: Environment of the outer run that must not steer the inner suite run.
_DROPPED_ENV = ("FN_API_URL", "FNCONF_", "PYTEST_", "HYPOTHESIS_PROFILE")
SUITE_TIMEOUT = 240
#: The node memory a variant that runs functions gets (so FN-INV-008 runs), and that of its
#: evictor nodes (one probe container of 128 MB fits, two do not).
NODE_MEMORY = 4 * 1024**3
EVICTOR_MEMORY = 160 * 1024**2


def _child_env() -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith(_DROPPED_ENV)}
    env["PYTHONPATH"] = os.pathsep.join(filter(None, [str(ROOT), env.get("PYTHONPATH")]))
    return env


def _run_id() -> str:
    return "p" + "".join(secrets.choice(string.ascii_lowercase + string.digits) for _ in range(7))


def run_suite(variant: Variant, report_dir: Path) -> tuple[dict[str, Any], str, float]:
    """Serve ``variant``, run its areas of the suite against it; (results.json, output, s)."""
    env = {
        "FN_MAX_REQUEST_SIZE": str(MAX_REQUEST_SIZE),
        "PYTHONPATH": _child_env()["PYTHONPATH"],
        **variant.env,
    }
    runs_functions = bool(set(variant.areas) & set(INVOKE_AREAS))
    if runs_functions:
        env["FN_MAX_TOTAL_MEMORY_BYTES"] = str(NODE_MEMORY)
    run_id = _run_id()
    started = time.monotonic()
    helpers: list[LocalServer | Cluster] = []
    with LocalServer(env=env, module="tests.power.serve", args=(variant.name,)) as server:
        options = list(variant.options)
        if runs_functions:
            options += ["--fn-node-memory", str(NODE_MEMORY)]
        if EVICTOR in variant.areas:
            for mode, non_blocking in (("blocking", "false"), ("non-blocking", "true")):
                node_env = {
                    **env, "FN_DB_URL": server.db_url,
                    "FN_MAX_TOTAL_MEMORY_BYTES": str(EVICTOR_MEMORY),
                    "FN_ENABLE_NB_RESOURCE_TRACKER": non_blocking,
                }  # fmt: skip
                node = LocalServer(env=node_env, module="tests.power.serve", args=(variant.name,))
                helpers.append(node.start())
                options += ["--fn-evictor-node", f"{mode}={node.url}"]
        service = None
        actions: dict[str, Any] = {}
        control = report_dir / f"control-{run_id}"
        if variant.cluster:
            cluster = Cluster(
                server.db_url, probe_image=PROBE_IMAGE, status_image=STATUS_IMAGE,
                env=env, module="tests.power.serve", args=(variant.name,),
            )  # fmt: skip
            helpers.append(cluster.start())
            actions = cluster.actions()
            assert cluster.lb is not None
            options += ["--fn-profile", "cluster", "--fn-lb-url", cluster.lb.url]
            options += [f"--fn-runner={address}" for address in cluster.addresses]
            command = f"{shlex.quote(sys.executable)} -m conformance.plugin.control {control}"
            options += ["--fn-runner-command", command]
            # A cluster costs seconds per test: a broken variant runs only what it breaks.
            only = variant.only or (() if variant.harmless else variant.breaks)
            options += [f"--fn-requirement={pattern}" for pattern in only]
        if variant.restart or actions:
            service = RestartService(control, server.restart, actions)
            threading.Thread(target=service.serve, daemon=True).start()
        if variant.restart:  # the same request files the plugin uses for the embedded server
            restart = (
                f"{shlex.quote(sys.executable)} -m conformance.plugin.control {control} restart"
            )
            options += ["--fn-restart-command", restart]
        command = [
            sys.executable, "-m", "pytest", "-p", "no:cacheprovider", "-q", "--no-header",
            "-p", "tests.power._fast",
            # schemathesis' pytest plugin costs ~0.5 s per run; only the schema area needs it.
            *(() if "test_schema" in variant.areas else ("-p", "no:schemathesis")),
            "--fn-conformance", *(f"conformance/suite/{area}.py" for area in variant.areas),
            "--fn-target", server.url,
            "--fn-max-request-size", str(MAX_REQUEST_SIZE),
            "--fn-report-dir", str(report_dir),
            "--fn-run-id", run_id,
            "--fn-effort", "dev",
            *options,
        ]  # fmt: skip
        try:
            proc = subprocess.run(
                command, cwd=ROOT, env=_child_env(), capture_output=True, text=True,
                timeout=SUITE_TIMEOUT, check=False,
            )  # fmt: skip
        finally:
            if service is not None:
                service.stop()
            for node in helpers:
                node.stop()
        log = server.log_text()
    elapsed = time.monotonic() - started
    output = f"{proc.stdout[-3000:]}\n{proc.stderr[-3000:]}\nserver log:\n{log[-2000:]}"
    path = report_dir / run_id / "results.json"
    if not path.exists():
        pytest.fail(f"the suite wrote no results.json (exit {proc.returncode}):\n{output}")
    return read_results(path), output, elapsed  # read_results validates against the schema


def _failures(document: dict[str, Any]) -> list[str]:
    lines = []
    for req in document["requirements"]:
        if req["outcome"] in ("failed", "error"):
            lines.append(f"{req['id']} ({req['level']}) {req['outcome']}: {req['title']}")
            bad = [t for t in req["tests"] if t["outcome"] in ("failed", "error")]
            for test in bad[:3]:
                message = test["message"].strip().replace("\n", "\n      ")[:800]
                lines.append(f"  - {test['nodeid']}\n      {message}")
    return lines


def _record(variant: Variant, document: dict[str, Any], elapsed: float) -> None:
    """With FN_POWER_SUMMARY=<file>, append what the suite concluded (for the README table)."""
    target = os.environ.get("FN_POWER_SUMMARY")
    if not target:
        return
    line = {
        "variant": variant.name,
        "harmless": variant.harmless,
        "expected": list(variant.breaks),
        "status": document["verdict"]["status"],
        "failed": [r["id"] for r in document["requirements"] if r["outcome"] == "failed"],
        "errors": [r["id"] for r in document["requirements"] if r["outcome"] == "error"],
        "tests": document["tests"],
        "seconds": round(elapsed, 1),
    }
    with open(target, "a", encoding="utf-8") as fh:
        fh.write(json.dumps(line) + "\n")


#: The longest cases first, so that xdist's workers finish together.
ORDERED = sorted(VARIANTS, key=lambda v: (not v.harmless, -len(v.areas)))


def _unexplained(document: dict[str, Any], allowed: set[str]) -> list[str]:
    """Requirements the run judged that did not pass, apart from ``allowed``."""
    return [
        f"{r['id']}={r['outcome']}"
        for r in document["requirements"]
        if r["id"] not in allowed
        and r["outcome"] not in ("passed", "disabled")
        and "no test of it was collected" not in r["notes"]
    ]


@pytest.mark.parametrize("variant", ORDERED, ids=[v.name for v in ORDERED])
def test_suite_judges_variant(variant: Variant, tmp_path: Path) -> None:
    document, output, elapsed = run_suite(variant, tmp_path)
    _record(variant, document, elapsed)
    verdict = document["verdict"]
    outcomes = {r["id"]: r["outcome"] for r in document["requirements"]}
    failures = _failures(document)
    detail = "\n".join(failures) or "(no requirement failed)"
    summary = (
        f"verdict {verdict['status']}: {verdict['reasons']}, "
        f"{document['tests']} tests in {elapsed:.1f}s"
    )
    wrong = {k: outcomes.get(k) for k, v in variant.outcomes.items() if outcomes.get(k) != v}
    assert not wrong, (
        f"variant {variant.name!r}: outcomes {wrong}, expected {dict(variant.outcomes)}"
    )
    errors = [e["nodeid"] for e in document["suite_errors"]]
    assert not errors, f"variant {variant.name!r}: suite errors {errors}\n{detail}\n{output}"
    if variant.harmless:
        failed = [
            r["id"] for r in document["requirements"]
            if r["outcome"] in ("failed", "error") and r["id"] not in variant.outcomes
        ]  # fmt: skip
        assert verdict["exit_code"] == 0 or set(verdict["blocking"]) <= set(variant.outcomes), (
            f"harmless variant {variant.name!r} ({variant.doc}) was judged non-conforming: "
            f"{summary}\n{detail}\n{output if not failures else ''}"
        )
        assert not failed, f"harmless variant {variant.name!r}: {summary}\n{detail}"
        return
    missed = [req_id for req_id in variant.breaks if outcomes.get(req_id) != "failed"]
    assert verdict["exit_code"] != 0 and not missed, (
        f"broken variant {variant.name!r} ({variant.doc}) not caught as expected: {summary}\n"
        f"expected failed: {', '.join(variant.breaks)}; not named: {', '.join(missed) or '-'} "
        f"({', '.join(f'{i}={outcomes.get(i)}' for i in missed)})\n{detail}"
    )
    if variant.status:
        assert verdict["status"] == variant.status, f"{variant.name}: {summary}"
    if variant.alone:
        others = _unexplained(document, set(variant.breaks))
        assert not others, f"{variant.name}: also {others}: {summary}\n{detail}"


def test_every_must_has_a_killing_variant() -> None:
    """The suite is proved able to fail every MUST: some broken variant names each one."""
    musts = sorted(r.id for r in load().requirements.values() if r.is_must)
    killed = {req_id for v in VARIANTS if not v.harmless for req_id in v.breaks}
    missing = [req_id for req_id in musts if req_id not in killed]
    print(f"MUSTs with a killing variant: {len(musts) - len(missing)}/{len(musts)}")
    assert not missing, f"MUSTs no broken variant names: {', '.join(missing)}"
