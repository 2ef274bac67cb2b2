"""Annotations on apps, fns and triggers: endpoint annotations, storage, merge and limits.

A target may add annotations of its own (a datastore may inject some, and fn and trigger reads
carry endpoint annotations), so every check here looks only at the keys the test sent.
"""

from __future__ import annotations

import json
from typing import Any

import pytest
import requests

from conformance import expect
from conformance.client import FnClient
from conformance.config import ConformanceConfig
from conformance.resources import Factory, Names

Entity = dict[str, Any]
KINDS = ("app", "fn", "trigger")
INVOKE_ENDPOINT = "fnproject.io/fn/invokeEndpoint"
HTTP_ENDPOINT = "fnproject.io/trigger/httpEndpoint"
#: The requirement of a successful create of each kind.
CREATE_REQ = {"app": "FN-APP-001", "fn": "FN-FN-001", "trigger": "FN-TRG-001"}
#: One value of each JSON type the contract stores (false counts as non-empty).
EVERY_TYPE = {
    "example.com/string": "text",
    "example.com/integer": 42,
    "example.com/float": 1.5,
    "example.com/object": {"b": 1, "a": ["x", {"c": True}]},
    "example.com/array": [1, "two", {"three": 3}],
    "example.com/false": False,
}


class Annotated:
    """Creates, reads and updates entities of any kind under one shared app and fn."""

    def __init__(self, fn: FnClient, names: Names, image: str, app: Entity, func: Entity) -> None:
        self.fn = fn
        self.names = names
        self.image = image
        self.app = app
        self.func = func

    def body(self, kind: str, annotations: Any) -> dict[str, Any]:
        if kind == "app":
            return {"name": self.names.app(), "annotations": annotations}
        if kind == "fn":
            return {
                "app_id": self.app["id"],
                "name": self.names.fn(),
                "image": self.image,
                "annotations": annotations,
            }
        return {
            "app_id": self.app["id"],
            "fn_id": self.func["id"],
            "name": self.names.trigger(),
            "type": "http",
            "source": self.names.source(),
            "annotations": annotations,
        }

    def call(self, operation: str, kind: str, *args: Any, **params: Any) -> requests.Response:
        """``call("get", "fn", fn_id)`` is ``fn.get_fn(fn_id)``."""
        response: requests.Response = getattr(self.fn, f"{operation}_{kind}")(*args, **params)
        return response

    def create(self, kind: str, annotations: Any) -> requests.Response:
        return self.call("create", kind, self.body(kind, annotations))

    def make(self, kind: str, annotations: Any, *, req: str) -> Entity:
        """Create an entity that must be accepted; a refusal fails ``req``."""
        entity: Entity = expect.ok(self.create(kind, annotations), req=req)
        return entity

    def get(self, kind: str, entity_id: str) -> requests.Response:
        return self.call("get", kind, entity_id)

    def update(self, kind: str, entity_id: str, annotations: Any) -> requests.Response:
        return self.call("update", kind, entity_id, {"annotations": annotations})

    def listing(self, kind: str, **params: Any) -> requests.Response:
        return self.call("list", f"{kind}s", **params)


@pytest.fixture(scope="module")
def annotated(fn: FnClient, make: Factory, names: Names, fn_config: ConformanceConfig) -> Annotated:
    """One app and fn shared by this module: the tests create only children or new apps."""
    app = make.app()
    return Annotated(fn, names, fn_config.fn_image, app, make.fn(app))


def canonical(value: Any) -> str:
    """JSON text that tells false from 0 and 1 from true (Python equality does not)."""
    return json.dumps(value, sort_keys=True)


def annotations_of(entity: Entity) -> dict[str, Any]:
    found = entity.get("annotations")
    return found if isinstance(found, dict) else {}


def expect_annotations(
    response: requests.Response,
    expected: dict[str, Any],
    *,
    absent: tuple[str, ...] = (),
    req: str,
) -> None:
    """The entity in ``response`` has the ``expected`` keys and values and lacks ``absent``."""
    entity = expect.ok(response, req=req)
    shown = annotations_of(entity)
    got = {key: canonical(shown[key]) if key in shown else "(missing)" for key in expected}
    want = {key: canonical(value) for key, value in expected.items()}
    expect.equal(got, want, "annotation values", response=response, req=req)
    present = sorted(key for key in absent if key in shown)
    expect.equal(present, [], "annotation keys that should be absent", response=response, req=req)


