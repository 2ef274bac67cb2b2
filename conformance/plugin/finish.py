"""The end of a run (controller only): clean up, decide the verdict, hand the result to the
writers. Runs after the workers stopped, also after Ctrl-C or a crash of the target."""

from __future__ import annotations

import signal
import sys
import threading
import time
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest

from .. import __version__
from ..client import FnClient
from ..failures import Outcome
from ..ledger import CleanupReport, clean_up, read_run
from ..resources import run_prefix
from ..results import Cleanup, Collected, RunResult, decide
from .selection import narrowing, read_collected
from .state import RunState
from .target import attach_log
from .watchdog import crashes

REQUESTS_FILE = "requests-{}.txt"


def record_requests(state: RunState) -> None:
    """Every process writes how many requests it sent; the controller adds them up."""
    used = state.budget.used if state.budget is not None else 0
    (state.folder / REQUESTS_FILE.format(state.process_name)).write_text(str(used))


def _requests_sent(folder: Path) -> int:
    return sum(int(p.read_text() or 0) for p in folder.glob(REQUESTS_FILE.format("*")))


def cleanup(state: RunState) -> CleanupReport:
    """Remove what the run created (every process's ledger), and confirm it is gone.

    The plugin shields it from a first Ctrl-C (:class:`SigintShield`).
    """
    cfg = state.cfg
    client = FnClient(
        cfg.api_url,
        headers=cfg.all_headers,
        secrets=cfg.secrets,
        timeout=min(cfg.timeout, 5.0 * cfg.timeout_multiplier),
    )
    return clean_up(client, read_run(state.folder), prefix=run_prefix(cfg.run_id))


def remember_sigint(state: RunState) -> None:
    """Note every Ctrl-C before Python raises it: a KeyboardInterrupt raised inside a garbage
    collector callback (hypothesis installs some) is printed and dropped, and the run would go
    on as if nothing happened. The next test then stops the run instead."""
    if threading.current_thread() is not threading.main_thread():
        return
    previous = signal.getsignal(signal.SIGINT)

    def on_sigint(signum: int, frame: Any) -> None:
        state.sigint = True
        if callable(previous):
            previous(signum, frame)
        else:
            raise KeyboardInterrupt

    signal.signal(signal.SIGINT, on_sigint)


class SigintShield:
    """From the end of the tests to the end of cleanup, a first Ctrl-C does not stop the run
    (stopping there would leave resources behind): it marks the run interrupted and cleanup
    goes on. A second one stops it."""

    def __init__(self, state: RunState) -> None:
        self.state = state
        self.hits = 0
        self.previous: Any = None

    def install(self) -> None:
        if threading.current_thread() is threading.main_thread() and self.previous is None:
            self.previous = signal.signal(signal.SIGINT, self._on_sigint)

    def remove(self) -> None:
        if self.previous is not None:
            signal.signal(signal.SIGINT, self.previous)
            self.previous = None

    def _on_sigint(self, signum: int, frame: Any) -> None:
        self.hits += 1
        if self.hits > 1:
            raise KeyboardInterrupt
        self.state.interrupted = True
        print("\nfn-conformance: cleaning up what the run created; Ctrl-C again to stop that "
              "(and leave it behind)", file=sys.stderr, flush=True)  # fmt: skip


def _iso(ts: float) -> str:
    return datetime.fromtimestamp(ts, UTC).isoformat(timespec="seconds")


def _effective(narrowed_by: list[str], collected: list[Collected], state: RunState) -> bool:
    """Did the narrowing leave out anything of the profile?"""
    if not narrowed_by:
        return False
    if any(not c.selected for c in collected):
        return True
    covered = {r for c in collected for r in c.requirements}
    return any(r.id not in covered for r in state.catalogue.in_profile(state.cfg.profile))


def finish(state: RunState, session: pytest.Session) -> RunResult:
    assert state.collector is not None, "the controller collects results"
    record_requests(state)
    collected = state.collected or read_collected(state.folder)
    report = cleanup(state)
    cfg = state.cfg
    rows = state.collector.requirement_results(collected, state.baseline)
    tests = tuple(state.collector.results.values())
    narrowed_by = narrowing(session.config, state)
    effective = tuple(narrowed_by) if _effective(narrowed_by, collected, state) else ()
    crash_log = tuple(crashes(state.folder))
    cleaned = Cleanup(
        created=report.created,
        deleted=report.deleted,
        gone=report.gone,
        leaked=tuple(e.__dict__ for e in report.leaked),
        errors=tuple(report.errors),
    )
    verdict = decide(
        rows,
        tests,
        cleanup=cleaned,
        narrowed_by=effective,
        crashes=crash_log,
        interrupted=state.interrupted,
    )
    finished = time.time()
    failed = {r.id for r in rows if r.outcome.value == "failed"}
    troubled = (
        failed or crash_log or cleaned.leaked or any(t.outcome == Outcome.ERROR for t in tests)
    )
    return RunResult(
        run_id=cfg.run_id,
        suite_version=__version__,
        started_at=_iso(state.started),
        finished_at=_iso(finished),
        duration_s=round(finished - state.started, 2),
        target=state.target,
        profile=cfg.profile,
        effort=cfg.effort,
        seed=cfg.seed,
        config=cfg.redacted(),
        requests_sent=_requests_sent(state.folder) + report.requests,
        verdict=verdict,
        requirements=tuple(rows),
        tests=tests,
        cleanup=cleaned,
        narrowed_by=effective,
        left_out=tuple(sorted({c.left_out for c in collected if c.left_out})),
        crashes=crash_log,
        baseline_unused=tuple(sorted(set(state.baseline) - failed)),
        # The target's own account of what went wrong, when the suite started it.
        target_log=attach_log(state) if troubled else "",
    )


__all__ = ["SigintShield", "cleanup", "finish", "record_requests", "remember_sigint"]
