"""Triggers: create rules, name and source uniqueness, GET, PUT and the list filters.

A trigger belongs to an app and one of its fns. Names are unique per (app, fn) and sources per
(app, type); both clashes answer 409, on create and on PUT alike. PUT never moves a trigger to
another app or type.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import pytest
import requests

from conformance import expect
from conformance.client import FnClient
from conformance.resources import Factory, Names

Entity = dict[str, Any]

#: A well-formed id (26 characters of the id alphabet) that no server issues: read as a
#: time-sortable id, its time lies thousands of years ahead.
UNKNOWN_ID = "7ZZZZZZZZZZZZZZZZZZZZZZZZZ"
#: The stored fields of a trigger; annotations are left out because reads may decorate them.
FIELDS = ("id", "name", "app_id", "fn_id", "type", "source", "created_at", "updated_at")
TIMESTAMP = "2024-01-02T03:04:05.678Z"
_DROP = object()


@dataclass(frozen=True)
class Parent:
    """An app and one of its fns: what every trigger needs."""

    app: Entity
    fn: Entity


@pytest.fixture
def parent(make: Factory) -> Parent:
    app = make.app()
    return Parent(app, make.fn(app))


def trigger_body(parent: Parent, names: Names, **fields: Any) -> dict[str, Any]:
    """A valid create body for ``parent``; a field given as ``_DROP`` is left out."""
    body = {
        "app_id": parent.app["id"],
        "fn_id": parent.fn["id"],
        "name": names.trigger(),
        "type": "http",
        "source": names.source(),
        **fields,
    }
    return {key: value for key, value in body.items() if value is not _DROP}


def stored(trigger: Entity) -> dict[str, Any]:
    return {key: trigger.get(key) for key in FIELDS}


def expect_fields(
    entity: Entity, expected: dict[str, Any], what: str, *, response: requests.Response, req: str
) -> None:
    """``entity`` has the ``expected`` value for each of its keys (other keys are ignored)."""
    shown = {key: entity.get(key) for key in expected}
    expect.equal(shown, expected, what, response=response, req=req)


def expect_unchanged(fn: FnClient, before: Entity, *, req: str) -> None:
    """GET shows ``before``'s stored fields exactly."""
    response = fn.get_trigger(before["id"])
    after = expect.ok(response, req=req)
    expect.equal(
        stored(after), stored(before), "trigger after a refused PUT", response=response, req=req
    )


def listed_ids(response: requests.Response, *, req: str) -> set[str]:
    return {item.get("id") for item in expect.items(response, req=req)}


def sized_name(names: Names, nbytes: int, filler: str) -> str:
    """A unique name of exactly ``nbytes`` UTF-8 bytes, padded with ``filler``."""
    base = names.scoped("")
    count, rest = divmod(nbytes - len(base.encode()), len(filler.encode()))
    return base + filler * count + "x" * rest


# -- create ------------------------------------------------------------------------------


@pytest.mark.requirement("FN-TRG-001")
def test_create_http_trigger_answers_200_with_full_trigger(
    fn: FnClient, names: Names, parent: Parent
) -> None:
    body = trigger_body(parent, names)
    response = fn.create_trigger(body)
    trigger = expect.ok(response, req="FN-TRG-001")
    expect_fields(
        trigger, body, "fields of the created trigger", response=response, req="FN-TRG-001"
    )
    for key in ("id", "created_at", "updated_at"):
        expect.true(
            isinstance(trigger.get(key), str) and trigger[key] != "",
            f"Created trigger lacks {key}",
            f"Received: {trigger.get(key)!r}\nExpected: a non-empty string",
            response=response,
            req="FN-TRG-001",
        )


@pytest.mark.requirement("FN-TRG-002")
@pytest.mark.parametrize(
    "field",
    [
        pytest.param({"id": UNKNOWN_ID}, id="id"),
        pytest.param({"created_at": TIMESTAMP}, id="created_at"),
        pytest.param({"updated_at": TIMESTAMP}, id="updated_at"),
    ],
)
def test_create_trigger_with_server_field_answers_400(
    fn: FnClient, names: Names, parent: Parent, field: dict[str, str]
) -> None:
    expect.error(fn.create_trigger(trigger_body(parent, names, **field)), 400, req="FN-TRG-002")


