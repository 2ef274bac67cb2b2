"""The pytest plugin (entry point ``fn_conformance``).

It registers options always, and acts only when the suite is selected: with ``--fn-conformance``
(what ``fn-conformance run`` passes) or when the collected arguments are the suite package.
Then it builds the configuration, starts the embedded reference server when no target URL is
given, provides the fixtures the suite uses, maps test results to requirements, cleans up what
the run created and writes the reports.
"""

from __future__ import annotations

import dataclasses
import json
import random
import time
from collections.abc import Generator, Iterator
from pathlib import Path
from typing import Any

import pytest

from . import config as confmod
from ._server import LocalServer
from .client import Budget, FnClient
from .errors import ConformanceError
from .failures import SKIP_PREFIXES, ConformanceFailure, Outcome
from .recorder import Recorder
from .requirements import load as load_catalogue
from .resources import Factory, Ledger, Names, new_run_id, run_prefix

SUITE_DIR = Path(__file__).parent / "suite"
STATE = pytest.StashKey["RunState"]()
#: The embedded reference server is started with this request size limit, so FN-SEC-001 runs.
EMBEDDED_MAX_REQUEST_SIZE = 1024 * 1024

_OPTIONS = [
    # (flag, config key, help)
    (
        "--fn-target",
        "api_url",
        "base URL of the Fn API (default: FN_API_URL, else the embedded reference server)",
    ),
    ("--fn-invoke-url", "invoke_url", "base URL for /invoke and /t (default: the target URL)"),
    ("--fn-token", "token", "bearer token sent with every request (redacted in reports)"),
    ("--fn-profile", "profile", "requirement profile to check (default: core)"),
    ("--fn-effort", "effort", "hypothesis effort: dev, ci (default) or thorough"),
    ("--fn-timeout-multiplier", "timeout_multiplier", "multiply every timeout and wait"),
    ("--fn-run-id", "run_id", "run id used in resource names and the report folder"),
    ("--fn-request-budget", "request_budget", "stop with an error after this many requests"),
    ("--fn-report-dir", "report_dir", "folder for reports/<run-id>/ (default: reports)"),
    ("--fn-baseline", "baseline", "file of known deviations: only new failures fail the run"),
    (
        "--fn-max-request-size",
        "max_request_size",
        "the target's request size limit in bytes, if known",
    ),
    ("--fn-image", "fn_image", "image name for the fns the suite creates"),
    ("--fn-seed", "seed", "hypothesis seed (default: random, recorded in the report)"),
]


class RunState:
    """Everything the plugin keeps for one run (per process)."""

    def __init__(self, cfg: confmod.ConformanceConfig, *, worker: str, report_dir: Path) -> None:
        self.cfg = cfg
        self.worker = worker
        self.report_dir = report_dir
        self.catalogue = load_catalogue()
        self.recorder = Recorder()
        self.server: LocalServer | None = None
        self.results: list[dict[str, Any]] = []
        self.items_per_area: dict[str, int] = {}
        self.done_per_area: dict[str, list[str]] = {}
        self.verdict: dict[str, Any] = {}
        self.pytest_config: pytest.Config | None = None
        self.budget: Budget | None = None
        self.started = time.time()
        self.problems: list[str] = []

    @property
    def writer(self) -> Any:
        if self.pytest_config is None or not self.is_controller:
            return None
        reporter = self.pytest_config.pluginmanager.get_plugin("terminalreporter")
        return reporter if reporter is not None else None

    @property
    def is_controller(self) -> bool:
        return self.worker in ("", "master")


def pytest_addoption(parser: pytest.Parser) -> None:
    group = parser.getgroup("fn-conformance", "Fn conformance suite")
    group.addoption("--fn-conformance", action="store_true", help="run the Fn conformance suite")
    group.addoption("--fn-config", help="TOML file with suite settings (FNCONF_CONFIG)")
    group.addoption(
        "--fn-header", action="append", default=[], help="extra header NAME=VALUE (repeatable)"
    )
    group.addoption(
        "--fn-capability",
        action="append",
        default=[],
        help="capability override NAME=on|off (repeatable)",
    )
    group.addoption("--fn-catalogue-check", action="store_true",
                    help="fail collection when a MUST requirement has no test")  # fmt: skip
    for flag, _key, help_text in _OPTIONS:
        group.addoption(flag, default=None, help=help_text)


def _active(config: pytest.Config) -> bool:
    workerinput = getattr(config, "workerinput", None)
    if config.getoption("fn_conformance", False) or (workerinput and workerinput.get("fn_active")):
        return True
    for arg in config.args:
        if arg.split("::")[0] in ("conformance.suite", "conformance/suite"):
            return True
        path = Path(arg.split("::")[0]).resolve()
        if path == SUITE_DIR or SUITE_DIR in path.parents:
            return True
    return False


