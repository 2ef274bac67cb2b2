"""The LB node (FN-LB-*) and hybrid invoke through it (FN-HYB-002, FN-HYB-003).

The LB has no datastore: it reads apps, fns and triggers from an API node over HTTP and places
each call on a pure runner over gRPC. Entities are made on the target (which shares the
datastore with the LB's API node); calls go to the LB (``--lb-url``). Tests that read the LB's
metrics hold the LB alone (``cluster.counting()``), the others share it (``placing()``).
"""

from __future__ import annotations

import os
import threading
import time
from typing import Any

import pytest
import requests
from prometheus_client.parser import text_string_to_metric_families

from conformance import expect
from conformance.cluster import ClusterAccess
from conformance.failures import disabled
from conformance.invoking import Probe, asks, report
from conformance.resources import Names

#: The seed's LB placer latency buckets (ms).
PLACER_BUCKETS = (1, 10, 25, 50, 200, 1000, 1500, 2000, 2500, 3000, 10000, 60000)
LB_HISTOGRAMS = (
    "fn_lb_placer_latency",
    "fn_lb_runner_sched_latency",
    "fn_lb_runner_exec_latency",
    "fn_lb_call_latency",
)
#: How long an LB may keep a lookup (the seed's cache), plus room for the machine.
CACHE_BOUND_S = 5.0
#: Calls that must reach more than one runner: a placer that picks at random (upstream's
#: naive placer starts at a clock-based index) puts 20 on one of two runners once in 500,000.
CALLS_TO_SPREAD = 20


def lb_invoke(
    probe: Probe, cluster: ClusterAccess, func: dict[str, Any], data: bytes = b"", **options: Any
) -> requests.Response:
    headers = asks(**options) if options else None
    response: requests.Response = probe.client.invoke(
        func["id"], data, headers=headers, base=cluster.lb_url
    )
    return response


@pytest.mark.requirement("FN-LB-001")
def test_invoke_through_the_lb(probe: Probe, cluster: ClusterAccess) -> None:
    req = "FN-LB-001"
    with cluster.placing():
        _, func = probe.fn()
        for label, body in (("empty", b""), ("binary", bytes(range(256)) * 4),
                            ("1 MiB", os.urandom(1024 * 1024))):  # fmt: skip
            response = probe.client.invoke(
                func["id"], body, headers={"Content-Type": "application/octet-stream"},
                base=cluster.lb_url,
            )  # fmt: skip
            expect.status(response, 200, req=req, why=f"/invoke of a {label} body through the LB")
            expect.true(
                response.content == body,
                f"The {label} body did not come back byte for byte through the LB",
                f"Received: {len(response.content)} bytes\nExpected: the {len(body)} sent",
                response=response,
                req=req,
            )
        answered = lb_invoke(probe, cluster, func, b"", report=1)
        seen = report(answered, req=req)
        expect.equal(
            {"Fn-Call-Id": answered.headers.get("Fn-Call-Id"), "X-Probe-Pid": bool(
                answered.headers.get("X-Probe-Pid"))},
            {"Fn-Call-Id": seen["call_id"], "X-Probe-Pid": True},
            "call id and function headers through the LB", response=answered, req=req,
        )  # fmt: skip


@pytest.mark.requirement("FN-LB-002")
def test_trigger_through_the_lb(probe: Probe, cluster: ClusterAccess) -> None:
    req = "FN-LB-002"
    with cluster.placing():
        app, _, trigger = probe.triggered()
        response = probe.client.call_trigger(
            app["name"], trigger["source"], b"{}", method="PUT", base=cluster.lb_url,
            headers={"X-Custom-Thing": "v1", "Content-Type": "application/json", **asks(report=1)},
        )  # fmt: skip
        seen = report(response, req=req)
        found = {
            "Fn-Http-H-X-Custom-Thing": seen["http_headers"].get("x-custom-thing"),
            "Fn-Http-Method": seen["method"],
            "Fn-Intent": seen["headers"].get("fn-intent"),
        }
        wanted = {"Fn-Http-H-X-Custom-Thing": "v1", "Fn-Http-Method": "PUT",
                  "Fn-Intent": "httprequest"}  # fmt: skip
        expect.equal(found, wanted, "what the function saw through the LB", response=response,
                     req=req)  # fmt: skip
        answered = probe.client.call_trigger(
            app["name"], trigger["source"], b"x", base=cluster.lb_url,
            headers=asks(("status", 418), ("header", "X-Answer:42")),
        )  # fmt: skip
        expect.status(answered, 418, req=req, why="Fn-Http-Status through the LB")
        expect.equal(answered.headers.get("X-Answer"), "42", "function header through the LB",
                     response=answered, req=req)  # fmt: skip


