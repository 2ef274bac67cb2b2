"""Hot containers: reuse, one call at a time, a changed fn, idle expiry (FN-HOT-*)."""

from __future__ import annotations

import time
from concurrent.futures import ThreadPoolExecutor

import pytest
import requests

from conformance import expect
from conformance.invoking import Probe, asks, expect_new_container, instance

#: How long a lookup cache of the target may show an old fn (upstream caches for 5 s).
CACHE_ALLOWANCE_S = 6.0
#: Consecutive calls of one fn in FN-HOT-001 (their latencies are reported).
CALLS = 8


@pytest.mark.requirement("FN-HOT-001")
def test_consecutive_calls_reuse_the_container(probe: Probe) -> None:
    _, func = probe.fn()
    responses = [probe.call(func, f"call {i}") for i in range(CALLS)]
    for r in responses:
        expect.status(r, 200, req="FN-HOT-001")
    # Reported, never judged: the first call may start the container, the rest are hot.
    took = [r.elapsed.total_seconds() * 1000 for r in responses]
    probe.client.recorder.measure("invoke.first_call", took[0], "ms")
    hot = sorted(took[1:])
    probe.client.recorder.measure(
        "invoke.hot_call", hot[len(hot) // 2], "ms", samples=[round(t, 3) for t in hot]
    )
    seen = [instance(r, req="FN-HOT-001") for r in responses]
    expect.true(
        len(set(seen)) == 1,
        "Consecutive calls of a fn did not run in one hot container",
        f"Received: containers {seen}\nExpected: the same container for every call",
        response=responses[-1],
        req="FN-HOT-001",
    )
    counts = [int(r.headers.get("X-Probe-Calls", "0")) for r in responses]
    expect.true(
        counts == sorted(counts) and counts[-1] - counts[0] == CALLS - 1,
        "The hot container did not count the calls it served",
        f"Received: X-Probe-Calls {counts}\nExpected: {CALLS} consecutive counts",
        response=responses[-1],
        req="FN-HOT-001",
    )


@pytest.mark.requirement("FN-HOT-002")
def test_a_container_serves_one_call_at_a_time(probe: Probe) -> None:
    _, func = probe.fn()
    expect.status(probe.call(func, b"warm"), 200, req="FN-HOT-002")
    sleep_s = 1.0

    def call(_: int) -> tuple[requests.Response, float, float]:
        client = probe.client.fresh()
        began = time.monotonic()
        response = client.invoke(func["id"], b"", headers=asks(sleep_ms=int(sleep_s * 1000)))
        return response, began, time.monotonic()

    with ThreadPoolExecutor(2) as pool:
        results = list(pool.map(call, range(2)))
    for response, _, _ in results:
        expect.status(response, 200, req="FN-HOT-002")
    (a, a0, a1), (b, b0, b1) = results
    same = instance(a, req="FN-HOT-002") == instance(b, req="FN-HOT-002")
    overlap = min(a1, b1) - max(a0, b0)
    # In one container the calls must not have run at the same time: then together they
    # took at least two sleeps from the first start to the last end.
    expect.true(
        not same or max(a1, b1) - min(a0, b0) >= 2 * sleep_s * 0.95,
        "Two calls ran in one container at the same time",
        f"Received: both in container {instance(a, req='FN-HOT-002')}, overlapping {overlap:.2f} s "
        f"(each sleeps {sleep_s} s)\nExpected: different containers, or one after the other",
        response=b,
        req="FN-HOT-002",
    )


@pytest.mark.requirement("FN-HOT-003")
@pytest.mark.parametrize(
    "change",
    [pytest.param({"config": {"CHANGED": "yes"}}, id="config"),
     pytest.param({"memory": 192}, id="memory"), pytest.param({"timeout": 25}, id="timeout")],
)  # fmt: skip
def test_a_changed_fn_gets_a_new_container(probe: Probe, change: dict[str, object]) -> None:
    _, func = probe.fn()
    before = instance(probe.call(func, b"warm"), req="FN-HOT-003")
    expect.status(probe.client.update_fn(func["id"], change), 200, req="FN-HOT-003")
    last = probe.eventually(
        lambda: probe.call(func, b"after"),
        lambda r: r.status_code == 200 and r.headers.get("X-Probe-Instance") != before,
        within=CACHE_ALLOWANCE_S,
    )
    expect.status(last, 200, req="FN-HOT-003")
    expect_new_container(
        last, before, "Calls of a changed fn still run in the container of the old fn",
        after=f"{CACHE_ALLOWANCE_S:g} s after the change {change}", req="FN-HOT-003",
    )  # fmt: skip


@pytest.mark.requirement("FN-HOT-004")
def test_idle_container_is_gone_after_idle_timeout(probe: Probe) -> None:
    _, func = probe.fn(idle_timeout=1)
    first = instance(probe.call(func, b"one"), req="FN-HOT-004")
    probe.wait(3.0)
    response = probe.call(func, b"two")
    expect.status(response, 200, req="FN-HOT-004")
    expect_new_container(
        response, first, "A container idle for longer than idle_timeout served the next call",
        after="after 3 s idle (idle_timeout 1 s)", req="FN-HOT-004",
    )  # fmt: skip
