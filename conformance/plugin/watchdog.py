"""The watchdog: notice when the target dies or wedges, blame the request that did it, go on.

Any process of a run (the controller, or an xdist worker) may notice that a request got no
answer. It then checks whether the target is still alive (:func:`conformance.preflight.alive`:
``/`` *and* a real read, because a wedged server may still answer ``/``):

* alive: that one request went unanswered; the test fails with FN-ERR-005;
* dead or wedged: the test fails with FN-ERR-005 and its own requirements, showing the last
  request the target answered and the one it did not. The first process to notice writes the
  run's *down file*; with a way to restart the target (the embedded server, or
  ``--restart-command``) it restarts it and the run goes on, otherwise every later test ends
  *not-run* ("the target stopped answering after ...") and the verdict says the target crashed.

Tests that send input known to break fragile servers are *disruptive*. They run last, and under
xdist one at a time while no other test runs (a lock file shared by the run's processes), so a
crash is always blamed on the test that caused it. After a disruptive test, or any test that saw
a 5xx or an unanswered request, the watchdog checks that the target is still alive.
"""

from __future__ import annotations

import fcntl
import json
import os
import subprocess
import time
import uuid
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any, NoReturn
from urllib.parse import urlsplit

from ..errors import TargetDown
from ..failures import ConformanceFailure
from ..preflight import Probe, alive, wait_alive
from ..recorder import Exchange, Recorder
from ..results import Crash

#: Restart a target; answers "" when it worked, else what went wrong.
Restarter = Callable[[], str]
REQ = "FN-ERR-005"
DOWN_FILE = "target-down.json"
CRASH_LOG = "crashes.jsonl"
LOCK_FILE = "tests.lock"
RESTART_REQUESTS = "restart-requests"


class TargetCrash(ConformanceFailure):
    """The target stopped answering after this test's requests: its requirements fail too."""


@dataclass(frozen=True)
class Down:
    by: str
    problem: str
    final: bool


class Watchdog:
    def __init__(
        self,
        *,
        api_url: str,
        headers: dict[str, str],
        folder: Path,
        restarter: Restarter | None,
        multiplier: float = 1.0,
    ) -> None:
        self.api_url = api_url
        self.headers = headers
        self.folder = folder
        self.restarter = restarter
        self.multiplier = multiplier
        #: The test now running in this process, and how many crashes the run had when it
        #: began (set by :meth:`begin`).
        self.nodeid = ""
        self._crashes_before = 0

    def begin(self, nodeid: str) -> None:
        self.nodeid = nodeid
        self._crashes_before = len(crashes(self.folder))

    # -- noticing ------------------------------------------------------------------------

    def probe(self) -> Probe:
        return alive(self.api_url, headers=self.headers, timeout=3.0 * self.multiplier)

    def no_answer(self, exchange: Exchange, recorder: Recorder) -> NoReturn:
        """A request of the current test got no answer (the client calls this; it raises)."""
        down = self.down(wait=True)  # another process noticed first: wait for its restart
        if down is not None:
            raise TargetDown(f"the target stopped answering after {down.by}")
        # Restarted while this test ran (the wait above included): its request met the
        # restart, not a fault of its own.
        later = [
            c for c in crashes(self.folder)[self._crashes_before :] if c.after_test != self.nodeid
        ]
        if later:
            raise TargetDown(f"the target was restarted after {later[0].after_test}")
        probe = self.probe()
        if probe.ok and urlsplit(exchange.url).path.startswith(("/invoke/", "/t/")):
            # A call of a function that never came back: what the test checks did not hold.
            raise ConformanceFailure(
                "A function call got no answer",
                f"Received: no answer ({exchange.error})\n"
                "Expected: the call's answer (the target still answers / and a list of apps)",
                exchange=exchange,
            )
        if probe.ok:
            raise ConformanceFailure(
                "The target did not answer a request",
                f"Received: no answer ({exchange.error})\n"
                "Expected: an HTTP answer (the target still answers / and a list of apps)",
                requirement_id=REQ,
                exchange=exchange,
            )
        raise self._crashed(recorder, probe, unanswered=exchange)

    def after_test(self, recorder: Recorder, *, disruptive: bool) -> TargetCrash | None:
        """Is the target still alive after a disruptive or alarming test? (None: yes)."""
        if not (disruptive or recorder.alarming) or self.down(wait=False) is not None:
            return None
        probe = self.probe()
        return None if probe.ok else self._crashed(recorder, probe, unanswered=None)

    def _crashed(
        self, recorder: Recorder, probe: Probe, *, unanswered: Exchange | None
    ) -> TargetCrash:
        last = recorder.last_answered()
        shown = tuple(e for e in (last,) if e is not None)
        failure = TargetCrash(
            "The target stopped answering after this request",
            f"Received: no answer any more ({probe.problem})\n"
            "Expected: the target keeps answering after any client request\n"
            "Shown: the last request the target answered"
            + (", then the first it did not" if unanswered is not None else ""),
            requirement_id=REQ,
            exchange=unanswered or last,
            context=shown if unanswered is not None else (),
        )
        # Kept as a finding too: whatever the test does next (a retry, hypothesis replaying the
        # case) happens against a dead or restarted target and is explained by this.
        recorder.note(failure)
        self._declare(
            probe.problem,
            last_answered=last.to_dict() if last is not None else None,
            unanswered=unanswered.to_dict() if unanswered is not None else None,
        )
        return failure

    # -- the down file ---------------------------------------------------------------------

    def _declare(
        self,
        problem: str,
        *,
        last_answered: dict[str, Any] | None = None,
        unanswered: dict[str, Any] | None = None,
    ) -> None:
        """Write the down file (the first process only), then restart the target if possible."""
        path = self.folder / DOWN_FILE
        try:
            fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o644)
        except FileExistsError:
            return  # another process noticed first and deals with it
        with os.fdopen(fd, "w", encoding="utf-8") as fh:
            json.dump({"by": self.nodeid, "problem": problem, "final": False}, fh)
        trouble = self.restarter() if self.restarter is not None else "no way to restart it"
        if not trouble:
            probe = wait_alive(self.api_url, headers=self.headers, within=60.0 * self.multiplier)
            trouble = "" if probe.ok else f"it did not come back: {probe.problem}"
        self._log(
            Crash(
                self.nodeid,
                problem if not trouble else f"{problem}; {trouble}",
                restarted=not trouble,
                last_answered=last_answered,
                unanswered=unanswered,
            )
        )
        if trouble:
            path.write_text(
                json.dumps({"by": self.nodeid, "problem": problem, "final": True}),
                encoding="utf-8",
            )
        else:
            path.unlink(missing_ok=True)

    def _log(self, crash: Crash) -> None:
        with (self.folder / CRASH_LOG).open("a", encoding="utf-8") as fh:
            fh.write(json.dumps(crash.__dict__) + "\n")

    def down(self, *, wait: bool) -> Down | None:
        """The target as another process declared it: None when up (or back up)."""
        deadline = time.monotonic() + 90.0 * self.multiplier
        while True:
            try:
                data = json.loads((self.folder / DOWN_FILE).read_text(encoding="utf-8"))
            except (FileNotFoundError, ValueError):
                if not (self.folder / DOWN_FILE).exists():
                    return None
                data = {"by": "?", "problem": "being written", "final": False}
            if data["final"] or not wait or time.monotonic() > deadline:
                return Down(data["by"], data["problem"], bool(data["final"]))
            time.sleep(0.1)