@pytest.mark.requirement("FN-TRG-003")
@pytest.mark.parametrize(
    "fields",
    [
        pytest.param({"app_id": _DROP}, id="no-app_id"),
        pytest.param({"name": _DROP}, id="no-name"),
        pytest.param({"name": ""}, id="empty-name"),
        pytest.param({"fn_id": _DROP}, id="no-fn_id"),
        pytest.param({"source": _DROP}, id="no-source"),
        pytest.param({"source": ""}, id="empty-source"),
        pytest.param({"source": "no-leading-slash"}, id="source-without-slash"),
        pytest.param({"type": _DROP}, id="no-type"),
        pytest.param({"type": "cron"}, id="type-cron"),
        pytest.param({"type": "HTTP"}, id="type-HTTP-uppercase"),
    ],
)
def test_create_trigger_with_missing_or_bad_field_answers_400(
    fn: FnClient, names: Names, parent: Parent, fields: dict[str, Any]
) -> None:
    expect.error(fn.create_trigger(trigger_body(parent, names, **fields)), 400, req="FN-TRG-003")


NAME_CASES = [
    pytest.param(lambda n: n.scoped("ünïcödé"), 200, id="latin-letters-with-accents"),
    pytest.param(lambda n: n.scoped("日本語"), 200, id="cjk-letters"),
    pytest.param(lambda n: n.scoped("a_b-c"), 200, id="underscore-and-dash"),
    pytest.param(lambda n: sized_name(n, 255, "x"), 200, id="255-bytes"),
    pytest.param(lambda n: n.scoped("a.b"), 400, id="dot"),
    pytest.param(lambda n: n.scoped("a b"), 400, id="space"),
    pytest.param(lambda n: n.scoped("a/b"), 400, id="slash"),
    pytest.param(lambda n: sized_name(n, 256, "x"), 400, id="256-bytes"),
    pytest.param(lambda n: sized_name(n, 256, "é"), 400, id="256-bytes-in-2-byte-letters"),
]


@pytest.mark.requirement("FN-TRG-004")
@pytest.mark.parametrize(("make_name", "code"), NAME_CASES)
def test_create_trigger_name_follows_app_name_rules(
    fn: FnClient, names: Names, parent: Parent, make_name: Callable[[Names], str], code: int
) -> None:
    name = make_name(names)
    response = fn.create_trigger(trigger_body(parent, names, name=name))
    if code == 200:
        trigger = expect.ok(response, req="FN-TRG-004")
        expect.equal(trigger.get("name"), name, "trigger name", response=response, req="FN-TRG-004")
    else:
        expect.error(response, code, req="FN-TRG-004")


@pytest.mark.requirement("FN-TRG-005")
@pytest.mark.parametrize("unknown", ["app_id", "fn_id"])
def test_create_trigger_for_unknown_parent_answers_404(
    fn: FnClient, names: Names, parent: Parent, unknown: str
) -> None:
    body = trigger_body(parent, names, **{unknown: UNKNOWN_ID})
    expect.error(fn.create_trigger(body), 404, req="FN-TRG-005")


@pytest.mark.requirement("FN-TRG-005")
def test_create_trigger_for_fn_of_another_app_answers_400(
    fn: FnClient, make: Factory, names: Names, parent: Parent
) -> None:
    foreign = make.fn(make.app())
    body = trigger_body(parent, names, fn_id=foreign["id"])
    expect.error(fn.create_trigger(body), 400, req="FN-TRG-005")


# -- uniqueness --------------------------------------------------------------------------


@pytest.mark.requirement("FN-TRG-006")
@pytest.mark.parametrize("same_fn", [True, False], ids=["same-fn", "other-fn"])
def test_create_trigger_with_source_taken_on_same_app_answers_409(
    fn: FnClient, make: Factory, names: Names, parent: Parent, same_fn: bool
) -> None:
    first = make.trigger(parent.app, parent.fn)
    target = parent if same_fn else Parent(parent.app, make.fn(parent.app))
    body = trigger_body(target, names, source=first["source"])
    expect.error(fn.create_trigger(body), 409, req="FN-TRG-006")


@pytest.mark.requirement("FN-TRG-006")
def test_create_trigger_with_source_taken_on_another_app_answers_200(
    fn: FnClient, make: Factory, names: Names, parent: Parent
) -> None:
    first = make.trigger(parent.app, parent.fn)
    other_app = make.app()
    other = Parent(other_app, make.fn(other_app))
    response = fn.create_trigger(trigger_body(other, names, source=first["source"]))
    expect.ok(response, req="FN-TRG-006")


@pytest.mark.requirement("FN-TRG-006")
def test_create_trigger_with_source_freed_by_delete_answers_200(
    fn: FnClient, make: Factory, names: Names, parent: Parent
) -> None:
    first = make.trigger(parent.app, parent.fn)
    expect.status(fn.delete_trigger(first["id"]), 204, req="FN-TRG-006")
    response = fn.create_trigger(trigger_body(parent, names, source=first["source"]))
    expect.ok(response, req="FN-TRG-006")