def expect_refused_and_unchanged(
    annotated: Annotated,
    kind: str,
    entity: Entity,
    created: dict[str, Any],
    change: dict[str, Any],
    *,
    req: str,
) -> None:
    """A PUT of ``change`` is refused with 400, and GET still shows the ``created`` annotations
    and none of the keys the PUT tried to add."""
    expect.error(annotated.update(kind, entity["id"], change), 400, req=req)
    added = tuple(key for key in change if key not in created)
    expect_annotations(annotated.get(kind, entity["id"]), created, absent=added, req=req)


def sized_object(nbytes: int) -> dict[str, str]:
    """An object whose compact JSON is exactly ``nbytes`` bytes long."""
    return {"pad": "p" * (nbytes - len('{"pad":""}'))}


def many_keys(count: int, prefix: str = "k") -> dict[str, int]:
    return {f"{prefix}{index:03}": index for index in range(count)}


# -- endpoint annotations ------------------------------------------------------------------


def read_back(
    annotated: Annotated, kind: str, read: str, created: requests.Response, *, req: str
) -> tuple[requests.Response, Entity]:
    """The entity as ``read`` shows it: the create response itself, a GET, or its list item."""
    entity = expect.ok(created, req=CREATE_REQ[kind])
    if read == "create":
        return created, entity
    if read == "get":
        response = annotated.get(kind, entity["id"])
        return response, expect.ok(response, req=req)
    response = annotated.listing(kind, app_id=annotated.app["id"], name=entity["name"])
    items = expect.ok(response, req=req).get("items")
    found = [i for i in items if i.get("id") == entity["id"]] if isinstance(items, list) else []
    expect.true(
        len(found) == 1,
        f"The {kind} list filtered by name does not hold the {kind} once",
        f"Received: {str(items)[:300]}\nExpected: one item with id {entity['id']}",
        response=response,
        req=req,
    )
    return response, found[0]


def expect_endpoint(
    response: requests.Response, entity: Entity, key: str, suffix: str, *, req: str
) -> None:
    value = annotations_of(entity).get(key)
    expect.true(
        isinstance(value, str)
        and value.startswith(("http://", "https://"))
        and value.endswith(suffix),
        f"{key} does not point at the entity",
        f"Received: {value!r}\nExpected: an http(s) URL ending with {suffix!r}",
        response=response,
        req=req,
    )


READS = ["create", "get", "list"]


@pytest.mark.requirement("FN-ANN-001")
@pytest.mark.parametrize("read", READS)
def test_fn_reads_carry_invoke_endpoint(annotated: Annotated, read: str) -> None:
    created = annotated.create("fn", {"example.com/x": "y"})
    response, func = read_back(annotated, "fn", read, created, req="FN-ANN-001")
    suffix = f"/invoke/{func['id']}"
    expect_endpoint(response, func, INVOKE_ENDPOINT, suffix, req="FN-ANN-001")


@pytest.mark.requirement("FN-ANN-002")
@pytest.mark.parametrize("read", READS)
def test_trigger_reads_carry_http_endpoint(annotated: Annotated, read: str) -> None:
    created = annotated.create("trigger", {"example.com/x": "y"})
    response, trigger = read_back(annotated, "trigger", read, created, req="FN-ANN-002")
    suffix = f"/t/{annotated.app['name']}{trigger['source']}"
    expect_endpoint(response, trigger, HTTP_ENDPOINT, suffix, req="FN-ANN-002")


# -- storage and merge -----------------------------------------------------------------------


@pytest.mark.requirement("FN-ANN-003")
@pytest.mark.parametrize("kind", KINDS)
def test_annotations_of_every_json_type_are_stored(annotated: Annotated, kind: str) -> None:
    response = annotated.create(kind, EVERY_TYPE)
    expect_annotations(response, EVERY_TYPE, req="FN-ANN-003")
    entity = expect.ok(response, req="FN-ANN-003")
    expect_annotations(annotated.get(kind, entity["id"]), EVERY_TYPE, req="FN-ANN-003")


@pytest.mark.requirement("FN-ANN-004")
@pytest.mark.parametrize("kind", KINDS)
def test_update_merges_annotations_and_empty_string_removes(
    annotated: Annotated, kind: str
) -> None:
    initial = {"k-keep": 1, "k-change": "old", "k-drop": "x"}
    entity = annotated.make(kind, initial, req=CREATE_REQ[kind])
    response = annotated.update(kind, entity["id"], {"k-change": "new", "k-drop": "", "k-add": [1]})
    merged = {"k-keep": 1, "k-change": "new", "k-add": [1]}
    expect_annotations(response, merged, absent=("k-drop",), req="FN-ANN-004")
    got = annotated.get(kind, entity["id"])
    expect_annotations(got, merged, absent=("k-drop",), req="FN-ANN-004")


# -- keys ------------------------------------------------------------------------------------


