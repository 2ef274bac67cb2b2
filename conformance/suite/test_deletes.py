"""Deletes: 204 with an empty body, 404 afterwards, and the cascades.

Deleting an app removes its fns and their triggers; deleting a fn removes its triggers and
nothing else.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import pytest
import requests

from conformance import expect
from conformance.client import FnClient
from conformance.resources import Factory

Entity = dict[str, Any]
#: Statuses of a delete that worked; tests of other rules go on after any of them, so a
#: target that answers 200 instead of 204 is reported under FN-DEL-001 only.
DELETED = (200, 202, 204)
KINDS = ("app", "fn", "trigger")


def make_entity(make: Factory, kind: str) -> Entity:
    """A fresh entity of ``kind`` with the parents it needs."""
    app = make.app()
    if kind == "app":
        return app
    fn = make.fn(app)
    return fn if kind == "fn" else make.trigger(app, fn)


def get(fn: FnClient, kind: str, entity_id: str) -> requests.Response:
    response: requests.Response = getattr(fn, f"get_{kind}")(entity_id)
    return response


def delete(fn: FnClient, kind: str, entity_id: str) -> requests.Response:
    response: requests.Response = getattr(fn, f"delete_{kind}")(entity_id)
    return response


def listed_ids(response: requests.Response, *, req: str) -> list[str]:
    return sorted(item.get("id") for item in expect.items(response, req=req))


@dataclass(frozen=True)
class Family:
    """An app with two fns: ``fn1`` has two triggers, ``fn2`` one."""

    app: Entity
    fn1: Entity
    fn2: Entity
    fn1_triggers: tuple[Entity, Entity]
    fn2_trigger: Entity


@pytest.fixture
def family(make: Factory) -> Family:
    app = make.app()
    fn1, fn2 = make.fn(app), make.fn(app)
    return Family(
        app=app,
        fn1=fn1,
        fn2=fn2,
        fn1_triggers=(make.trigger(app, fn1), make.trigger(app, fn1)),
        fn2_trigger=make.trigger(app, fn2),
    )


@pytest.mark.requirement("FN-DEL-001")
@pytest.mark.parametrize("kind", KINDS)
def test_delete_answers_204_with_empty_body(fn: FnClient, make: Factory, kind: str) -> None:
    entity = make_entity(make, kind)
    response = delete(fn, kind, entity["id"])
    expect.status(response, 204, req="FN-DEL-001")
    expect.empty_body(response, req="FN-DEL-001")


@pytest.mark.requirement("FN-DEL-002")
@pytest.mark.parametrize("kind", KINDS)
def test_get_and_second_delete_after_delete_answer_404(
    fn: FnClient, make: Factory, kind: str
) -> None:
    entity = make_entity(make, kind)
    expect.status(delete(fn, kind, entity["id"]), *DELETED, req="FN-DEL-001")
    expect.error(get(fn, kind, entity["id"]), 404, req="FN-DEL-002")
    expect.error(delete(fn, kind, entity["id"]), 404, req="FN-DEL-002")


@pytest.mark.requirement("FN-DEL-003")
def test_delete_app_removes_its_fns_and_triggers(fn: FnClient, family: Family) -> None:
    req = "FN-DEL-003"
    expect.status(fn.delete_app(family.app["id"]), *DELETED, req="FN-DEL-001")
    for fn_entity in (family.fn1, family.fn2):
        expect.error(fn.get_fn(fn_entity["id"]), 404, req=req, why="GET of a deleted app's fn")
    for trigger in (*family.fn1_triggers, family.fn2_trigger):
        response = fn.get_trigger(trigger["id"])
        expect.error(response, 404, req=req, why="GET of a deleted app's trigger")
    for kind, response in (
        ("fns", fn.list_fns(app_id=family.app["id"])),
        ("triggers", fn.list_triggers(app_id=family.app["id"])),
    ):
        ids = listed_ids(response, req=req)
        expect.equal(ids, [], f"{kind} listed for a deleted app", response=response, req=req)


@pytest.mark.requirement("FN-DEL-004")
def test_delete_fn_removes_its_triggers_and_keeps_its_siblings(
    fn: FnClient, family: Family
) -> None:
    req = "FN-DEL-004"
    app_id = family.app["id"]
    expect.status(fn.delete_fn(family.fn1["id"]), *DELETED, req="FN-DEL-001")
    for trigger in family.fn1_triggers:
        response = fn.get_trigger(trigger["id"])
        expect.error(response, 404, req=req, why="GET of a deleted fn's trigger")
    response = fn.list_triggers(app_id=app_id, fn_id=family.fn1["id"])
    ids = listed_ids(response, req=req)
    expect.equal(ids, [], "triggers listed for a deleted fn", response=response, req=req)
    expect.ok(fn.get_app(app_id), req=req)
    expect.ok(fn.get_fn(family.fn2["id"]), req=req)
    expect.ok(fn.get_trigger(family.fn2_trigger["id"]), req=req)
    response = fn.list_fns(app_id=app_id)
    ids = listed_ids(response, req=req)
    expect.equal(ids, [family.fn2["id"]], "fns listed after the delete", response=response, req=req)
    response = fn.list_triggers(app_id=app_id)
    ids = listed_ids(response, req=req)
    expected = [family.fn2_trigger["id"]]
    expect.equal(ids, expected, "triggers listed after the delete", response=response, req=req)