@pytest.mark.requirement("FN-TRG-007")
def test_create_trigger_breaking_source_and_name_rules_answers_source_409(
    fn: FnClient, make: Factory, names: Names, parent: Parent
) -> None:
    """Both clashes answer 409, so the two rules are told apart only by the error message.

    The contract says the source rule is checked first; the suite accepts any message that
    mentions the source (case-insensitive).
    """
    first = make.trigger(parent.app, parent.fn)
    body = trigger_body(parent, names, name=first["name"], source=first["source"])
    response = fn.create_trigger(body)
    message = expect.error(response, 409, req="FN-TRG-007")
    expect.true(
        "source" in message.lower(),
        "The 409 for a double clash is not the source one",
        f"Received: {message!r}\nExpected: a message about the trigger source",
        response=response,
        req="FN-TRG-007",
    )


@pytest.mark.requirement("FN-TRG-008")
def test_create_trigger_with_name_taken_on_same_fn_answers_409(
    fn: FnClient, make: Factory, names: Names, parent: Parent
) -> None:
    first = make.trigger(parent.app, parent.fn)
    body = trigger_body(parent, names, name=first["name"])
    expect.error(fn.create_trigger(body), 409, req="FN-TRG-008")


@pytest.mark.requirement("FN-TRG-008")
def test_create_trigger_with_name_taken_on_other_fn_answers_200(
    fn: FnClient, make: Factory, names: Names, parent: Parent
) -> None:
    first = make.trigger(parent.app, parent.fn)
    sibling = Parent(parent.app, make.fn(parent.app))
    response = fn.create_trigger(trigger_body(sibling, names, name=first["name"]))
    trigger = expect.ok(response, req="FN-TRG-008")
    expect.equal(
        trigger.get("name"), first["name"], "trigger name", response=response, req="FN-TRG-008"
    )


# -- get ---------------------------------------------------------------------------------


@pytest.mark.requirement("FN-TRG-009")
def test_get_trigger_answers_stored_trigger(fn: FnClient, make: Factory, parent: Parent) -> None:
    created = make.trigger(parent.app, parent.fn)
    response = fn.get_trigger(created["id"])
    got = expect.ok(response, req="FN-TRG-009")
    expect.equal(
        stored(got), stored(created), "trigger from GET", response=response, req="FN-TRG-009"
    )


@pytest.mark.requirement("FN-TRG-009")
def test_get_unknown_trigger_answers_404(fn: FnClient) -> None:
    expect.error(fn.get_trigger(UNKNOWN_ID), 404, req="FN-TRG-009")


# -- update ------------------------------------------------------------------------------


@dataclass(frozen=True)
class Scene:
    """An app with two fns and three triggers, and a second app with a fn.

    ``trigger`` and ``sibling`` are on ``fn1``; ``namesake`` is on ``fn2`` and has the name of
    ``trigger`` (allowed, since names are unique per fn).
    """

    app: Entity
    fn1: Entity
    fn2: Entity
    trigger: Entity
    sibling: Entity
    namesake: Entity
    other_app: Entity
    other_fn: Entity


@pytest.fixture
def scene(make: Factory) -> Scene:
    app, other_app = make.app(), make.app()
    fn1, fn2 = make.fn(app), make.fn(app)
    trigger = make.trigger(app, fn1)
    return Scene(
        app=app,
        fn1=fn1,
        fn2=fn2,
        trigger=trigger,
        sibling=make.trigger(app, fn1),
        namesake=make.trigger(app, fn2, name=trigger["name"]),
        other_app=other_app,
        other_fn=make.fn(other_app),
    )


REFUSED_UPDATES = [
    pytest.param(lambda s: {"source": s.sibling["source"]}, 409, id="source-of-sibling"),
    pytest.param(lambda s: {"source": s.namesake["source"]}, 409, id="source-of-other-fn-trigger"),
    pytest.param(lambda s: {"name": s.sibling["name"]}, 409, id="name-of-sibling-on-same-fn"),
    pytest.param(lambda s: {"fn_id": s.fn2["id"]}, 409, id="move-to-fn-with-same-name"),
    pytest.param(lambda s: {"fn_id": UNKNOWN_ID}, 404, id="unknown-fn"),
    pytest.param(lambda s: {"fn_id": s.other_fn["id"]}, 400, id="fn-of-another-app"),
]


@pytest.mark.requirement("FN-TRG-010")
@pytest.mark.parametrize(("change", "code"), REFUSED_UPDATES)
def test_update_trigger_breaking_a_rule_is_refused_and_changes_nothing(
    fn: FnClient, scene: Scene, change: Callable[[Scene], dict[str, Any]], code: int
) -> None:
    response = fn.update_trigger(scene.trigger["id"], change(scene))
    expect.error(response, code, req="FN-TRG-010")
    expect_unchanged(fn, scene.trigger, req="FN-TRG-010")


