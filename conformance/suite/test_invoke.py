"""Direct invocation: ``POST /invoke/{fnID}`` runs the probe function (FN-INV-*)."""

from __future__ import annotations

import pytest

from conformance import expect
from conformance.client import FnClient
from conformance.config import ConformanceConfig
from conformance.invoking import Probe, asks, instance, report

UNKNOWN_ID = "0" * 26
MIB = 1024 * 1024


@pytest.mark.requirement("FN-INV-001")
def test_invoke_answers_the_functions_body_and_headers(probe: Probe) -> None:
    _, func = probe.fn()
    response = probe.client.invoke(
        func["id"], b"hello, fn", headers={"Content-Type": "text/plain", **asks(
            ("header", "X-Probe-Set:one two"))},
    )  # fmt: skip
    expect.status(response, 200, req="FN-INV-001")
    expect.equal(response.content, b"hello, fn", "the body", response=response, req="FN-INV-001")
    shown = {k: response.headers.get(k) for k in ("X-Probe-Set", "Content-Type")}
    expect.equal(
        shown, {"X-Probe-Set": "one two", "Content-Type": "text/plain"},
        "the function's response headers", response=response, req="FN-INV-001",
    )  # fmt: skip
    instance(response, req="FN-INV-001")


@pytest.mark.requirement("FN-INV-002")
@pytest.mark.parametrize(
    "body",
    [pytest.param(b"", id="empty"), pytest.param(bytes(range(256)) * 4, id="every-byte"),
     pytest.param(b"\x00" + b"z" * (MIB - 1), id="1MiB")],
)  # fmt: skip
def test_bodies_pass_byte_for_byte(probe: Probe, body: bytes) -> None:
    _, func = probe.fn()
    response = probe.client.invoke(
        func["id"], body, headers={"Content-Type": "application/octet-stream"}
    )
    expect.status(response, 200, req="FN-INV-002")
    expect.true(
        response.content == body,
        "The body came back changed",
        f"Received: {len(response.content)} bytes, starting {response.content[:40]!r}\n"
        f"Expected: the {len(body)} bytes sent, starting {body[:40]!r}",
        response=response,
        req="FN-INV-002",
    )
    big = probe.call(func, bytes=MIB)
    expect.status(big, 200, req="FN-INV-002")
    expect.equal(len(big.content), MIB, "length of a 1 MiB answer", response=big, req="FN-INV-002")


@pytest.mark.requirement("FN-INV-003")
def test_every_invoke_answer_carries_the_call_id(probe: Probe) -> None:
    app, func = probe.fn()
    _, no_start = probe.fn(app, config={"PROBE_START": "exit"})  # fails before it listens
    calls = [(func, {"report": 1}), (func, {"fdk_status": 502}), (no_start, {})]
    for target, options in calls:
        response = probe.call(target, b"", **options)
        call_id = response.headers.get("Fn-Call-Id", "")
        expect.true(
            bool(call_id),
            "An invoke answer has no Fn-Call-Id",
            f"Received: {response.status_code} with headers {dict(response.headers)}\n"
            "Expected: an Fn-Call-Id header",
            response=response,
            req="FN-INV-003",
        )
        if response.status_code == 200:
            seen = report(response, req="FN-INV-003")["call_id"]
            expect.equal(
                call_id, seen, "Fn-Call-Id against the id the function got",
                response=response, req="FN-INV-003",
            )  # fmt: skip


@pytest.mark.requirement("FN-INV-004")
def test_invoke_ignores_fn_http_status(probe: Probe) -> None:
    _, func = probe.fn()
    response = probe.call(func, b"x", status=202)
    expect.status(response, 200, req="FN-INV-004", why="/invoke answers 200 on success")


@pytest.mark.requirement("FN-INV-005")
def test_invoke_passes_headers_unchanged(probe: Probe) -> None:
    _, func = probe.fn()
    response = probe.client.invoke(
        func["id"], b"", headers={"X-Custom-Thing": "v1", **asks(report=1)}
    )
    seen = report(response, req="FN-INV-005")
    headers = seen["headers"]
    expect.equal(
        (headers.get("x-custom-thing"), seen["http_headers"].get("x-custom-thing")),
        ("v1", None),
        "X-Custom-Thing as the function saw it (plain, and with the Fn-Http-H- prefix)",
        response=response,
        req="FN-INV-005",
    )
    expect.true(
        headers.get("fn-intent") is None and seen["method"] is None,
        "/invoke added trigger headers",
        f"Received: Fn-Intent {headers.get('fn-intent')!r}, Fn-Http-Method {seen['method']!r}\n"
        "Expected: neither (they belong to HTTP triggers)",
        response=response,
        req="FN-INV-005",
    )


@pytest.mark.requirement("FN-INV-006")
def test_invoke_of_unknown_fn_answers_404(fn: FnClient) -> None:
    response = fn.invoke(UNKNOWN_ID, b"x")
    expect.status(response, 404, req="FN-INV-006")
    expect.json_body(response, req="FN-INV-006")


@pytest.mark.requirement("FN-INV-007")
@pytest.mark.parametrize("method", ["GET", "PUT", "DELETE"])
def test_invoke_takes_post_only(probe: Probe, method: str) -> None:
    _, func = probe.fn()
    response = probe.client.invoke(func["id"], method=method)
    expect.status(response, 405, req="FN-INV-007")


@pytest.mark.requirement("FN-INV-008")
def test_memory_that_never_fits_answers_400(probe: Probe, fn_config: ConformanceConfig) -> None:
    memory_mb = fn_config.node_memory // MIB + 1
    if memory_mb > 8192:
        pytest.skip(
            f"not-run: the node's memory ({fn_config.node_memory} bytes) is above a fn's 8192 MB"
        )
    _, func = probe.fn(memory=memory_mb)
    response = probe.call(func, b"x")
    expect.status(response, 400, req="FN-INV-008")
    expect.json_body(response, req="FN-INV-008")


@pytest.mark.requirement("FN-INV-009")
def test_invoke_over_the_request_limit_answers_413(
    probe: Probe, fn_config: ConformanceConfig
) -> None:
    _, func = probe.fn()
    response = probe.client.invoke(func["id"], b"y" * (fn_config.max_request_size + 1))
    expect.status(response, 413, req="FN-INV-009")
