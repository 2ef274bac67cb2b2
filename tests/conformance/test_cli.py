"""``fn-conformance`` as a user meets it: every configuration error is one line and exit 2, a
target that is not there or not Fn is one line and exit 3 within seconds, narrowed runs never
read as conformant, and every command line the README shows is one the CLI accepts."""

from __future__ import annotations

import http.server
import json
import os
import shlex
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from conformance._server import LocalServer, free_port
from conformance.cli import parser

ROOT = Path(__file__).resolve().parents[2]
README = ROOT / "README.md"


def cli(
    *args: str, env: dict[str, str] | None = None, timeout: float = 120
) -> subprocess.CompletedProcess[str]:
    clean = {k: v for k, v in os.environ.items() if not k.startswith(("FNCONF_", "FN_API_URL"))}
    return subprocess.run(
        [sys.executable, "-m", "conformance.cli", *args], cwd=ROOT, env={**clean, **(env or {})},
        capture_output=True, text=True, timeout=timeout, check=False,
    )  # fmt: skip


def _lines(text: str) -> list[str]:
    return [line for line in text.splitlines() if line.strip()]


@pytest.fixture(scope="module")
def files(tmp_path_factory: pytest.TempPathFactory) -> dict[str, str]:
    folder = tmp_path_factory.mktemp("config")
    made = {
        "bad_toml": "profile = \n",
        "unknown_toml": 'colour = "blue"\n',
        "bad_baseline": "deviations:\n  - id: FN-NOPE-001\n    reason: x\n",
        "no_reason": "deviations:\n  - id: FN-APP-001\n",
    }
    for name, text in made.items():
        (folder / name).write_text(text)
    return {name: str(folder / name) for name in made} | {"missing": str(folder / "nope.toml")}


CONFIG_ERRORS = {
    "bad-toml": (["--config", "{bad_toml}"], {}, "is not valid TOML"),
    "unknown-key": (["--config", "{unknown_toml}"], {}, "unknown keys in the config file"),
    "unknown-env": ([], {"FNCONF_BOGUS": "1"}, "unknown setting FNCONF_BOGUS"),
    "missing-config": (["--config", "{missing}"], {}, "cannot read the config file"),
    "unknown-profile": (
        ["--profile", "nope"],
        {},
        "unknown profile 'nope' (known: api, cluster, full)",
    ),
    "bad-target": (["--target", "notaurl"], {}, "must be an http:// or https:// URL"),
    "unknown-capability": (["--capability", "foo=on"], {}, "unknown capability 'foo'"),
    "header-without-value": (["--header", "novalue"], {}, "expected NAME=VALUE"),
    "negative-budget": (["--request-budget", "-5"], {}, "must be 0 (none) or more, not -5"),
    "zero-multiplier": (["--timeout-multiplier", "0"], {}, "must be above 0"),
    "missing-baseline": (["--baseline", "{missing}"], {}, "cannot read the baseline"),
    "baseline-unknown-id": (["--baseline", "{bad_baseline}"], {}, "unknown requirement"),
    "baseline-no-reason": (["--baseline", "{no_reason}"], {}, "needs an id and a reason"),
    "requirement-matching-nothing": (["--requirement", "FN-NOPE-*"], {}, "matches no requirement"),
    "bad-effort": (["--effort", "maximal"], {}, "effort (--effort, FNCONF_EFFORT) must be one of"),
    "target-and-image": (
        ["--target", "http://127.0.0.1:9", "--target-image", "x:1"],
        {},
        "--target-image starts the target itself: give it or --target (FN_API_URL), not both",
    ),
    "env-without-image": (["--target-env", "FN_X=1"], {}, "give the image too"),
    "restart-with-image": (
        ["--target-image", "x:1", "--restart-command", "true"],
        {},
        "is for a target the suite did not start",
    ),
    "bad-target-port": (["--target-image", "x:1", "--target-port", "0"], {}, "must be a TCP port"),
    "evictor-nodes-without-image": (["--target-evictor-nodes"], {}, "give the image too"),
    "evictor-nodes-twice": (
        ["--target-image", "x:1", "--target-evictor-nodes", "--evictor-node", "blocking=http://a"],
        {},
        "--target-evictor-nodes starts the evictor nodes itself",
    ),
}


@pytest.mark.parametrize("case", list(CONFIG_ERRORS), ids=list(CONFIG_ERRORS))
def test_configuration_errors_are_one_line_and_exit_2(case: str, files: dict[str, str]) -> None:
    args, env, said = CONFIG_ERRORS[case]
    started = time.monotonic()
    result = cli("run", *(a.format(**files) for a in args), env=env)
    lines = _lines(result.stderr)
    assert result.returncode == 2, result.stdout[-2000:] + result.stderr
    assert len(lines) == 1, lines
    assert lines[0].startswith("fn-conformance: configuration error: "), lines
    assert said in lines[0], lines
    assert "Traceback" not in result.stdout + result.stderr
    assert time.monotonic() - started < 20  # found before any test ran


