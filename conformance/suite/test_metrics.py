"""/metrics in Prometheus text (FN-MET-*): it parses, and its counters move with what the run
does. Other tests run at the same time (xdist), so counts are checked as "at least"."""

from __future__ import annotations

from typing import Any

import pytest
from prometheus_client.parser import text_string_to_metric_families

from conformance import expect
from conformance.client import FnClient
from conformance.cluster import ClusterAccess
from conformance.invoking import Probe


def _families(client: FnClient, base: str, req: str) -> dict[str, Any]:
    response = client.request("GET", "/metrics", base=base, check=False)
    expect.status(response, 200, req=req, why=f"GET /metrics on {base}")
    try:
        return {f.name: f for f in text_string_to_metric_families(response.text)}
    except Exception as exc:  # the parser raises ValueError and others on bad text
        raise expect.fail(
            f"/metrics of {base} is not Prometheus text",
            f"Received: {response.text[:300]!r}\nParser: {type(exc).__name__}: {exc}",
            response=response,
            req=req,
        ) from None


def _total(families: dict[str, Any], name: str, suffix: str = "") -> float | None:
    """The sum of a family's samples (``suffix``: only samples ending so, e.g. ``_count``);
    None when the family is not exported."""
    family = families.get(name)
    if family is None:
        return None
    return float(sum(
        s.value for s in family.samples
        if not s.name.endswith("_created") and (not suffix or s.name.endswith(suffix))
    ))  # fmt: skip


def _growth(before: float | None, after: float | None) -> float | None:
    """How much a counter grew; one not exported yet counts as 0 (exporters such as
    OpenCensus show a series only once it was first recorded). None: not exported after."""
    if after is None:
        return None
    return after - (before or 0.0)


@pytest.mark.requirement("FN-MET-001")
def test_metrics_parse_on_every_node(fn: FnClient, cluster: ClusterAccess) -> None:
    nodes = [fn.api_url, *([cluster.lb_url] if cluster.lb_url else [])]
    for base in nodes:
        families = _families(fn, base, "FN-MET-001")
        expect.true(bool(families), f"/metrics of {base} has no metric", req="FN-MET-001")


@pytest.mark.requirement("FN-MET-002")
def test_api_metrics_grow_with_requests(fn: FnClient) -> None:
    req = "FN-MET-002"
    before = _families(fn, fn.api_url, req)
    for _ in range(3):
        expect.status(fn.list_apps(), 200, req=req)
    after = _families(fn, fn.api_url, req)
    grown = {
        "fn_api_request_count": _growth(
            _total(before, "fn_api_request_count"), _total(after, "fn_api_request_count")
        ),
        "fn_api_latency (count)": _growth(
            _total(before, "fn_api_latency", "_count"), _total(after, "fn_api_latency", "_count")
        ),
    }
    expect.true(
        all(v is not None and v >= 3 for v in grown.values()),
        "The API metrics did not grow with three requests",
        f"Received growth: {grown} (None: not exported)\nExpected: at least 3 each",
        req=req,
    )


def _agent_counts(fn: FnClient, req: str) -> dict[str, float | None]:
    families = _families(fn, fn.invoke_url, req)  # the node that runs the calls
    return {name: _total(families, name)
            for name in ("fn_calls", "fn_completed", "fn_timeouts", "fn_errors")}  # fmt: skip


@pytest.mark.requirement("FN-MET-003")
def test_agent_counters_grow_with_calls(fn: FnClient, probe: Probe) -> None:
    req = "FN-MET-003"
    _, func = probe.fn()
    before = _agent_counts(fn, req)
    calls = 4
    for _ in range(calls):
        expect.status(probe.call(func, b"x"), 200, req=req)
    after = _agent_counts(fn, req)
    grown = {k: _growth(before[k], after[k]) for k in ("fn_calls", "fn_completed")}
    expect.true(
        all(v is not None and v >= calls for v in grown.values()),
        f"The agent's counters did not grow with {calls} calls",
        f"Received: {before} before, {after} after\nExpected: fn_calls and fn_completed "
        f"up by at least {calls}",
        req=req,
    )


@pytest.mark.requirement("FN-MET-004")
def test_failed_calls_are_counted(fn: FnClient, probe: Probe) -> None:
    req = "FN-MET-004"
    _, func = probe.fn(timeout=1)
    before = _agent_counts(fn, req)
    expect.status(probe.call(func, b"x", fdk_status=502), 502, req=req)
    expect.status(probe.call(func, b"x", sleep_ms=2500), 504, req=req)
    after = _agent_counts(fn, req)
    grown = {k: _growth(before[k], after[k]) for k in ("fn_errors", "fn_timeouts")}
    expect.true(
        all(v is not None and v >= 1 for v in grown.values()),
        "A failed and a timed-out call were not counted",
        f"Received: {before} before, {after} after\nExpected: fn_errors and fn_timeouts up by 1",
        req=req,
    )
