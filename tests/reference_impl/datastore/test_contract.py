"""The datastore contract: every backend (see ``conftest.py``) must pass every test here."""

from __future__ import annotations

import dataclasses
import uuid
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, Protocol

import pytest

from reference_impl.datastore import AppFilter, Datastore, FnFilter, ListKey, TriggerFilter
from reference_impl.errors import (
    AppAlreadyExists,
    AppNotFound,
    BadRequest,
    FnAlreadyExists,
    FnNotFound,
    NotFound,
    TriggerAlreadyExists,
    TriggerNotFound,
    TriggerSourceExists,
)
from reference_impl.ids import new_id
from reference_impl.models import App, Fn, Trigger, utc_now

from ..conftest import RACERS, race


class Backend(Protocol):
    """The ``backend`` fixture: opens further datastores on the same storage."""

    def open(self) -> Datastore: ...


# -- factories ----------------------------------------------------------------------------


def unique(prefix: str) -> str:
    return f"{prefix}-{uuid.uuid4().hex[:10]}"


def make_app(name: str | None = None, **fields: Any) -> App:
    now = utc_now()
    return App(id=new_id(), name=name or unique("app"), created_at=now, updated_at=now, **fields)


def make_fn(app: App, name: str | None = None, **fields: Any) -> Fn:
    now = utc_now()
    fields.setdefault("image", "fnproject/hello:0.0.1")
    return Fn(
        id=new_id(), app_id=app.id, name=name or unique("fn"), created_at=now, updated_at=now,
        **fields,
    )  # fmt: skip


def make_trigger(fn: Fn, name: str | None = None, source: str | None = None, **kw: Any) -> Trigger:
    now = utc_now()
    return Trigger(
        id=new_id(), app_id=fn.app_id, fn_id=fn.id, name=name or unique("trigger"), type="http",
        source=source or "/" + unique("src"), created_at=now, updated_at=now, **kw,
    )  # fmt: skip


def make_app_in(datastore: Datastore) -> App:
    return datastore.create_app(make_app())


NESTED_ANNOTATIONS = {
    "example.com/nested": {"list": [1, 2.5, True, None, {"deep": "é 日本"}], "empty": {}},
    "example.com/text": "value",
    "example.com/number": 42,
}


@pytest.fixture
def app(datastore: Datastore) -> App:
    return datastore.create_app(make_app())


@pytest.fixture
def fn(datastore: Datastore, app: App) -> Fn:
    return datastore.create_fn(make_fn(app))


# -- round trips ----------------------------------------------------------------------------


def test_app_round_trips_every_field(datastore: Datastore) -> None:
    app = make_app(
        config={"KEY": "value", "EMPTY": "", "UNICODE": "é 日本"},
        annotations=NESTED_ANNOTATIONS,
        syslog_url="tcp://logs.example.com:514",
        shape="GENERIC_ARM",
    )
    assert datastore.create_app(app) == app
    assert datastore.get_app(app.id) == app
    assert datastore.get_app_by_name(app.name) == app


def test_update_app_stores_config_annotations_and_syslog_url(datastore: Datastore) -> None:
    app = datastore.create_app(make_app(config={"A": "1"}, syslog_url="tcp://a.example.com:1"))
    changed = dataclasses.replace(
        app, config={"B": "2"}, annotations=NESTED_ANNOTATIONS, syslog_url=None,
        updated_at=utc_now(),
    )  # fmt: skip
    assert datastore.update_app(changed) == changed
    assert datastore.get_app(app.id) == changed


def test_missing_app_raises_app_not_found(datastore: Datastore) -> None:
    with pytest.raises(AppNotFound):
        datastore.get_app(new_id())
    with pytest.raises(AppNotFound):
        datastore.get_app_by_name("no-such-app")
    with pytest.raises(AppNotFound):
        datastore.update_app(make_app())


def test_lookups_by_text_with_nul_match_nothing(datastore: Datastore) -> None:
    """No stored value holds NUL (the API refuses it), so such a lookup finds nothing."""
    app = datastore.create_app(make_app())
    for lookup in (datastore.get_app, datastore.get_app_by_name):
        with pytest.raises(AppNotFound):
            lookup("a\x00b")
    with pytest.raises(FnNotFound):
        datastore.get_fn("a\x00b")
    with pytest.raises(TriggerNotFound):
        datastore.get_trigger_by_source(app.id, "http", "/a\x00b")
    with pytest.raises(AppNotFound):
        datastore.delete_app("a\x00b")
    assert datastore.list_apps(AppFilter(name="\x00"), after=None, limit=10) == []
    assert datastore.list_fns(FnFilter(app_id="\x00"), after=None, limit=10) == []
    assert (
        datastore.list_triggers(TriggerFilter(app_id=app.id, fn_id="\x00"), after=None, limit=10)
        == []
    )