def _build_config(config: pytest.Config) -> confmod.ConformanceConfig:
    options: dict[str, Any] = {
        key: config.getoption(flag.lstrip("-").replace("-", "_")) for flag, key, _ in _OPTIONS
    }
    options["headers"] = config.getoption("fn_header") or None
    options["capabilities"] = config.getoption("fn_capability") or None
    return confmod.build(options, config_file=config.getoption("fn_config"))


@pytest.hookimpl(tryfirst=True)
def pytest_configure(config: pytest.Config) -> None:
    config.addinivalue_line(
        "markers", "requirement(*ids): the catalogue requirements a test checks"
    )
    config.addinivalue_line(
        "markers", "requires(capability): skip as disabled when the capability is off"
    )
    if not _active(config):
        return
    from .hypothesis_profiles import load_profile

    cfg = _build_config(config)
    workerinput: dict[str, Any] | None = getattr(config, "workerinput", None)
    if workerinput is not None:
        cfg = dataclasses.replace(cfg, **workerinput["fn_config"])
        worker = workerinput.get("workerid", "gw")
    else:
        worker = ""
        if not cfg.run_id:
            cfg = dataclasses.replace(cfg, run_id=new_run_id())
        if not cfg.seed:
            cfg = dataclasses.replace(cfg, seed=random.randrange(1, 2**31))
    config.option.hypothesis_seed = str(cfg.seed)
    report_dir = Path(cfg.report_dir) / cfg.run_id
    state = RunState(cfg, worker=worker, report_dir=report_dir)
    config.stash[STATE] = state
    _CURRENT["state"] = state
    state.pytest_config = config
    load_profile(cfg.effort)
    if state.is_controller:
        report_dir.mkdir(parents=True, exist_ok=True)
        if not cfg.api_url:
            server = LocalServer(env={"FN_MAX_REQUEST_SIZE": str(EMBEDDED_MAX_REQUEST_SIZE)})
            server.start()
            state.server = server
            state.cfg = cfg = dataclasses.replace(
                cfg, api_url=server.url, max_request_size=EMBEDDED_MAX_REQUEST_SIZE
            )
        if not config.option.xmlpath:
            config.option.xmlpath = str(report_dir / "junit.xml")


def pytest_unconfigure(config: pytest.Config) -> None:
    state = config.stash.get(STATE, None)
    _CURRENT.clear()
    if state is not None and state.server is not None:
        state.server.stop()