@pytest.mark.requirement("FN-TRG-010")
@pytest.mark.parametrize(
    ("field", "value"),
    [
        pytest.param("app_id", lambda s: s.other_app["id"], id="app_id"),
        pytest.param("type", lambda s: "cron", id="type"),
    ],
)
def test_update_trigger_never_changes_app_id_or_type(
    fn: FnClient, scene: Scene, field: str, value: Callable[[Scene], str]
) -> None:
    """The contract lets a server ignore the field (200) or refuse the PUT (4xx)."""
    original = scene.trigger
    response = fn.update_trigger(original["id"], {field: value(scene)})
    expect.true(
        response.status_code == 200 or 400 <= response.status_code < 500,
        f"PUT with a different {field} answers neither 200 nor 4xx",
        f"Received: {response.status_code}\nExpected: 200 (field ignored) or a 4xx refusal",
        response=response,
        req="FN-TRG-010",
    )
    if response.status_code == 200:
        shown = expect.ok(response, req="FN-TRG-010")
        expect.equal(
            shown.get(field),
            original[field],
            f"{field} in the PUT response",
            response=response,
            req="FN-TRG-010",
        )
    got = fn.get_trigger(original["id"])
    after = expect.ok(got, req="FN-TRG-010")
    expect.equal(
        after.get(field),
        original[field],
        f"stored {field} after the PUT",
        response=got,
        req="FN-TRG-010",
    )


@pytest.mark.requirement("FN-TRG-010")
def test_update_trigger_source_and_name_frees_the_old_source(
    fn: FnClient, names: Names, scene: Scene
) -> None:
    original = scene.trigger
    change = {"name": names.trigger(), "source": names.source()}
    response = fn.update_trigger(original["id"], change)
    shown = expect.ok(response, req="FN-TRG-010")
    expect_fields(shown, change, "PUT response", response=response, req="FN-TRG-010")
    got = fn.get_trigger(original["id"])
    after = expect.ok(got, req="FN-TRG-010")
    expect_fields(after, change, "trigger after the PUT", response=got, req="FN-TRG-010")
    taker = trigger_body(Parent(scene.app, scene.fn2), names, source=original["source"])
    expect.ok(fn.create_trigger(taker), req="FN-TRG-010")


@pytest.mark.requirement("FN-TRG-011")
def test_update_trigger_with_mismatched_body_id_answers_400_and_changes_nothing(
    fn: FnClient, names: Names, scene: Scene
) -> None:
    body = {"id": scene.sibling["id"], "name": names.trigger(), "source": names.source()}
    expect.error(fn.update_trigger(scene.trigger["id"], body), 400, req="FN-TRG-011")
    expect_unchanged(fn, scene.trigger, req="FN-TRG-011")
    expect_unchanged(fn, scene.sibling, req="FN-TRG-011")


# -- list --------------------------------------------------------------------------------


@pytest.mark.requirement("FN-TRG-012")
def test_list_triggers_without_app_id_answers_400(fn: FnClient) -> None:
    expect.error(fn.list_triggers(), 400, req="FN-TRG-012")


@pytest.mark.requirement("FN-TRG-012")
def test_list_triggers_by_app_id_lists_exactly_that_apps_triggers(
    fn: FnClient, make: Factory, scene: Scene
) -> None:
    make.trigger(scene.other_app, scene.other_fn)
    response = fn.list_triggers(app_id=scene.app["id"])
    expected = {scene.trigger["id"], scene.sibling["id"], scene.namesake["id"]}
    expect.equal(
        listed_ids(response, req="FN-TRG-012"),
        expected,
        "trigger ids listed for the app",
        response=response,
        req="FN-TRG-012",
    )


@pytest.mark.requirement("FN-TRG-012")
def test_list_triggers_by_fn_id_lists_exactly_that_fns_triggers(fn: FnClient, scene: Scene) -> None:
    response = fn.list_triggers(app_id=scene.app["id"], fn_id=scene.fn1["id"])
    expected = {scene.trigger["id"], scene.sibling["id"]}
    expect.equal(
        listed_ids(response, req="FN-TRG-012"),
        expected,
        "trigger ids listed for the fn",
        response=response,
        req="FN-TRG-012",
    )


@pytest.mark.requirement("FN-TRG-012")
def test_list_triggers_by_name_lists_exactly_the_triggers_of_that_name(
    fn: FnClient, scene: Scene
) -> None:
    response = fn.list_triggers(app_id=scene.app["id"], name=scene.trigger["name"])
    expected = {scene.trigger["id"], scene.namesake["id"]}
    expect.equal(
        listed_ids(response, req="FN-TRG-012"),
        expected,
        "trigger ids listed for the name",
        response=response,
        req="FN-TRG-012",
    )
