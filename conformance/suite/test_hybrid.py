"""The runner-facing read API that hybrid runner and LB nodes use to resolve triggers.

``GET /v2/runner/apps/{app}/triggerBySource/{type}/{source}`` takes the stored source with its
leading '/', so the source ``/foo`` is addressed as ``.../triggerBySource/http//foo``.
FN-HYB-001 needs the ``hybrid_api`` capability (the catalogue says so): a deployment that does
not serve this API declares ``--capability hybrid_api=off`` and the area is *disabled*. The suite
never guesses that a target lacks it from how it answers.
"""

from __future__ import annotations

from typing import Any

import pytest

from conformance import expect
from conformance.client import FnClient
from conformance.resources import Factory, Names

Entity = dict[str, Any]
REQ = "FN-HYB-001"

pytestmark = pytest.mark.requirement(REQ)


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