@pytest.mark.requirement("FN-LB-003")
def test_failures_through_the_lb_keep_their_status(probe: Probe, cluster: ClusterAccess) -> None:
    req = "FN-LB-003"
    with cluster.placing():
        _, func = probe.fn(timeout=1)
        for options, code, what in (
            ({"fdk_status": 502}, 502, "a failed function"),
            ({"sleep_ms": 2500}, 504, "a call past the fn's timeout (1 s)"),
        ):
            response = lb_invoke(probe, cluster, func, b"x", **options)
            expect.status(response, code, req=req, why=f"{what} through the LB")
            expect.true(
                bool(response.headers.get("Fn-Call-Id")),
                f"The LB's answer to {what} has no Fn-Call-Id",
                f"Received headers: {dict(response.headers)}",
                response=response,
                req=req,
            )


@pytest.mark.requirement("FN-HYB-002")
def test_lb_sees_new_and_deleted_triggers(probe: Probe, cluster: ClusterAccess) -> None:
    req = "FN-HYB-002"
    with cluster.placing():
        app, func, trigger = probe.triggered()
        made = time.monotonic()
        response = probe.eventually(
            lambda: probe.client.call_trigger(app["name"], trigger["source"], b"new",
                                              base=cluster.lb_url),
            lambda r: r.status_code == 200, within=CACHE_BOUND_S,
        )  # fmt: skip
        expect.status(response, 200, req=req, why="a trigger made a moment before, through the LB")
        probe.client.recorder.measure("lb.new_trigger_visible", time.monotonic() - made, "s")
        expect.status(probe.client.delete_trigger(trigger["id"]), 204, req=req)
        gone = time.monotonic()
        response = probe.eventually(
            lambda: probe.client.call_trigger(app["name"], trigger["source"], b"old",
                                              base=cluster.lb_url),
            lambda r: not 200 <= r.status_code < 300, within=CACHE_BOUND_S + 1,
        )  # fmt: skip
        # That it is a 404 (and not upstream's 500) is FN-HYB-003's to judge.
        expect.true(
            not 200 <= response.status_code < 300,
            "A trigger deleted over 5 s ago still runs through the LB",
            f"Received: {response.status_code}\nExpected: no longer run (404)",
            response=response,
            req=req,
        )
        probe.client.recorder.measure("lb.deleted_trigger_gone", time.monotonic() - gone, "s")
        expect.status(lb_invoke(probe, cluster, func), 200, req=req, why="its fn, still there")


@pytest.mark.requirement("FN-HYB-003")
def test_unknown_targets_through_the_lb_answer_404(
    probe: Probe, cluster: ClusterAccess, names: Names
) -> None:
    req = "FN-HYB-003"
    app, func, _ = probe.triggered()
    unknown_app = probe.client.call_trigger(names.app(), "/x", b"", base=cluster.lb_url)
    expect.error(unknown_app, 404, req=req, why="an unknown app through the LB")
    unknown_source = probe.client.call_trigger(
        app["name"], names.source(), b"", base=cluster.lb_url
    )
    expect.error(unknown_source, 404, req=req, why="an unknown trigger source through the LB")
    other_id = func["id"][:-1] + ("Y" if func["id"].endswith("Z") else "Z")
    unknown_fn = probe.client.invoke(other_id, b"", base=cluster.lb_url)
    expect.error(unknown_fn, 404, req=req, why="/invoke of an unknown fn through the LB")


def _histograms(cluster: ClusterAccess, probe: Probe) -> dict[str, dict[str, Any]]:
    """name -> {"count": total count, "buckets": sorted finite bucket bounds (ms)}."""
    response = probe.client.request("GET", "/metrics", base=cluster.lb_url, check=False)
    expect.status(response, 200, req="FN-LB-005", why="GET /metrics on the LB")
    found: dict[str, dict[str, Any]] = {}
    for family in text_string_to_metric_families(response.text):
        if family.name not in LB_HISTOGRAMS:
            continue
        count = sum(s.value for s in family.samples if s.name.endswith("_count"))
        bounds = sorted({
            float(s.labels["le"]) for s in family.samples
            if s.name.endswith("_bucket") and s.labels.get("le") != "+Inf"
        })  # fmt: skip
        found[family.name] = {"type": family.type, "count": count, "buckets": bounds}
    return found


