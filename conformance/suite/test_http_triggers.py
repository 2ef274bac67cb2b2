"""HTTP triggers: ``/t/{app}{source}`` with every method, and the header mapping both ways
(FN-HTT-*)."""

from __future__ import annotations

import pytest

from conformance import expect
from conformance.client import FnClient
from conformance.invoking import Probe, asks, instance, report
from conformance.resources import Names

METHODS = ("GET", "POST", "PUT", "PATCH", "DELETE", "OPTIONS")


@pytest.mark.requirement("FN-HTT-001")
@pytest.mark.parametrize("method", METHODS)
def test_trigger_runs_the_fn_with_every_method(probe: Probe, method: str) -> None:
    app, _, trigger = probe.triggered()
    body = b"" if method == "GET" else f"sent with {method}".encode()
    response = probe.client.call_trigger(app["name"], trigger["source"], body, method=method)
    expect.status(response, 200, req="FN-HTT-001")
    expect.equal(response.content, body, f"body of a {method}", response=response, req="FN-HTT-001")
    instance(response, req="FN-HTT-001")


@pytest.mark.requirement("FN-HTT-002")
def test_function_sees_request_headers_with_the_prefix(probe: Probe) -> None:
    app, _, trigger = probe.triggered()
    response = probe.client.call_trigger(
        app["name"], trigger["source"], b"{}", method="PUT",
        headers={"X-Custom-Thing": "v1", "Content-Type": "application/json", **asks(report=1)},
        query={"q": "1", "r": "two"},
    )  # fmt: skip
    seen = report(response, req="FN-HTT-002")
    prefixed = seen["http_headers"]  # headers that arrived as Fn-Http-H-<name>
    found = {
        "Fn-Http-H-X-Custom-Thing": prefixed.get("x-custom-thing"),
        "Content-Type (unprefixed)": seen["headers"].get("content-type"),
        "Fn-Http-H-Content-Type": prefixed.get("content-type"),
        "Fn-Http-Method": seen["method"],
        "Fn-Intent": seen["headers"].get("fn-intent"),
    }
    wanted = {
        "Fn-Http-H-X-Custom-Thing": "v1",
        "Content-Type (unprefixed)": "application/json",
        "Fn-Http-H-Content-Type": None,
        "Fn-Http-Method": "PUT",
        "Fn-Intent": "httprequest",
    }
    expect.equal(found, wanted, "what the function saw", response=response, req="FN-HTT-002")
    url = seen["request_url"] or ""
    expect.true(
        url.startswith(("http://", "https://")) and trigger["source"] in url and "q=1" in url
        and "r=two" in url,
        "Fn-Http-Request-Url is not the absolute URL of the request with its query",
        f"Received: {url!r}\nExpected: http(s)://<host>/t/{app['name']}{trigger['source']}?q=1&r=two",
        response=response,
        req="FN-HTT-002",
    )  # fmt: skip


@pytest.mark.requirement("FN-HTT-003")
@pytest.mark.parametrize("code", [202, 404, 418])
def test_fn_http_status_sets_the_answer_status(probe: Probe, code: int) -> None:
    app, _, trigger = probe.triggered()
    response = probe.client.call_trigger(
        app["name"], trigger["source"], b"x", headers=asks(status=code)
    )
    expect.status(response, code, req="FN-HTT-003", why="the trigger ignored Fn-Http-Status")


@pytest.mark.requirement("FN-HTT-004", "FN-HTT-005")
def test_function_headers_reach_the_client_without_the_prefix(probe: Probe) -> None:
    app, _, trigger = probe.triggered()
    response = probe.client.call_trigger(
        app["name"], trigger["source"], b"<p>", headers={"Content-Type": "text/html",
            **asks(("header", "X-Answer:42"))},
    )  # fmt: skip
    expect.status(response, 200, req="FN-HTT-004")
    shown = {k: response.headers.get(k) for k in ("X-Answer", "Content-Type")}
    expect.equal(
        shown, {"X-Answer": "42", "Content-Type": "text/html"},
        "function headers at the client", response=response, req="FN-HTT-004",
    )  # fmt: skip
    # The FDK sends its own Fn-Fdk-Version header unprefixed: only /invoke passes it on.
    expect.true(
        "Fn-Fdk-Version" not in response.headers,
        "A function header without the Fn-Http-H- prefix reached the trigger's client",
        f"Received: Fn-Fdk-Version {response.headers.get('Fn-Fdk-Version')!r}\n"
        "Expected: only Content-Type, Fn-Call-Id and the Fn-Http-H-* headers (renamed)",
        response=response,
        req="FN-HTT-005",
    )


@pytest.mark.requirement("FN-HTT-006")
def test_sources_match_exactly(probe: Probe, names: Names) -> None:
    app, func = probe.fn()
    nested = probe.make.trigger(app, func, source=names.source() + "/deeper/Path")
    probe.make.trigger(app, func, source="/")
    for source in (nested["source"], "/", ""):
        response = probe.client.call_trigger(app["name"], source, b"z")
        expect.status(response, 200, req="FN-HTT-006", why=f"source {source!r} did not run")
    for source in (nested["source"].upper(), nested["source"] + "/more", names.source()):
        response = probe.client.call_trigger(app["name"], source, b"z")
        expect.status(response, 404, req="FN-HTT-006", why=f"source {source!r} is no trigger's")


@pytest.mark.requirement("FN-HTT-006")
def test_unknown_app_answers_404(fn: FnClient, names: Names) -> None:
    expect.status(fn.call_trigger(names.app(), "/x", b"z"), 404, req="FN-HTT-006")


@pytest.mark.requirement("FN-HTT-007")
def test_trigger_answers_carry_the_call_id(probe: Probe) -> None:
    app, _, trigger = probe.triggered()
    for options in ({"report": 1}, {"status": 404}, {"fdk_status": 502}):
        response = probe.client.call_trigger(
            app["name"], trigger["source"], headers=asks(**options)
        )
        call_id = response.headers.get("Fn-Call-Id", "")
        expect.true(
            bool(call_id),
            "A trigger answer has no Fn-Call-Id",
            f"Received: {response.status_code} with headers {dict(response.headers)}\n"
            "Expected: an Fn-Call-Id header",
            response=response,
            req="FN-HTT-007",
        )
        if "report" in options:
            seen = report(response, req="FN-HTT-007")["call_id"]
            expect.equal(call_id, seen, "Fn-Call-Id", response=response, req="FN-HTT-007")