def test_fn_round_trips_every_field_and_takes_the_app_shape(datastore: Datastore) -> None:
    app = datastore.create_app(make_app(shape="GENERIC_X86_ARM"))
    fn = make_fn(
        app, memory=256, timeout=120, idle_timeout=600, config={"K": "v", "U": "日本"},
        annotations=NESTED_ANNOTATIONS,
    )  # fmt: skip
    expected = dataclasses.replace(fn, shape="GENERIC_X86_ARM")
    assert datastore.create_fn(fn) == expected
    assert datastore.get_fn(fn.id) == expected


def test_update_fn_stores_every_mutable_field(datastore: Datastore, fn: Fn) -> None:
    changed = dataclasses.replace(
        fn, image="fnproject/other:2", memory=1024, timeout=5, idle_timeout=1, config={"N": "1"},
        annotations={"example.com/k": ["v"]}, updated_at=utc_now(),
    )  # fmt: skip
    assert datastore.update_fn(changed) == changed
    assert datastore.get_fn(fn.id) == changed


def test_missing_fn_raises_fn_not_found(datastore: Datastore, app: App) -> None:
    with pytest.raises(FnNotFound):
        datastore.get_fn(new_id())
    with pytest.raises(FnNotFound):
        datastore.update_fn(make_fn(app))


def test_trigger_round_trips_every_field(datastore: Datastore, fn: Fn) -> None:
    trigger = make_trigger(fn, source="/a/b é", annotations=NESTED_ANNOTATIONS)
    assert datastore.create_trigger(trigger) == trigger
    assert datastore.get_trigger(trigger.id) == trigger
    assert datastore.get_trigger_by_source(fn.app_id, "http", "/a/b é") == trigger


def test_get_trigger_by_source_matches_app_type_and_exact_source(
    datastore: Datastore, fn: Fn
) -> None:
    other = datastore.create_fn(make_fn(make_app_in(datastore)))
    datastore.create_trigger(make_trigger(fn, source="/hook"))
    datastore.create_trigger(make_trigger(other, source="/elsewhere"))
    for app_id, type_, source in [
        (other.app_id, "http", "/hook"),
        (fn.app_id, "grpc", "/hook"),
        (fn.app_id, "http", "/hook/"),
        (fn.app_id, "http", "/HOOK"),
    ]:
        with pytest.raises(TriggerNotFound):
            datastore.get_trigger_by_source(app_id, type_, source)


def test_update_trigger_stores_name_source_fn_and_annotations(
    datastore: Datastore, app: App, fn: Fn
) -> None:
    trigger = datastore.create_trigger(make_trigger(fn))
    sibling = datastore.create_fn(make_fn(app))
    changed = dataclasses.replace(
        trigger, name="renamed", source="/moved", fn_id=sibling.id,
        annotations={"example.com/k": {"x": 1}}, updated_at=utc_now(),
    )  # fmt: skip
    assert datastore.update_trigger(changed) == changed
    assert datastore.get_trigger(trigger.id) == changed
    assert datastore.get_trigger_by_source(fn.app_id, "http", "/moved") == changed


def test_missing_trigger_raises_trigger_not_found(datastore: Datastore, fn: Fn) -> None:
    with pytest.raises(TriggerNotFound):
        datastore.get_trigger(new_id())
    with pytest.raises(TriggerNotFound):
        datastore.update_trigger(make_trigger(fn))


# -- uniqueness -----------------------------------------------------------------------------


def test_create_app_twice_raises_app_already_exists(datastore: Datastore, app: App) -> None:
    with pytest.raises(AppAlreadyExists):
        datastore.create_app(make_app(app.name))
    datastore.create_app(make_app(app.name.upper()))  # names compare case-sensitively


def test_create_fn_with_a_taken_name_raises_fn_already_exists(
    datastore: Datastore, app: App, fn: Fn
) -> None:
    with pytest.raises(FnAlreadyExists):
        datastore.create_fn(make_fn(app, fn.name))
    datastore.create_fn(make_fn(make_app_in(datastore), fn.name))  # another app: fine


