"""The pytest plugin (entry point ``fn_conformance``): the hooks, each handing off to a module.

It registers its options always, and acts only when the suite is selected: with
``--fn-conformance`` (what ``fn-conformance run`` passes) or when the collected arguments are
the suite package. Then:

* ``options``: the configuration, checked before anything runs;
* ``target``: the embedded reference server when no target is given, and the preflight;
* ``selection``: requirement markers, profile, user narrowing, disruptive tests last;
* ``watchdog``: a target that dies or wedges fails the test that did it; restart or stop;
* ``outcomes``: each test phase becomes a typed result, sent to the controller as an event;
* ``progress``: one line per area; ``finish``: cleanup, verdict, the report writers.
"""

from __future__ import annotations

import dataclasses
import json
import random
from collections.abc import Generator
from pathlib import Path
from typing import Any

import pytest

from ..failures import ConformanceFailure, not_run
from ..report import terminal, write_reports
from ..requirements import load as load_catalogue
from ..resources import new_run_id
from ..results import RunCollector, TargetInfo, TestResult
from . import finish as finishing
from . import options, progress, selection, target
from .fixtures import cluster, evictor_nodes, fn, fn_config, fn_ledger, make, names, probe
from .outcomes import classify, mark_failed
from .state import STATE, RunState, get
from .watchdog import DisruptionLock, Watchdog

RESULT_PROPERTY = "fn_result"
#: The controller's state, for the hooks pytest calls without the config (logreport).
_CONTROLLER: dict[str, RunState] = {}


def _controller_state() -> RunState | None:
    return _CONTROLLER.get("state")


def pytest_addoption(parser: pytest.Parser) -> None:
    options.add_options(parser)


def _active(config: pytest.Config) -> bool:
    workerinput = getattr(config, "workerinput", None)
    if config.getoption("fn_conformance", False) or (workerinput and workerinput.get("fn_active")):
        return True
    for arg in config.args:
        if arg.split("::")[0] in ("conformance.suite", "conformance/suite"):
            return True
        path = Path(arg.split("::")[0]).resolve()
        if path == selection.SUITE_DIR or selection.SUITE_DIR in path.parents:
            return True
    return False


@pytest.hookimpl(tryfirst=True)
def pytest_configure(config: pytest.Config) -> None:
    config.addinivalue_line(
        "markers", "requirement(*ids): the catalogue requirements a test judges"
    )
    config.addinivalue_line(
        "markers", "disruptive: sends input known to break fragile servers (runs last, alone)"
    )
    if not _active(config):
        return
    from ..hypothesis_profiles import load_profile

    cfg = options.build(config)
    workerinput: dict[str, Any] | None = getattr(config, "workerinput", None)
    if workerinput is not None:
        shared = workerinput["fn_shared"]
        cfg = dataclasses.replace(cfg, **shared["config"])
        cfg = dataclasses.replace(cfg, runners=tuple(cfg.runners))
        worker = str(workerinput.get("workerid", "gw"))
        info = TargetInfo(**shared["target"])
        restart = shared["restart"]
    else:
        worker = ""
        cfg = dataclasses.replace(
            cfg,
            run_id=cfg.run_id or new_run_id(),
            seed=cfg.seed or random.randrange(1, 2**31),
        )
        restart = None
        info = TargetInfo(cfg.api_url, cfg.invoke_url or cfg.api_url, embedded=not cfg.api_url)
    folder = Path(cfg.report_dir) / cfg.run_id
    catalogue = load_catalogue()
    state = RunState(
        cfg=cfg,
        worker=worker,
        folder=folder,
        catalogue=catalogue,
        baseline=options.check(cfg, catalogue),
        watchdog=Watchdog(
            api_url=cfg.api_url,
            headers=cfg.all_headers,
            folder=folder,
            restarter=None,
            multiplier=cfg.timeout_multiplier,
        ),
        target=info,
        pytest_config=config,
    )
    config.stash[STATE] = state
    finishing.remember_sigint(state)
    config.option.hypothesis_seed = str(cfg.seed)
    load_profile(cfg.effort)
    if state.is_controller:
        _CONTROLLER["state"] = state
        if not config.option.collectonly:
            target.start(state)  # embedded server, preflight; may end the run with exit 3
        state.collector = RunCollector(
            catalogue,
            cfg.profile,
            disabled=frozenset(
                r.id
                for r in catalogue.requirements.values()
                if r.capability and not state.cfg.capability(r.capability)
            ),
        )
        if not config.option.xmlpath:
            config.option.xmlpath = str(folder / "junit.xml")
    else:
        state.watchdog.restarter = target.restarter_from(restart)
        state.lock = DisruptionLock(folder)