def test_unreachable_target_is_one_line_exit_3_within_5_s() -> None:
    port = free_port()
    started = time.monotonic()
    result = cli("run", "--target", f"http://127.0.0.1:{port}")
    took = time.monotonic() - started
    lines = _lines(result.stdout + result.stderr)
    assert result.returncode == 3, lines
    assert lines == [f"fn-conformance: cannot reach the target at http://127.0.0.1:{port}: "
                     "connection refused"]  # fmt: skip
    assert took < 5, took


class _NotFn(http.server.BaseHTTPRequestHandler):
    def do_GET(self) -> None:
        body = b"<html><body>Welcome to nginx!</body></html>"
        self.send_response(200 if self.path == "/" else 404)
        self.send_header("Content-Type", "text/html")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, *_: object) -> None:
        pass


@pytest.fixture
def not_fn() -> Iterator[str]:
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), _NotFn)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_address[1]}"
    server.shutdown()
    server.server_close()


def test_a_server_that_is_not_fn_is_one_line_exit_3_within_5_s(not_fn: str) -> None:
    started = time.monotonic()
    result = cli("run", "--target", not_fn)
    took = time.monotonic() - started
    lines = _lines(result.stdout + result.stderr)
    assert result.returncode == 3, lines
    assert len(lines) == 1 and "does not look like an Fn server" in lines[0], lines
    assert took < 5, took


@pytest.fixture(scope="module")
def target() -> Iterator[LocalServer]:
    with LocalServer() as server:
        yield server


def test_a_selection_of_nothing_is_a_usage_error(target: LocalServer, tmp_path: Path) -> None:
    result = cli("run", "--target", target.url, "-k", "zzznothing", "--report-dir", str(tmp_path))
    assert result.returncode == 2, result.stdout[-2000:]
    assert "no test of the profile matches this selection" in result.stdout + result.stderr


def test_a_narrowed_run_judges_only_what_it_ran_and_is_never_conformant(
    target: LocalServer, tmp_path: Path
) -> None:
    result = cli("run", "--target", target.url, "-k", "version", "--report-dir", str(tmp_path),
                 "--run-id", "narrow01")  # fmt: skip
    assert result.returncode == 0, result.stdout[-3000:]
    assert "verdict: NARROWED" in result.stdout
    document = json.loads((tmp_path / "narrow01" / "results.json").read_text())
    assert document["verdict"]["status"] == "narrowed"
    assert not document["verdict"]["conformant"]
    assert document["narrowed_by"] == ["-k 'version'"]
    judged = {r["id"] for r in document["requirements"] if r["outcome"] == "passed"}
    assert judged == {"FN-ERR-008"}, judged


def test_requirement_patterns_select_by_id(target: LocalServer, tmp_path: Path) -> None:
    result = cli("run", "--target", target.url, "--requirement", "FN-DEL-*", "--effort", "dev",
                 "--report-dir", str(tmp_path), "--run-id", "bypatt01")  # fmt: skip
    assert result.returncode == 0, result.stdout[-3000:]
    document = json.loads((tmp_path / "bypatt01" / "results.json").read_text())
    passed = {r["id"] for r in document["requirements"] if r["outcome"] == "passed"}
    assert {f"FN-DEL-00{i}" for i in range(1, 5)} <= passed
    assert "FN-APP-006" not in passed and document["verdict"]["status"] == "narrowed"


def test_no_disruptive_leaves_those_tests_out_and_says_so(
    target: LocalServer, tmp_path: Path
) -> None:
    result = cli("run", "--target", target.url, "--no-disruptive", "--effort", "dev",
                 "-k", "bad_input or annotations", "--report-dir", str(tmp_path),
                 "--run-id", "nodisr01")  # fmt: skip
    assert result.returncode == 0, result.stdout[-3000:]
    document = json.loads((tmp_path / "nodisr01" / "results.json").read_text())
    assert "--no-disruptive" in document["left_out"]
    sec003 = next(r for r in document["requirements"] if r["id"] == "FN-SEC-003")
    assert sec003["outcome"] == "not-run"
    assert any("--no-disruptive" in note for note in sec003["notes"])
    assert (
        "Left out by the user: --no-disruptive" in (tmp_path / "nodisr01" / "report.md").read_text()
    )


def test_cleanup_of_an_unknown_run_warns(target: LocalServer, tmp_path: Path) -> None:
    result = cli("cleanup", "--run-id", "doesnotexist", "--target", target.url,
                 "--report-dir", str(tmp_path))  # fmt: skip
    assert result.returncode == 0, result.stderr
    assert "warning: no ledger of run doesnotexist" in result.stderr


def _shell_lines() -> list[str]:
    """The lines of the README's shell code blocks (```sh)."""
    lines, inside = [], False
    for line in README.read_text().splitlines():
        if line.startswith("```"):
            inside = not inside and line.strip() in ("```sh", "```bash")
            continue
        if inside:
            lines.append(line)
    return lines


