"""The runner-facing read API that hybrid runner and LB nodes use to resolve triggers.

``GET /v2/runner/apps/{app}/triggerBySource/{type}/{source}`` takes the stored source with its
leading '/', so the source ``/foo`` is addressed as ``.../triggerBySource/http//foo``.
Targets that do not serve this API turn the ``hybrid_api`` capability off; without that, a
probe decides: when the runner route answers exactly like a path that surely does not exist,
the target lacks the API and the area is *unsupported*, with both answers kept as evidence.
"""

from __future__ import annotations

from typing import Any

import pytest
import requests

from conformance import expect
from conformance.client import FnClient
from conformance.failures import unsupported
from conformance.resources import Factory, Names

Entity = dict[str, Any]
REQ = "FN-HYB-001"

pytestmark = [pytest.mark.requires("hybrid_api"), pytest.mark.requirement(REQ)]


@pytest.fixture(scope="module", autouse=True)
def runner_api_is_served(fn: FnClient, names: Names) -> None:
    """Probe: compare the runner route with a route no Fn server has."""
    raw = fn.unchecked()
    probe = raw.get_trigger_by_source(names.app(), "http", names.source())
    absent = raw.request("GET", f"/v2/runner/no-such-route-{names.app()}/x")
    if probe.status_code == absent.status_code == 404 and _message(probe) == _message(absent):
        unsupported(
            "the target does not serve the runner API (triggerBySource answers like an unknown "
            "path)",
            getattr(probe, "exchange", None),
        )


def _message(response: requests.Response) -> str:
    try:
        body = response.json()
    except ValueError:
        return response.text[:200]
    text = str(body.get("message", "")) if isinstance(body, dict) else str(body)
    # An unknown-path message usually names the path; compare without it.
    return str(text.split(":")[0])


@pytest.mark.parametrize(
    "suffix", [pytest.param("", id="flat-source"), pytest.param("/a/b/c", id="nested-source")]
)
def test_trigger_by_source_answers_the_trigger(
    fn: FnClient, make: Factory, names: Names, suffix: str
) -> None:
    app = make.app()
    func = make.fn(app)
    trigger = make.trigger(app, func, source=names.source() + suffix)
    response = fn.get_trigger_by_source(app["id"], "http", trigger["source"])
    found = expect.ok(response, req=REQ)
    shown = {key: found.get(key) for key in ("id", "source", "fn_id")}
    expected = {key: trigger[key] for key in ("id", "source", "fn_id")}
    expect.equal(shown, expected, "trigger found by source", response=response, req=REQ)


def test_trigger_by_unknown_source_answers_404(fn: FnClient, make: Factory, names: Names) -> None:
    app = make.app()
    make.trigger(app, make.fn(app))
    expect.error(fn.get_trigger_by_source(app["id"], "http", names.source()), 404, req=REQ)


def test_trigger_by_source_of_another_app_answers_404(fn: FnClient, make: Factory) -> None:
    app, other_app = make.app(), make.app()
    make.trigger(app, make.fn(app))
    trigger = make.trigger(other_app, make.fn(other_app))
    response = fn.get_trigger_by_source(app["id"], "http", trigger["source"])
    expect.error(response, 404, req=REQ)