@pytest.mark.requirement("FN-LB-005", "FN-LB-006")
def test_lb_metrics_move_with_placed_calls(probe: Probe, cluster: ClusterAccess) -> None:
    _, func = probe.fn()
    with cluster.counting():
        expect.status(lb_invoke(probe, cluster, func), 200, req="FN-LB-006", why="a warm-up")
        before = _histograms(cluster, probe)
        missing = [
            name for name in LB_HISTOGRAMS if before.get(name, {}).get("type") != "histogram"
        ]
        expect.true(
            not missing, "The LB's /metrics lacks latency histograms",
            f"Received: {sorted(before)}\nExpected histograms: {', '.join(LB_HISTOGRAMS)}",
            req="FN-LB-005",
        )  # fmt: skip
        buckets = before["fn_lb_placer_latency"]["buckets"]
        expect.equal(buckets, [float(b) for b in PLACER_BUCKETS],
                     "fn_lb_placer_latency buckets (ms)", req="FN-LB-005")  # fmt: skip
        calls = 5
        for _ in range(calls):
            expect.status(lb_invoke(probe, cluster, func, b"x"), 200, req="FN-LB-006")
        after = _histograms(cluster, probe)
        moved = {name: after[name]["count"] - before[name]["count"]
                 for name in ("fn_lb_placer_latency", "fn_lb_runner_sched_latency",
                              "fn_lb_runner_exec_latency")}  # fmt: skip
        expect.equal(moved, dict.fromkeys(moved, float(calls)),
                     f"counts after {calls} calls through the LB", req="FN-LB-006")  # fmt: skip


@pytest.mark.requirement("FN-LB-007")
def test_lb_spreads_calls_over_runners(probe: Probe, cluster: ClusterAccess) -> None:
    req = "FN-LB-007"
    if len(cluster.runners) < 2:
        disabled("needs two runners (--runner, twice)")
    _, func = probe.fn()
    with cluster.counting():
        timeout = probe.cfg.timeout
        before = [r.status(timeout=timeout).requestsReceived for r in cluster.runners]
        for _ in range(CALLS_TO_SPREAD):
            expect.status(lb_invoke(probe, cluster, func, b"x"), 200, req=req)
        after = [r.status(timeout=timeout).requestsReceived for r in cluster.runners]
    grew = [b - a for a, b in zip(before, after, strict=True)]
    expect.true(
        sum(1 for g in grew if g > 0) >= 2,
        f"{CALLS_TO_SPREAD} calls through the LB all went to one runner",
        f"Received: requestsReceived grew by {grew} on the runners\n"
        "Expected: growth on more than one runner",
        req=req,
    )


@pytest.mark.requirement("FN-LB-004")
def test_lb_goes_on_when_a_runner_dies(probe: Probe, cluster: ClusterAccess) -> None:
    """Runner 0 down: every call lands on runner 1. Runner 0 back, runner 1 killed while it
    runs a call: that call is answered within seconds, and the next ones run on runner 0."""
    req = "FN-LB-004"
    _, func = probe.fn()
    slack = 10 * probe.cfg.timeout_multiplier
    with cluster.counting(), cluster.runner(0), cluster.runner(1):
        expect.status(lb_invoke(probe, cluster, func), 200, req=req, why="before any runner died")
        cluster.control("stop 0")
        try:
            for _ in range(4):
                began = time.monotonic()
                response = lb_invoke(probe, cluster, func, b"x")
                expect.status(response, 200, req=req, why="a call through the LB, runner 0 down")
                expect.true(time.monotonic() - began < slack,
                            "A call took too long with one runner down",
                            f"Received: {time.monotonic() - began:.1f} s\nExpected: under "
                            f"{slack:g} s", response=response, req=req)  # fmt: skip
        finally:
            cluster.control("start 0")
        result: dict[str, Any] = {}

        def long_call() -> None:
            client = probe.client.fresh()
            began = time.monotonic()
            try:
                result["response"] = client.invoke(
                    func["id"], b"", headers=asks(sleep_ms=8000), base=cluster.lb_url, check=False
                )
            except requests.RequestException as exc:
                result["error"] = exc
            result["took"] = time.monotonic() - began

        # Runner 0 is back; its reconnection may take the LB a moment: the long call should
        # land on runner 1, which is then killed under it.
        caller = threading.Thread(target=long_call)
        cluster.control("stop 0")
        caller.start()
        time.sleep(1.0)
        cluster.control("start 0")
        cluster.control("stop 1")
        killed = time.monotonic()
        caller.join(timeout=slack + 10)
        try:
            expect.true(
                not caller.is_alive() and "took" in result,
                "The call whose runner died was left hanging",
                f"Received: no answer {time.monotonic() - killed:.1f} s after its runner died\n"
                "Expected: an answer (an error) within seconds",
                req=req,
            )
            answered = result.get("response")
            expect.true(
                answered is not None and answered.status_code >= 500,
                "The call whose runner died was not answered with an error",
                f"Received: {getattr(answered, 'status_code', result.get('error'))}\n"
                "Expected: a 5xx answer",
                req=req,
            )
            for _ in range(3):
                expect.status(lb_invoke(probe, cluster, func, b"x"), 200, req=req,
                              why="a call after runner 1 died (runner 0 is back)")  # fmt: skip
        finally:
            cluster.control("start 1")