def _readme_command_lines() -> list[str]:
    """Every ``fn-conformance ...`` command in the README's shell blocks (one per ``&&`` part)."""
    found = []
    for line in _shell_lines():
        for part in line.split("  #", 1)[0].split("&&"):
            words = shlex.split(part)
            if words and words[0].endswith("fn-conformance"):
                found.append(part.strip())
    return found


def test_the_readme_shows_command_lines() -> None:
    assert len(_readme_command_lines()) >= 5


@pytest.mark.parametrize("line", _readme_command_lines())
def test_every_readme_command_line_is_accepted(line: str) -> None:
    words = shlex.split(line.replace("$TOKEN", "t0ken"))
    args = parser().parse_args(words[1:])
    assert args.command in ("run", "cleanup", "build-probe", "build-image", "diff")


def test_build_probe_without_an_engine_is_one_line_and_exit_3(tmp_path: Path) -> None:
    env = {**os.environ, "DOCKER_HOST": "unix:///nonexistent/docker.sock"}
    proc = subprocess.run(
        [sys.executable, "-m", "conformance.cli", "build-probe"], env=env, cwd=ROOT,
        capture_output=True, text=True, timeout=60, check=False,
    )  # fmt: skip
    lines = [line for line in proc.stderr.splitlines() if line.strip()]
    assert proc.returncode == 3 and len(lines) == 1, proc.stderr
    assert "no Docker-compatible engine" in lines[0] and "podman-engine.sh up" in lines[0]


def test_a_run_ignores_the_pytest_configuration_around_it(
    target: LocalServer, tmp_path: Path
) -> None:
    """Neither the working directory's pytest configuration nor one beside a path option (the
    baseline here) steers the run: it is the same wherever it is started."""
    (tmp_path / "pytest.ini").write_text("[pytest]\naddopts = -k nothing_matches_this\n")
    baseline = tmp_path / "baseline.yml"
    baseline.write_text("deviations:\n  - id: FN-APP-006\n    reason: an example\n")
    clean = {k: v for k, v in os.environ.items() if not k.startswith(("FNCONF_", "FN_API_URL"))}
    proc = subprocess.run(
        [sys.executable, "-m", "conformance.cli", "run", "--target", target.url,
         "--requirement", "FN-APP-001", "--baseline", str(baseline), "--report-dir", "reports",
         "--run-id", "noconfig1"],
        cwd=tmp_path, env=clean, capture_output=True, text=True, timeout=120, check=False,
    )  # fmt: skip
    assert proc.returncode == 0, proc.stdout[-2000:] + proc.stderr[-2000:]
    document = json.loads((tmp_path / "reports" / "noconfig1" / "results.json").read_text())
    passed = {r["id"] for r in document["requirements"] if r["outcome"] == "passed"}
    assert "FN-APP-001" in passed
    [app_001] = [r for r in document["requirements"] if r["id"] == "FN-APP-001"]
    assert app_001["tests"]
    assert all(t["nodeid"].startswith("test_apps.py::") for t in app_001["tests"])


def test_a_target_image_without_an_engine_is_one_line_exit_3_saying_how_to_get_one(
    tmp_path: Path,
) -> None:
    result = cli(
        "run", "--target-image", "localhost/fn-reference:0", "--report-dir", str(tmp_path),
        env={"DOCKER_HOST": "unix:///nonexistent/docker.sock"},
    )  # fmt: skip
    lines = _lines(result.stderr)
    assert result.returncode == 3 and len(lines) == 1, result.stdout[-2000:] + result.stderr
    assert "no Docker-compatible engine at DOCKER_HOST" in lines[0]
    assert "podman-engine.sh up" in lines[0]


def test_build_image_without_an_engine_is_one_line_and_exit_3() -> None:
    result = cli("build-image", env={"DOCKER_HOST": "unix:///nonexistent/docker.sock"})
    lines = _lines(result.stderr)
    assert result.returncode == 3 and len(lines) == 1, result.stderr
    assert "no Docker-compatible engine" in lines[0] and "podman-engine.sh up" in lines[0]


def test_an_unreachable_evictor_node_is_one_line_and_exit_3(tmp_path: Path) -> None:
    """A node the user named that does not answer is their setup, not the target's failure."""
    from conformance._server import LocalServer, free_port

    dead = f"http://127.0.0.1:{free_port()}"
    with LocalServer() as server:
        proc = subprocess.run(
            [sys.executable, "-m", "conformance.cli", "run", "--target", server.url,
             "--evictor-node", f"blocking={dead}", "--report-dir", str(tmp_path),
             "--requirement", "FN-EVI-*"],
            cwd=ROOT, capture_output=True, text=True, timeout=120, check=False,
        )  # fmt: skip
    assert proc.returncode == 3, proc.stdout[-2000:] + proc.stderr[-2000:]
    assert f"evictor node blocking={dead}" in proc.stdout + proc.stderr