@pytest.hookimpl(optionalhook=True)
def pytest_configure_node(node: Any) -> None:
    """xdist: every worker tests the same target under the same run id."""
    state = node.config.stash.get(STATE, None)
    if state is not None:
        node.workerinput["fn_active"] = True
        node.workerinput["fn_config"] = {
            "api_url": state.cfg.api_url,
            "run_id": state.cfg.run_id,
            "max_request_size": state.cfg.max_request_size,
            "seed": state.cfg.seed,
            # The budget is shared out between the workers.
            "request_budget": -(-state.cfg.request_budget // max(1, _worker_count(node))),
        }


def _worker_count(node: Any) -> int:
    return int(node.workerinput.get("workercount") or 1)


def _requirements_of(item: pytest.Item) -> list[str]:
    ids: list[str] = []
    for mark in item.iter_markers("requirement"):
        ids.extend(mark.args)
    return ids


def _area_of(item: pytest.Item | pytest.TestReport) -> str:
    nodeid = item.nodeid
    module = nodeid.split("::")[0].rsplit("/", 1)[-1]
    return module.removeprefix("test_").removesuffix(".py")


def _in_suite(item: pytest.Item) -> bool:
    path = Path(str(item.path)).resolve()
    return path == SUITE_DIR or SUITE_DIR in path.parents


def pytest_collection_modifyitems(
    session: pytest.Session, config: pytest.Config, items: list[pytest.Item]
) -> None:
    state = config.stash.get(STATE, None)
    if state is None:
        return
    catalogue = state.catalogue
    in_profile = {r.id for r in catalogue.in_profile(state.cfg.profile)}
    keep, dropped = [], []
    for item in items:
        ids = _requirements_of(item)
        if not ids:
            if _in_suite(item):
                raise pytest.UsageError(
                    f"{item.nodeid} declares no requirement (@pytest.mark.requirement)"
                )
            keep.append(item)  # not a conformance test: left alone
            continue
        unknown = [req_id for req_id in ids if req_id not in catalogue]
        if unknown:
            raise pytest.UsageError(
                f"{item.nodeid} names unknown requirements: {', '.join(unknown)}"
            )
        if not set(ids) & in_profile:
            dropped.append(item)
            continue
        for mark in item.iter_markers("requires"):
            for capability in mark.args:
                if not state.cfg.capability(capability):
                    item.add_marker(
                        pytest.mark.skip(reason=f"disabled: capability {capability} is off")
                    )
        keep.append(item)
    if config.getoption("fn_catalogue_check"):
        covered = {req_id for item in items for req_id in _requirements_of(item)}
        missing = [
            r.id for r in catalogue.requirements.values() if r.is_must and r.id not in covered
        ]
        if missing:
            raise pytest.UsageError(
                f"MUST requirements without a test: {', '.join(sorted(missing))}"
            )
    if dropped:
        config.hook.pytest_deselected(items=dropped)
        items[:] = keep
    for item in items:
        state.items_per_area[_area_of(item)] = state.items_per_area.get(_area_of(item), 0) + 1


# -- fixtures ------------------------------------------------------------------------------


def _state(request: pytest.FixtureRequest) -> RunState:
    state = request.config.stash.get(STATE, None)
    if state is None:
        raise ConformanceError("the Fn conformance plugin is not active (use --fn-conformance)")
    return state


@pytest.fixture(scope="session")
def fn_config(request: pytest.FixtureRequest) -> confmod.ConformanceConfig:
    return _state(request).cfg


@pytest.fixture(scope="session")
def fn_ledger(request: pytest.FixtureRequest) -> Iterator[Ledger]:
    state = _state(request)
    ledger = Ledger(state.report_dir / f"ledger-{state.worker or 'main'}.jsonl")
    yield ledger
    # Cleanup is never refused for budget: removing what the run made is what makes it safe.
    client = _make_client(state, budget=Budget(None))
    report = ledger.cleanup(client)
    state.report_dir.mkdir(parents=True, exist_ok=True)
    (state.report_dir / f"cleanup-{state.worker or 'main'}.json").write_text(
        json.dumps(
            {
                "created": len(ledger.entries),
                "deleted": report.deleted,
                "removed": len(ledger.entries)
                - len(report.leaked or [])
                - len(report.errors or []),
                "requests": state.budget.used if state.budget is not None else 0,
                "leaked": [e.__dict__ for e in report.leaked or []],
                "errors": report.errors,
            }
        )
    )


def _make_client(state: RunState, *, budget: Budget | None = None) -> FnClient:
    cfg = state.cfg
    return FnClient(
        cfg.api_url,
        invoke_url=cfg.invoke_url or None,
        headers=cfg.all_headers,
        secrets=cfg.secrets,
        timeout=cfg.request_timeout * cfg.timeout_multiplier,
        recorder=state.recorder,
        budget=budget or _budget(state),
    )


def _budget(state: RunState) -> Budget:
    if state.budget is None:
        state.budget = Budget(state.cfg.request_budget or None)
    return state.budget


@pytest.fixture(scope="session")
def fn(request: pytest.FixtureRequest, fn_ledger: Ledger) -> FnClient:
    """The client for the target; every entity it creates is recorded in the ledger."""
    client = _make_client(_state(request))
    client.observers.append(fn_ledger.observe)
    return client


@pytest.fixture(scope="session")
def names(request: pytest.FixtureRequest) -> Names:
    state = _state(request)
    return Names(state.cfg.run_id, state.worker.replace("gw", "w") if state.worker else "")


@pytest.fixture(scope="session")
def make(fn: FnClient, names: Names, fn_config: confmod.ConformanceConfig) -> Factory:
    return Factory(fn, names, image=fn_config.fn_image)


@pytest.fixture(scope="session")
def run_prefix_text(fn_config: confmod.ConformanceConfig) -> str:
    return run_prefix(fn_config.run_id)


# -- results -------------------------------------------------------------------------------


def pytest_runtest_setup(item: pytest.Item) -> None:
    state = item.config.stash.get(STATE, None)
    if state is not None:
        state.recorder.reset()


@pytest.hookimpl(hookwrapper=True)
def pytest_runtest_makereport(
    item: pytest.Item, call: pytest.CallInfo[None]
) -> Generator[None, Any, None]:
    outcome = yield
    report: pytest.TestReport = outcome.get_result()
    state = item.config.stash.get(STATE, None)
    if state is None:
        return
    ids = _requirements_of(item)
    result = _classify(report, call)
    if result is None or not ids:
        return
    failed_req = None
    if call.excinfo is not None:
        first = _leaves(call.excinfo.value)[0]
        if isinstance(first, ConformanceFailure):
            failed_req = first.requirement_id
    exchanges = (
        [e.to_dict() for e in state.recorder.exchanges[-5:]]
        if result != Outcome.PASSED.value
        else []
    )
    report.user_properties.append(("fn_result", json.dumps({
        "outcome": result,
        "requirements": ids,
        "failed_requirement": failed_req,
        "area": _area_of(item),
        "exchanges": exchanges,
    })))  # fmt: skip


def _leaves(exc: BaseException) -> list[BaseException]:
    """The exceptions inside (nested) exception groups, or the exception itself."""
    if isinstance(exc, BaseExceptionGroup):
        return [leaf for inner in exc.exceptions for leaf in _leaves(inner)]
    return [exc]


def _classify(report: pytest.TestReport, call: pytest.CallInfo[None]) -> str | None:
    """The outcome of one test phase, or None when the phase says nothing new."""
    if report.when == "call" or report.outcome != "passed":
        if report.outcome == "passed":
            return Outcome.PASSED.value if report.when == "call" else None
        if report.outcome == "skipped":
            reason = (
                report.longrepr[2] if isinstance(report.longrepr, tuple) else str(report.longrepr)
            )
            reason = reason.removeprefix("Skipped: ")
            for prefix, outcome in SKIP_PREFIXES.items():
                if reason.startswith(prefix):
                    return outcome.value
            return Outcome.NOT_RUN.value
        leaves = _leaves(call.excinfo.value) if call.excinfo is not None else []
        if leaves and all(isinstance(e, AssertionError) for e in leaves):
            return Outcome.FAILED.value
        return Outcome.ERROR.value
    return None


def pytest_runtest_logreport(report: pytest.TestReport) -> None:
    """Collect per-test results (on the controller, also for reports coming from xdist workers)."""
    state = _CURRENT.get("state")
    if state is None or not state.is_controller:
        return
    for name, value in report.user_properties:
        if name == "fn_result":
            data = json.loads(str(value))
            data["nodeid"] = report.nodeid
            data["when"] = report.when
            data["message"] = _message(report)
            state.results.append(data)
            _progress(state, data)


def _progress(state: RunState, data: dict[str, Any]) -> None:
    """One line per area as soon as its last test has a result (without xdist)."""
    area = data["area"]
    if data["when"] == "teardown":
        return
    done = state.done_per_area.setdefault(area, [])
    if data["nodeid"] in done:
        return
    done.append(data["nodeid"])
    total = state.items_per_area.get(area)
    writer = state.writer
    if total and len(done) == total and writer is not None:
        outcomes = [r["outcome"] for r in state.results if r["area"] == area]
        counts = {o: outcomes.count(o) for o in dict.fromkeys(outcomes)}
        text = ", ".join(f"{n} {o}" for o, n in counts.items())
        if writer._tw.width_of_current_line:  # finish the line of progress dots first
            writer._tw.line()
        writer.write_line(f"fn-conformance: {area:<12} {text}")


_CURRENT: dict[str, RunState] = {}


def _message(report: pytest.TestReport) -> str:
    if report.passed:
        return ""
    if report.skipped and isinstance(report.longrepr, tuple):
        return str(report.longrepr[2])
    crash = getattr(report.longrepr, "reprcrash", None)
    text = str(crash.message) if crash is not None else str(report.longrepr)
    return text[:4000]


@pytest.hookimpl(trylast=True)  # after the runner tore down the session fixtures (cleanup)
def pytest_sessionfinish(session: pytest.Session, exitstatus: int) -> None:
    state = session.config.stash.get(STATE, None)
    if state is None or not state.is_controller or session.config.option.collectonly:
        return
    from .report import write_reports

    if exitstatus == pytest.ExitCode.INTERRUPTED:
        state.problems.append("the run was interrupted before every test ran")
    try:
        state.verdict = write_reports(state, session)
    except ConformanceError as exc:
        session.config.get_terminal_writer().line(
            f"fn-conformance: cannot write reports: {exc}", red=True
        )
        session.exitstatus = pytest.ExitCode.INTERNAL_ERROR
        return
    if exitstatus in (pytest.ExitCode.OK, pytest.ExitCode.TESTS_FAILED):
        session.exitstatus = (
            pytest.ExitCode.OK if state.verdict["passed"] else pytest.ExitCode.TESTS_FAILED
        )


def pytest_terminal_summary(terminalreporter: Any, exitstatus: int, config: pytest.Config) -> None:
    state = config.stash.get(STATE, None)
    if state is None or not state.is_controller or not state.verdict:
        return
    from .report.terminal import summary_lines

    for line in summary_lines(state.verdict):
        terminalreporter.write_line(line)
