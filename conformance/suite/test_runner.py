"""Pure runners and their Status over the runner protocol (FN-RUN-*).

Status is asked over gRPC (``--runner HOST:PORT``). With a status image the runner runs it as
a call and caches the result briefly; each test that reads that cache holds its runner alone
and first waits out the cache window, so what it sees is its own doing.
"""

from __future__ import annotations

import datetime as dt
import time
from concurrent.futures import ThreadPoolExecutor

import grpc
import pytest

from conformance import expect
from conformance.cluster import ClusterAccess, Runner, shown
from conformance.failures import disabled, inconclusive
from conformance.invoking import Probe


def _status(runner: Runner, timeout: float, req: str, given: dict[str, object] | None = None):  # type: ignore[no-untyped-def]
    try:
        if given is None:
            return runner.status(timeout=timeout)
        return runner.status2(given, timeout=timeout)
    except grpc.RpcError as exc:
        raise expect.fail(
            f"Status of runner {runner.address} failed",
            f"Received: {exc.code().name}: {exc.details()}\nExpected: a RunnerStatus",
            req=req,
        ) from None


def _time(text: str) -> dt.datetime | None:
    try:
        moment = dt.datetime.fromisoformat(text.replace("Z", "+00:00"))
    except ValueError:
        return None
    return moment if moment.tzinfo is not None else None


@pytest.mark.requirement("FN-RUN-001")
def test_status_counters(cluster: ClusterAccess, probe: Probe) -> None:
    req = "FN-RUN-001"
    timeout = probe.cfg.timeout
    for runner in cluster.runners:
        first = _status(runner, timeout, req)
        second = _status(runner, timeout, req)
        for reply in (first, second):
            expect.true(
                reply.requestsHandled <= reply.requestsReceived,
                f"Runner {runner.address} handled more requests than it received",
                f"Received: {shown(reply)}\nExpected: requestsHandled <= requestsReceived",
                req=req,
            )
        expect.true(
            second.requestsReceived >= first.requestsReceived
            and second.requestsHandled >= first.requestsHandled,
            f"Runner {runner.address}'s counters went down",
            f"Received: {shown(first)}, then {shown(second)}",
            req=req,
        )


@pytest.mark.requirement("FN-RUN-002")
def test_status_runs_the_status_image(cluster: ClusterAccess, probe: Probe) -> None:
    req = "FN-RUN-002"
    with cluster.runner(0) as runner:
        cluster.wait_out_status_cache()
        reply = _status(runner, probe.cfg.timeout * 3, req)
    created, started, completed = (
        _time(t) for t in (reply.createdAt, reply.startedAt, reply.completedAt)
    )
    problems = []
    if reply.failed:
        problems.append(f"failed (errorCode {reply.errorCode}: {reply.errorStr})")
    if not reply.id:
        problems.append("no id")
    if not reply.details:
        problems.append("no details (the status function's answer)")
    if created is None or started is None or completed is None:
        problems.append("createdAt, startedAt or completedAt is not an RFC 3339 time")
    elif not created <= started <= completed:
        problems.append("not createdAt <= startedAt <= completedAt")
    if reply.schedulerDuration <= 0 or reply.executionDuration <= 0:
        problems.append("schedulerDuration or executionDuration not above 0")
    expect.true(
        not problems,
        "Status did not report a run of the status image",
        f"Received: {shown(reply)}\nProblems: {'; '.join(problems)}",
        req=req,
    )


@pytest.mark.requirement("FN-RUN-003")
def test_status_is_cached_briefly(cluster: ClusterAccess, probe: Probe) -> None:
    req = "FN-RUN-003"
    timeout = probe.cfg.timeout * 3
    with cluster.runner(0) as runner:
        cluster.wait_out_status_cache()
        fresh = _status(runner, timeout, req)
        again = _status(runner, timeout, req)
        cluster.wait_out_status_cache()
        later = _status(runner, timeout, req)
    same = ("id", "createdAt", "startedAt", "completedAt", "schedulerDuration", "executionDuration")
    expect.true(
        again.cached and all(getattr(again, f) == getattr(fresh, f) for f in same),
        "A Status right after another was not the cached run",
        f"Received: {shown(fresh)}, then {shown(again)}\n"
        "Expected: cached=true with the same id and latencies",
        req=req,
    )
    expect.true(
        later.id != fresh.id and not later.cached,
        "A Status after the cache window was not a new run",
        f"Received: {shown(fresh)}, then after the window {shown(later)}\n"
        "Expected: a new id, cached=false",
        req=req,
    )


@pytest.mark.requirement("FN-RUN-004")
def test_status_run_outlives_an_impatient_client(cluster: ClusterAccess, probe: Probe) -> None:
    req = "FN-RUN-004"
    with cluster.runner(0) as runner:
        cluster.wait_out_status_cache()
        # The suite's status function waits as long as its input asks; another status image
        # may not, and its cold start is then what the impatient client does not wait for.
        try:
            runner.status2({"sleep_ms": 1200}, timeout=0.3)
        except grpc.RpcError as exc:
            if exc.code() is not grpc.StatusCode.DEADLINE_EXCEEDED:
                raise expect.fail("Status2 failed", f"Received: {exc}", req=req) from None
        else:
            inconclusive("the status run ended within the client's 0.3 s deadline")
        time.sleep(1.3)  # the run ends (about 1.2 s after it began) in this cache window
        began = time.monotonic()
        later = _status(runner, probe.cfg.timeout * 3, req)
        took = time.monotonic() - began
    ran = (later.schedulerDuration + later.executionDuration) / 1e9
    expect.true(
        not later.failed and bool(later.id) and bool(later.details),
        "The status run a client gave up on did not complete",
        f"Received: {shown(later)}\nExpected: that run's complete, successful result",
        req=req,
    )
    expect.true(
        took < ran / 2,
        "Status ran the status image again instead of answering the run a client gave up on",
        f"Received: an answer after {took:.2f} s for a run of {ran:.2f} s\n"
        "Expected: the earlier run's result, at once",
        req=req,
    )


@pytest.mark.requirement("FN-RUN-005")
def test_concurrent_status_requests_share_one_run(cluster: ClusterAccess, probe: Probe) -> None:
    req = "FN-RUN-005"
    timeout = probe.cfg.timeout * 3
    with cluster.runner(0) as runner:
        cluster.wait_out_status_cache()
        with ThreadPoolExecutor(4) as pool:
            replies = list(pool.map(lambda _: _status(runner, timeout, req, {"sleep_ms": 300}),
                                    range(4)))  # fmt: skip
    ids = {r.id for r in replies}
    expect.true(
        len(ids) == 1 and "" not in ids,
        "Concurrent Status requests did not share one status run",
        f"Received ids: {sorted(ids)}\nExpected: one id",
        req=req,
    )


@pytest.mark.requirement("FN-RUN-006")
def test_calls_of_the_status_image_are_refused(cluster: ClusterAccess, probe: Probe) -> None:
    req = "FN-RUN-006"
    if not cluster.lb_url:
        disabled("needs an LB in front of the runners (--lb-url)")
    func = probe.make.fn(probe.make.app(), image=probe.cfg.status_image)
    with cluster.placing():
        response = probe.client.invoke(func["id"], b"{}", base=cluster.lb_url)
    expect.status(response, 400, req=req, why="a call of the runners' status image")