def test_trigger_name_is_unique_per_app_and_fn(datastore: Datastore, app: App, fn: Fn) -> None:
    first = datastore.create_trigger(make_trigger(fn, "same"))
    with pytest.raises(TriggerAlreadyExists):
        datastore.create_trigger(make_trigger(fn, "same"))
    sibling = datastore.create_fn(make_fn(app))
    second = datastore.create_trigger(make_trigger(sibling, "same"))  # another fn: fine
    assert {t.id for t in datastore.list_triggers(
        TriggerFilter(fn.app_id, name="same"), after=None, limit=10
    )} == {first.id, second.id}  # fmt: skip


def test_trigger_source_is_unique_per_app_and_type(datastore: Datastore, app: App, fn: Fn) -> None:
    first = datastore.create_trigger(make_trigger(fn, source="/s"))
    sibling = datastore.create_fn(make_fn(app))
    with pytest.raises(TriggerSourceExists):
        datastore.create_trigger(make_trigger(sibling, source="/s"))  # even on another fn
    other_app = datastore.create_fn(make_fn(make_app_in(datastore)))
    datastore.create_trigger(make_trigger(other_app, source="/s"))  # another app: fine
    datastore.delete_trigger(first.id)
    datastore.create_trigger(make_trigger(sibling, source="/s"))  # free again after delete


def test_create_breaking_both_trigger_rules_raises_trigger_source_exists(
    datastore: Datastore, fn: Fn
) -> None:
    datastore.create_trigger(make_trigger(fn, "same", "/same"))
    with pytest.raises(TriggerSourceExists):
        datastore.create_trigger(make_trigger(fn, "same", "/same"))


UPDATE_BREAKS: dict[str, tuple[Callable[[Trigger, Fn], dict[str, Any]], type[Exception]]] = {
    "clashing-source": (lambda taken, _: {"source": taken.source}, TriggerSourceExists),
    "clashing-name": (lambda taken, _: {"name": taken.name}, TriggerAlreadyExists),
    "missing-fn": (lambda _, __: {"fn_id": new_id()}, FnNotFound),
    "fn-of-another-app": (lambda _, foreign: {"fn_id": foreign.id}, BadRequest),
}


@pytest.mark.parametrize("case", UPDATE_BREAKS)
def test_update_trigger_breaking_a_rule_raises_and_changes_nothing(
    datastore: Datastore, fn: Fn, case: str
) -> None:
    change, error = UPDATE_BREAKS[case]
    taken = datastore.create_trigger(make_trigger(fn))
    foreign = datastore.create_fn(make_fn(make_app_in(datastore)))
    trigger = datastore.create_trigger(make_trigger(fn))
    with pytest.raises(error):
        datastore.update_trigger(dataclasses.replace(trigger, **change(taken, foreign)))
    assert datastore.get_trigger(trigger.id) == trigger


# -- missing parents ------------------------------------------------------------------------


def test_create_fn_in_a_missing_app_raises_app_not_found(datastore: Datastore) -> None:
    with pytest.raises(AppNotFound):
        datastore.create_fn(make_fn(make_app()))


def test_create_trigger_with_missing_or_foreign_parents_raises(
    datastore: Datastore, fn: Fn
) -> None:
    with pytest.raises(AppNotFound):
        datastore.create_trigger(dataclasses.replace(make_trigger(fn), app_id=new_id()))
    with pytest.raises(FnNotFound):
        datastore.create_trigger(dataclasses.replace(make_trigger(fn), fn_id=new_id()))
    foreign = datastore.create_fn(make_fn(make_app_in(datastore)))
    with pytest.raises(BadRequest):
        datastore.create_trigger(dataclasses.replace(make_trigger(fn), fn_id=foreign.id))


# -- deletes and cascades -------------------------------------------------------------------


def test_delete_app_removes_its_fns_and_triggers(datastore: Datastore, fn: Fn) -> None:
    trigger = datastore.create_trigger(make_trigger(fn))
    elsewhere = datastore.create_fn(make_fn(make_app_in(datastore)))
    kept = datastore.create_trigger(make_trigger(elsewhere))
    datastore.delete_app(fn.app_id)
    with pytest.raises(AppNotFound):
        datastore.get_app(fn.app_id)
    with pytest.raises(FnNotFound):
        datastore.get_fn(fn.id)
    with pytest.raises(TriggerNotFound):
        datastore.get_trigger(trigger.id)
    assert datastore.list_fns(FnFilter(fn.app_id), after=None, limit=10) == []
    assert datastore.list_triggers(TriggerFilter(fn.app_id), after=None, limit=10) == []
    assert datastore.get_trigger(kept.id) == kept