def pytest_unconfigure(config: pytest.Config) -> None:
    state = get(config)
    if state is not None:
        target.stop(state)


@pytest.hookimpl(optionalhook=True)
def pytest_configure_node(node: Any) -> None:
    """xdist: every worker tests the same target under the same run id."""
    state = get(node.config)
    if state is None:
        return
    cfg = state.cfg
    workers = max(1, int(node.workerinput.get("workercount") or 1))
    node.workerinput["fn_active"] = True
    node.workerinput["fn_shared"] = {
        "config": {
            "api_url": cfg.api_url,
            # The controller started the target image; the workers only test it.
            "target_image": "",
            "target_env": {},
            "target_evictor_nodes": False,
            "run_id": cfg.run_id,
            "max_request_size": cfg.max_request_size,
            "node_memory": cfg.node_memory,
            "evictor_nodes": dict(cfg.evictor_nodes),
            "evictor_fn_memory": cfg.evictor_fn_memory,
            "lb_url": cfg.lb_url,
            "runners": list(cfg.runners),
            "runner_command": cfg.runner_command,
            "seed": cfg.seed,
            # The budget is shared out between the workers.
            "request_budget": -(-cfg.request_budget // workers),
        },
        "target": dataclasses.asdict(state.target),
        "restart": target.restart_spec(state),
    }


@pytest.hookimpl(wrapper=True)
def pytest_collection_modifyitems(
    session: pytest.Session, config: pytest.Config, items: list[pytest.Item]
) -> Generator[None, None, None]:
    state = get(config)
    if state is not None:
        selection.before_user_selection(state, config, items)
    result = yield
    if state is not None:
        selection.after_user_selection(state, items)
        if config.getoption("fn_catalogue_check"):
            _check_catalogue(state)
        if state.is_controller:
            progress.plan(state, state.collected)
    return result


def _check_catalogue(state: RunState) -> None:
    covered = {req_id for item in state.collected for req_id in item.requirements}
    missing = [
        r.id for r in state.catalogue.requirements.values() if r.is_must and r.id not in covered
    ]
    if missing:
        raise pytest.UsageError(f"MUST requirements without a test: {', '.join(sorted(missing))}")


@pytest.hookimpl(wrapper=True)
def pytest_runtest_protocol(
    item: pytest.Item, nextitem: pytest.Item | None
) -> Generator[None, Any, Any]:
    state = get(item.config)
    lock = state.lock if state is not None else None
    if lock is not None:
        lock.acquire(exclusive=selection.is_disruptive(item))
    try:
        return (yield)
    finally:
        if lock is not None:
            lock.release()


@pytest.hookimpl(tryfirst=True)
def pytest_runtest_setup(item: pytest.Item) -> None:
    state = get(item.config)
    if state is None:
        return
    if state.sigint:
        raise KeyboardInterrupt  # a Ctrl-C that something swallowed
    state.recorder.reset()
    state.watchdog.begin(item.nodeid)
    if selection.requirements_of(item):
        down = state.watchdog.down(wait=True)
        if down is not None:
            not_run(f"the target stopped answering after {down.by}")


@pytest.hookimpl(wrapper=True)
def pytest_runtest_makereport(
    item: pytest.Item, call: pytest.CallInfo[None]
) -> Generator[None, pytest.TestReport, pytest.TestReport]:
    report = yield
    state = get(item.config)
    requirements = selection.requirements_of(item)
    if state is None or not requirements:
        return report
    extra: list[ConformanceFailure] = []
    if report.when == "call" and not report.skipped:
        crash = state.watchdog.after_test(state.recorder, disruptive=selection.is_disruptive(item))
        extra += [crash] if crash is not None else []
    result = classify(
        report, call.excinfo, requirements=requirements, recorder=state.recorder, extra=extra
    )
    if result is not None:
        report.user_properties.append((RESULT_PROPERTY, json.dumps(result.to_dict())))
    if report.when == "call" and report.passed and (state.recorder.findings or extra):
        mark_failed(report, [*state.recorder.findings, *extra])
    elif extra:
        report.longrepr = f"{report.longrepr}\n\n{extra[0]}"
    return report


def pytest_runtest_logreport(report: pytest.TestReport) -> None:
    """On the controller: every result, also those coming from xdist workers, as an event."""
    state = _controller_state()
    if state is None or state.collector is None:
        return
    for name, value in report.user_properties:
        if name == RESULT_PROPERTY:
            state.collector.add(TestResult.from_dict(json.loads(str(value))))
    if report.when == "teardown":
        if not state.collected:  # xdist: the controller did not collect; the workers did
            state.collected = selection.read_collected(state.folder)
            progress.plan(state, state.collected)
        _progress(state, report.nodeid)


def _progress(state: RunState, nodeid: str) -> None:
    assert state.collector is not None
    writer = state.pytest_config.pluginmanager.get_plugin("terminalreporter")
    for line in progress.finished(state, nodeid, state.collector):
        if writer is None:
            continue
        if writer._tw.width_of_current_line:  # finish the line of progress dots first
            writer._tw.line()
        writer.write_line(line)


def pytest_keyboard_interrupt(excinfo: pytest.ExceptionInfo[BaseException]) -> None:
    """A Ctrl-C (pytest also comes here for collection errors and xdist's stops: not those)."""
    state = _controller_state()
    value = excinfo.value
    if isinstance(value, pytest.Session.Interrupted):
        return
    if type(value).__name__ == "Interrupted" and "keyboard-interrupt" not in str(value):
        return
    if state is not None:
        state.interrupted = True


@pytest.hookimpl(tryfirst=True)
def pytest_sessionfinish(session: pytest.Session, exitstatus: int) -> None:
    """First of all: a Ctrl-C from here on must not cut cleanup short."""
    state = get(session.config)
    if state is not None and state.is_controller and not session.config.option.collectonly:
        state.shield = finishing.SigintShield(state)
        state.shield.install()


@pytest.hookimpl(trylast=True, specname="pytest_sessionfinish")  # after xdist's workers stopped
def pytest_sessionfinish_last(session: pytest.Session, exitstatus: int) -> None:
    state = get(session.config)
    if state is None or session.config.option.collectonly:
        return
    if not state.is_controller:
        finishing.record_requests(state)
        return
    try:
        _finish(state, session, exitstatus)
    finally:
        if state.shield is not None:
            state.shield.remove()


def _finish(state: RunState, session: pytest.Session, exitstatus: int) -> None:
    _CONTROLLER.clear()
    if exitstatus == pytest.ExitCode.INTERRUPTED and not state.interrupted:
        session.exitstatus = 3  # collection failed (pytest said why): an error of the suite
        return
    selected = state.collected or selection.read_collected(state.folder)
    if not any(c.selected for c in selected) and not state.interrupted:
        session.config.get_terminal_writer().line(
            "fn-conformance: no test of the profile matches this selection", red=True
        )
        session.exitstatus = 2
        return
    state.result = run = finishing.finish(state, session)
    state.report_paths = write_reports(run, state.folder)
    session.exitstatus = run.verdict.exit_code


def pytest_terminal_summary(terminalreporter: Any, exitstatus: int, config: pytest.Config) -> None:
    state = get(config)
    if state is None or state.result is None:
        return
    for line in terminal.summary_lines(state.result, state.report_paths):
        terminalreporter.write_line(line)


__all__ = ["cluster", "evictor_nodes", "fn", "fn_config", "fn_ledger", "make", "names", "probe"]