def crashes(folder: Path) -> list[Crash]:
    path = folder / CRASH_LOG
    if not path.exists():
        return []
    return [Crash(**json.loads(line)) for line in path.read_text().splitlines() if line.strip()]


# -- restarting ----------------------------------------------------------------------------


def command_restarter(command: str, *, timeout: float = 120.0) -> Restarter:
    """Restart by running ``command`` in a shell (``docker restart fnserver``, say)."""

    def restart() -> str:
        try:
            proc = subprocess.run(
                command, shell=True, capture_output=True, text=True, timeout=timeout, check=False
            )
        except subprocess.TimeoutExpired:
            return f"the restart command did not finish within {timeout:g} s"
        if proc.returncode != 0:
            tail = (proc.stderr or proc.stdout).strip().splitlines()[-1:] or [""]
            return f"the restart command exited {proc.returncode}: {tail[0][:200]}"
        return ""

    return restart


def request_restarter(folder: Path, *, timeout: float = 60.0) -> Restarter:
    """Ask the process that owns the target (the embedded server) to restart it."""

    def restart() -> str:
        return request_action(folder, "restart", timeout=timeout)

    return restart


def request_action(folder: Path, action: str, *, timeout: float = 60.0) -> str:
    """Ask the process that owns the embedded servers to do ``action`` (``restart``, or one
    it was given such as ``stop:runner-0``); "" when done, else what went wrong."""
    requests_dir = folder / RESTART_REQUESTS
    requests_dir.mkdir(parents=True, exist_ok=True)
    ticket = requests_dir / f"{uuid.uuid4().hex}.request"
    ticket.write_text(action, encoding="utf-8")
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        answer = ticket.with_suffix(".done")
        if answer.exists():
            text = answer.read_text(encoding="utf-8")
            answer.unlink(missing_ok=True)
            return text
        time.sleep(0.05)
    return f"{action} was not done within {timeout:g} s"


class RestartService:
    """Serves restart requests for a server this process owns, from any process of the run."""

    def __init__(
        self,
        folder: Path,
        restart: Callable[[], Any],
        actions: dict[str, Callable[[], Any]] | None = None,
    ) -> None:
        self.folder = folder / RESTART_REQUESTS
        self._actions = {"restart": restart, **(actions or {})}
        self._stopped = False

    def poll(self) -> None:
        for ticket in sorted(self.folder.glob("*.request")):
            action = ticket.read_text(encoding="utf-8").strip() or "restart"
            try:
                self._actions[action]()
                problem = ""
            except KeyError:
                problem = f"unknown action {action!r}"
            except Exception as exc:
                problem = f"the embedded server did not {action}: {exc}"
            ticket.with_suffix(".done").write_text(problem, encoding="utf-8")
            ticket.unlink(missing_ok=True)

    def serve(self) -> None:
        self.folder.mkdir(parents=True, exist_ok=True)
        while not self._stopped:
            self.poll()
            time.sleep(0.05)

    def stop(self) -> None:
        self._stopped = True


class DisruptionLock:
    """Disruptive tests run alone: they hold the run's lock exclusively, others share it."""

    def __init__(self, folder: Path) -> None:
        self.path = folder / LOCK_FILE
        self._fd: int | None = None

    def acquire(self, *, exclusive: bool) -> None:
        self.path.parent.mkdir(parents=True, exist_ok=True)
        self._fd = os.open(self.path, os.O_RDWR | os.O_CREAT, 0o644)
        fcntl.flock(self._fd, fcntl.LOCK_EX if exclusive else fcntl.LOCK_SH)

    def release(self) -> None:
        if self._fd is not None:
            fcntl.flock(self._fd, fcntl.LOCK_UN)
            os.close(self._fd)
            self._fd = None


__all__ = [
    "REQ",
    "DisruptionLock",
    "RestartService",
    "Restarter",
    "TargetCrash",
    "Watchdog",
    "command_restarter",
    "crashes",
    "request_restarter",
]