BAD_KEYS = [
    pytest.param("", id="empty"),
    pytest.param("has space", id="space"),
    pytest.param("ключ", id="non-ascii"),
    pytest.param("k" * 129, id="129-bytes"),
]


@pytest.mark.requirement("FN-ANN-005")
@pytest.mark.parametrize("kind", KINDS)
@pytest.mark.parametrize("key", BAD_KEYS)
def test_create_with_invalid_annotation_key_answers_400(
    annotated: Annotated, kind: str, key: str
) -> None:
    expect.error(annotated.create(kind, {key: "value"}), 400, req="FN-ANN-005")


@pytest.mark.requirement("FN-ANN-005")
@pytest.mark.parametrize("kind", KINDS)
def test_create_with_128_byte_annotation_key_answers_200(annotated: Annotated, kind: str) -> None:
    key = "example.com/" + "k" * (128 - len("example.com/"))
    expect_annotations(annotated.create(kind, {key: "value"}), {key: "value"}, req="FN-ANN-005")


# -- values ----------------------------------------------------------------------------------


#: Sizes are of the compact JSON text, quotes included.
OVERSIZED = [
    pytest.param("v" * 511, id="string-513-bytes"),
    pytest.param(sized_object(600), id="object-600-bytes"),
]


@pytest.mark.requirement("FN-ANN-006")
@pytest.mark.parametrize("kind", KINDS)
@pytest.mark.parametrize(
    "value",
    [
        pytest.param("", id="empty-string"),
        pytest.param(None, id="null", marks=pytest.mark.disruptive),
        *OVERSIZED,
    ],
)
def test_create_with_invalid_annotation_value_answers_400(
    annotated: Annotated, kind: str, value: Any
) -> None:
    expect.error(annotated.create(kind, {"example.com/key": value}), 400, req="FN-ANN-006")


@pytest.mark.requirement("FN-ANN-006")
@pytest.mark.parametrize("kind", KINDS)
def test_create_with_500_byte_annotation_value_answers_200(annotated: Annotated, kind: str) -> None:
    wanted = {"example.com/object": sized_object(500), "example.com/string": "s" * 498}
    expect_annotations(annotated.create(kind, wanted), wanted, req="FN-ANN-006")


@pytest.mark.requirement("FN-ANN-006")
@pytest.mark.disruptive  # upstream 0.3.753 panics inside its transaction and hangs from then on
@pytest.mark.parametrize("kind", KINDS)
def test_update_with_null_annotation_value_answers_400_and_changes_nothing(
    annotated: Annotated, kind: str
) -> None:
    created = {"k-one": "v"}
    entity = annotated.make(kind, created, req=CREATE_REQ[kind])
    change = {"k-one": None, "k-two": "new"}
    expect_refused_and_unchanged(annotated, kind, entity, created, change, req="FN-ANN-006")


# -- count -----------------------------------------------------------------------------------


@pytest.mark.requirement("FN-ANN-007")
@pytest.mark.parametrize("kind", KINDS)
def test_create_with_101_annotation_keys_answers_400(annotated: Annotated, kind: str) -> None:
    expect.error(annotated.create(kind, many_keys(101)), 400, req="FN-ANN-007")


@pytest.mark.requirement("FN-ANN-007")
@pytest.mark.parametrize("kind", KINDS)
def test_create_with_100_annotation_keys_answers_200(annotated: Annotated, kind: str) -> None:
    wanted = many_keys(100)
    expect_annotations(annotated.create(kind, wanted), wanted, req="FN-ANN-007")


@pytest.mark.requirement("FN-ANN-007")
@pytest.mark.parametrize("kind", KINDS)
def test_update_beyond_100_annotation_keys_answers_400_and_changes_nothing(
    annotated: Annotated, kind: str
) -> None:
    created = many_keys(95)
    entity = annotated.make(kind, created, req=CREATE_REQ[kind])
    change = many_keys(10, prefix="new")
    expect_refused_and_unchanged(annotated, kind, entity, created, change, req="FN-ANN-007")


@pytest.mark.requirement("FN-ANN-007")
@pytest.mark.parametrize("kind", KINDS)
def test_update_of_existing_key_at_100_annotation_keys_answers_200(
    annotated: Annotated, kind: str
) -> None:
    """The limit counts the keys after the merge: overwriting a key adds none."""
    entity = annotated.make(kind, many_keys(100), req=CREATE_REQ[kind])
    response = annotated.update(kind, entity["id"], {"k000": "changed"})
    wanted = {**many_keys(100), "k000": "changed"}
    expect_annotations(response, wanted, req="FN-ANN-007")
    expect_annotations(annotated.get(kind, entity["id"]), wanted, req="FN-ANN-007")