def test_delete_fn_removes_only_its_own_triggers(datastore: Datastore, app: App, fn: Fn) -> None:
    gone = datastore.create_trigger(make_trigger(fn))
    sibling = datastore.create_fn(make_fn(app))
    kept = datastore.create_trigger(make_trigger(sibling))
    datastore.delete_fn(fn.id)
    with pytest.raises(FnNotFound):
        datastore.get_fn(fn.id)
    with pytest.raises(TriggerNotFound):
        datastore.get_trigger(gone.id)
    assert datastore.list_triggers(TriggerFilter(fn.app_id), after=None, limit=10) == [kept]


@pytest.mark.parametrize(
    ("method", "error"),
    [("delete_app", AppNotFound), ("delete_fn", FnNotFound), ("delete_trigger", TriggerNotFound)],
)
def test_deleting_a_missing_entity_raises_its_not_found(
    datastore: Datastore, method: str, error: type[NotFound]
) -> None:
    with pytest.raises(error):
        getattr(datastore, method)(new_id())


# -- listing --------------------------------------------------------------------------------

#: Names in byte (UTF-8) order: digits and '-' before uppercase, '_' between upper- and
#: lowercase, a prefix before its extensions, non-ASCII letters after every ASCII one.
BYTE_ORDER = [
    "-dash", "0zero", "10", "9", "Alpha", "Zulu", "_under", "alp", "alpha", "alpha-beta",
    "alpha0", "alpha_beta", "alphabet", "zulu", "école", "日本", "日本語",
]  # fmt: skip


@dataclass
class Lister:
    """One kind of entity under one parent: how to create it by name and how to list it."""

    create: Callable[[str], App | Fn | Trigger]
    list: Callable[[str | None, ListKey | None, int], list[Any]]


def lister(datastore: Datastore, kind: str) -> Lister:
    """A :class:`Lister` whose listings must ignore look-alike entities of other parents."""
    if kind == "apps":
        return Lister(
            lambda name: datastore.create_app(make_app(name)),
            lambda name, after, limit: datastore.list_apps(
                AppFilter(name), after=after, limit=limit
            ),
        )
    app, other_app = make_app_in(datastore), make_app_in(datastore)
    if kind == "fns":

        def create_fn(name: str) -> Fn:
            datastore.create_fn(make_fn(other_app, name))
            return datastore.create_fn(make_fn(app, name))

        return Lister(
            create_fn,
            lambda name, after, limit: datastore.list_fns(
                FnFilter(app.id, name), after=after, limit=limit
            ),
        )
    fn, sibling = datastore.create_fn(make_fn(app)), datastore.create_fn(make_fn(app))
    foreign = datastore.create_fn(make_fn(other_app))

    def create_trigger(name: str) -> Trigger:
        datastore.create_trigger(make_trigger(sibling, name))
        datastore.create_trigger(make_trigger(foreign, name))
        return datastore.create_trigger(make_trigger(fn, name))

    return Lister(
        create_trigger,
        lambda name, after, limit: datastore.list_triggers(
            TriggerFilter(app.id, fn.id, name), after=after, limit=limit
        ),
    )


@pytest.fixture(params=["apps", "fns", "triggers"])
def listed(request: pytest.FixtureRequest, datastore: Datastore) -> tuple[Lister, list[Any]]:
    """A lister and the entities it made from :data:`BYTE_ORDER`, created out of order."""
    entities = lister(datastore, request.param)
    created = [entities.create(name) for name in reversed(BYTE_ORDER[::2] + BYTE_ORDER[1::2])]
    return entities, sorted(created, key=lambda e: (e.name.encode(), e.id))


def test_byte_order_list_is_what_utf8_bytes_say() -> None:
    assert sorted(BYTE_ORDER, key=str.encode) == BYTE_ORDER


def test_list_orders_by_name_in_byte_order(listed: tuple[Lister, list[Any]]) -> None:
    entities, expected = listed
    listed_items = entities.list(None, None, 100)
    assert [e.name for e in listed_items] == BYTE_ORDER
    assert listed_items == expected


def test_list_after_continues_exactly_after_that_item(listed: tuple[Lister, list[Any]]) -> None:
    entities, expected = listed
    for index, item in enumerate(expected):
        assert entities.list(None, (item.name, item.id), 100) == expected[index + 1 :]


def test_list_after_a_position_between_items_starts_at_the_next_name(
    listed: tuple[Lister, list[Any]],
) -> None:
    entities, _ = listed
    page = entities.list(None, ("alpha-", ""), 100)
    assert [e.name for e in page] == BYTE_ORDER[BYTE_ORDER.index("alpha-beta") :]


@pytest.mark.parametrize("limit", [1, 2, 5, 100])
def test_paging_with_a_limit_visits_every_item_once_in_order(
    listed: tuple[Lister, list[Any]], limit: int
) -> None:
    entities, expected = listed
    seen: list[Any] = []
    after: ListKey | None = None
    while page := entities.list(None, after, limit):
        assert len(page) <= limit
        seen.extend(page)
        after = (page[-1].name, page[-1].id)
    assert seen == expected


def test_list_name_filter_matches_exactly_and_combines(listed: tuple[Lister, list[Any]]) -> None:
    entities, expected = listed
    assert [e.name for e in entities.list("alp", None, 100)] == ["alp"]
    assert [e.name for e in entities.list("日本", None, 100)] == ["日本"]
    assert entities.list("ALP", None, 100) == []
    alpha = next(e for e in expected if e.name == "alpha")
    assert entities.list("alpha", None, 100) == [alpha]
    assert entities.list("alpha", (alpha.name, alpha.id), 100) == []
    assert entities.list("alpha", None, 0) == []


def test_lists_under_a_missing_parent_are_empty(datastore: Datastore) -> None:
    assert datastore.list_fns(FnFilter(new_id()), after=None, limit=10) == []
    assert datastore.list_triggers(TriggerFilter(new_id()), after=None, limit=10) == []


def test_paging_triggers_with_equal_names_on_different_fns_visits_each_once(
    datastore: Datastore, app: App
) -> None:
    fns = [datastore.create_fn(make_fn(app)) for _ in range(5)]
    created = [datastore.create_trigger(make_trigger(f, name)) for f in fns for name in ("a", "b")]
    expected = sorted(created, key=lambda t: (t.name, t.id))
    seen: list[Trigger] = []
    after: ListKey | None = None
    while page := datastore.list_triggers(TriggerFilter(app.id), after=after, limit=1):
        seen.extend(page)
        after = (page[-1].name, page[-1].id)
    assert seen == expected
    same_name = datastore.list_triggers(TriggerFilter(app.id, name="b"), after=None, limit=100)
    assert {t.fn_id for t in same_name} == {f.id for f in fns}


# -- persistence ----------------------------------------------------------------------------


def test_reopened_datastore_keeps_its_data(backend: Backend) -> None:
    first = backend.open()
    app = first.create_app(make_app(config={"K": "v"}, annotations=NESTED_ANNOTATIONS))
    fn = first.create_fn(make_fn(app))
    trigger = first.create_trigger(make_trigger(fn))
    first.close()
    reopened = backend.open()
    assert reopened.get_app(app.id) == app
    assert reopened.get_fn(fn.id) == fn
    assert reopened.get_trigger(trigger.id) == trigger


def test_opening_a_migrated_datastore_again_does_not_migrate_twice(backend: Backend) -> None:
    first = backend.open()
    app = first.create_app(make_app())
    second = backend.open()  # the first is still open
    third = backend.open()
    assert second.get_app(app.id) == app
    third.create_app(make_app())
    assert len(first.list_apps(AppFilter(), after=None, limit=10)) == 2


# -- concurrency ----------------------------------------------------------------------------

CONTESTS: dict[str, tuple[Callable[[Datastore, App, Fn, int], object], type[Exception]]] = {
    "app-name": (lambda ds, _, __, i: ds.create_app(make_app("contested")), AppAlreadyExists),
    "fn-name": (lambda ds, app, _, i: ds.create_fn(make_fn(app, "contested")), FnAlreadyExists),
    "trigger-source": (
        lambda ds, _, fn, i: ds.create_trigger(make_trigger(fn, f"t{i}", "/contested")),
        TriggerSourceExists,
    ),
    "trigger-name": (
        lambda ds, _, fn, i: ds.create_trigger(make_trigger(fn, "contested", f"/s{i}")),
        TriggerAlreadyExists,
    ),
}


@pytest.mark.parametrize("contest", CONTESTS)
def test_concurrent_creates_breaking_one_rule_let_exactly_one_win(
    datastore: Datastore, app: App, fn: Fn, contest: str
) -> None:
    attempt, error = CONTESTS[contest]
    # A first round of reads opens every pooled connection, so that the contest itself runs
    # truly in parallel and losers meet the database constraint, not only the pre-check.
    assert race(lambda _: datastore.list_apps(AppFilter(), after=None, limit=1)) == {"ok": RACERS}
    outcomes = race(lambda i: attempt(datastore, app, fn, i))
    assert outcomes == {"ok": 1, error.__name__: RACERS - 1}
