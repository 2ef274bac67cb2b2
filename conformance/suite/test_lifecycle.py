"""Lifecycle: random sequences of creates, updates, reads and deletes against an in-memory model.

A Hypothesis state machine drives apps, fns and triggers through the API and keeps a model of
what the target must hold. Bundles carry the created entities; deletes consume them. Deleting
an app or a fn removes its children in the model too, but the bundles still hold those
children, so a later read, update or delete of one must answer 404. Every few changes the
lists of each live app are walked (with small pages) and compared with the model. All names
come from ``names``, so runs never collide; step and example counts come from the profile.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field, replace
from typing import Any

import pytest
import requests
from hypothesis import strategies as st
from hypothesis.stateful import (
    Bundle,
    RuleBasedStateMachine,
    consumes,
    initialize,
    invariant,
    multiple,
    precondition,
    rule,
    run_state_machine_as_test,
)

from conformance import expect
from conformance.client import FnClient
from conformance.config import ConformanceConfig
from conformance.resources import Names
from conformance.strategies import config_maps, config_patches

REQUIREMENTS = (
    "FN-APP-007", "FN-APP-008", "FN-APP-014", "FN-FN-008", "FN-FN-009", "FN-TRG-005",
    "FN-TRG-006", "FN-TRG-008", "FN-TRG-009", "FN-TRG-010", "FN-DEL-001", "FN-DEL-002",
    "FN-DEL-003", "FN-DEL-004", "FN-PAGE-004",
)  # fmt: skip
#: The lists are compared with the model after this many changes.
CHANGES_PER_LIST_CHECK = 4
#: Few apps, each with children: more apps make the list checks dear, not the model richer.
MAX_LIVE_APPS = 3
#: Apps are deleted only once some fns exist, so that deletes have something to cascade to.
FNS_BEFORE_APP_DELETES = 2
#: Out-of-range fn values that a PUT must refuse with 400.
OUT_OF_RANGE = ({"memory": 8193}, {"timeout": 301}, {"timeout": -1}, {"idle_timeout": 3601})


@dataclass(frozen=True)
class AppState:
    id: str
    name: str
    config: dict[str, str] = field(default_factory=dict)


@dataclass(frozen=True)
class FnState:
    id: str
    app_id: str
    name: str
    image: str
    memory: int = 128
    timeout: int = 30
    idle_timeout: int = 30
    config: dict[str, str] = field(default_factory=dict)


@dataclass(frozen=True)
class TriggerState:
    id: str
    app_id: str
    fn_id: str
    name: str
    source: str
    type: str = "http"


Entity = AppState | FnState | TriggerState


def merged(config: dict[str, str], change: dict[str, str]) -> dict[str, str]:
    """PUT semantics: keys in ``change`` overwrite and ``""`` removes."""
    out = {**config, **change}
    return {k: v for k, v in out.items() if v != ""}


def fields_of(body: dict[str, Any], state: Entity) -> dict[str, Any]:
    """The modelled fields of a response body; an absent or null config counts as empty."""
    got = {k: body.get(k) for k in vars(state)}
    if "config" in got and got["config"] is None:
        got["config"] = {}
    return got


class Model:
    """What the target must hold; ``gone`` maps removed ids to the requirement that removed them."""

    def __init__(self) -> None:
        self.apps: dict[str, AppState] = {}
        self.fns: dict[str, FnState] = {}
        self.triggers: dict[str, TriggerState] = {}
        self.gone: dict[str, tuple[str, Entity]] = {}

    def kind(self, entity_id: str) -> type[Entity]:
        for table in (self.apps, self.fns, self.triggers):
            if entity_id in table:
                return type(table[entity_id])
        return type(self.gone[entity_id][1])

    def remove_app(self, app_id: str) -> list[str]:
        """Remove the app and its children; return the children's ids."""
        removed = []
        for fn_id in [f.id for f in self.fns.values() if f.app_id == app_id]:
            removed += [fn_id, *self.remove_fn(fn_id, cause="FN-DEL-003")]
        self.gone[app_id] = ("FN-DEL-002", self.apps.pop(app_id))
        return removed

    def remove_fn(self, fn_id: str, *, cause: str = "FN-DEL-002") -> list[str]:
        """Remove the fn and its triggers; return the triggers' ids."""
        trigger_cause = "FN-DEL-004" if cause == "FN-DEL-002" else cause
        removed = [t.id for t in self.triggers.values() if t.fn_id == fn_id]
        for trigger_id in removed:
            self.remove_trigger(trigger_id, cause=trigger_cause)
        self.gone[fn_id] = (cause, self.fns.pop(fn_id))
        return removed

    def remove_trigger(self, trigger_id: str, *, cause: str = "FN-DEL-002") -> None:
        self.gone[trigger_id] = (cause, self.triggers.pop(trigger_id))


def clashing_pairs(triggers: dict[str, TriggerState]) -> list[tuple[TriggerState, TriggerState]]:
    """Pairs of live triggers of one app (the first one's source or name can clash)."""
    live = list(triggers.values())
    return [(a, b) for a in live for b in live if a.app_id == b.app_id and a.id != b.id]


class LifecycleMachine(RuleBasedStateMachine):
    apps = Bundle("apps")
    fns = Bundle("fns")
    triggers = Bundle("triggers")

    def __init__(self, client: FnClient, names: Names, image: str) -> None:
        super().__init__()
        self.client = client
        self.names = names
        self.image = image
        self.model = Model()
        self.changes = 0
        self.list_checks = 0

    # -- helpers ---------------------------------------------------------------------------

    def expect_gone(self, entity_id: str, response: requests.Response) -> None:
        cause, state = self.model.gone[entity_id]
        kind = type(state).__name__.removesuffix("State").lower()
        expect.error(
            response, 404, req=cause, why=f"A removed {kind} ({state.name!r}) is still there"
        )

    def expect_state(
        self, response: requests.Response, state: Entity, *, req: str
    ) -> dict[str, Any]:
        body = expect.ok(response, req=req)
        expect.equal(
            fields_of(body, state), vars(state), "entity fields", response=response, req=req
        )
        return body  # type: ignore[no-any-return]

    def new_id(self, response: requests.Response, *, req: str) -> str:
        body = expect.ok(response, req=req)
        entity_id = body.get("id")
        expect.true(
            isinstance(entity_id, str) and bool(entity_id),
            "A create answers without an id",
            f"Received: {entity_id!r}\nExpected: a non-empty string",
            response=response,
            req=req,
        )
        return entity_id  # type: ignore[no-any-return]

    # -- creates ---------------------------------------------------------------------------

    @initialize(target=apps, config=config_maps(max_size=3))
    def first_app(self, config: dict[str, str]) -> str:
        return self.new_app(config)

    @precondition(lambda self: len(self.model.apps) < MAX_LIVE_APPS)
    @rule(target=apps, config=config_maps(max_size=3))
    def create_app(self, config: dict[str, str]) -> str:
        return self.new_app(config)

    def new_app(self, config: dict[str, str]) -> str:
        name = self.names.app("lc")
        response = self.client.create_app({"name": name, "config": config})
        app = AppState(self.new_id(response, req="FN-APP-001"), name, config)
        self.expect_state(response, app, req="FN-APP-001")
        self.model.apps[app.id] = app
        self.changes += 1
        return app.id

    @rule(
        target=fns,
        app_id=apps,
        config=config_maps(max_size=3),
        limits=st.fixed_dictionaries(
            {},
            optional={
                "memory": st.integers(1, 8192),
                "timeout": st.integers(1, 300),
                "idle_timeout": st.integers(1, 3600),
            },
        ),
    )
    def create_fn(self, app_id: str, config: dict[str, str], limits: dict[str, int]) -> str:
        assert app_id in self.model.apps, "the apps bundle holds live apps only"
        name = self.names.fn("lc")
        body = {"app_id": app_id, "name": name, "image": self.image, "config": config, **limits}
        response = self.client.create_fn(body)
        fn_id = self.new_id(response, req="FN-FN-001")
        fn = FnState(fn_id, app_id, name, self.image, config=config, **limits)
        self.expect_state(response, fn, req="FN-FN-001")
        self.model.fns[fn.id] = fn
        self.changes += 1
        return fn.id

    @rule(target=triggers, fn_id=fns, count=st.integers(1, 3), data=st.data())
    def create_triggers(self, fn_id: str, count: int, data: st.DataObject) -> Any:
        """New triggers on one fn, sometimes on the source of a removed trigger of the app."""
        owner = self.model.fns.get(fn_id)
        if owner is None:
            _, former = self.model.gone[fn_id]
            assert isinstance(former, FnState)
            body = {"app_id": former.app_id, "fn_id": fn_id, "type": "http"}
            body |= {"name": self.names.trigger("lc"), "source": self.names.source("lc")}
            response = self.client.create_trigger(body)
            expect.error(response, 404, req="FN-TRG-005", why="A trigger for a removed fn")
            return multiple()
        return multiple(*(self.create_trigger(owner, data) for _ in range(count)))

    def create_trigger(self, owner: FnState, data: st.DataObject) -> str:
        name, source = self.names.trigger("lc"), self.names.source("lc")
        in_use = {t.source for t in self.model.triggers.values() if t.app_id == owner.app_id}
        freed = [
            state.source
            for _, state in self.model.gone.values()
            if isinstance(state, TriggerState)
            and state.app_id == owner.app_id
            and state.source not in in_use
        ]
        req = "FN-TRG-001"
        if len(freed) > 0 and data.draw(st.booleans(), label="reuse a freed source"):
            source, req = data.draw(st.sampled_from(freed), label="freed"), "FN-TRG-006"
        body = {"app_id": owner.app_id, "fn_id": owner.id, "name": name, "type": "http"}
        response = self.client.create_trigger({**body, "source": source})
        trigger = TriggerState(self.new_id(response, req=req), owner.app_id, owner.id, name, source)
        self.expect_state(response, trigger, req=req)
        self.model.triggers[trigger.id] = trigger
        self.changes += 1
        return trigger.id

    @precondition(lambda self: self.model.triggers)
    @rule(data=st.data())
    def create_clashing_trigger(self, data: st.DataObject) -> None:
        """The source of a live trigger on any fn of its app, or its name on its own fn: 409."""
        clash = data.draw(st.sampled_from(list(self.model.triggers.values())), label="clash")
        body = {"app_id": clash.app_id, "type": "http"}
        if data.draw(st.booleans(), label="same source"):
            app_fns = [f.id for f in self.model.fns.values() if f.app_id == clash.app_id]
            fn_id = data.draw(st.sampled_from(app_fns), label="fn")
            body |= {"fn_id": fn_id, "name": self.names.trigger("lc"), "source": clash.source}
            req, what = "FN-TRG-006", "the source of another trigger of the app"
        else:
            body |= {"fn_id": clash.fn_id, "name": clash.name, "source": self.names.source()}
            req, what = "FN-TRG-008", "the name of another trigger of the fn"
        response = self.client.create_trigger(body)
        expect.error(response, 409, req=req, why=f"A trigger create with {what} answers")

    # -- updates ---------------------------------------------------------------------------

    @rule(app_id=apps, data=st.data())
    def update_app_config(self, app_id: str, data: st.DataObject) -> None:
        app = self.model.apps[app_id]
        change = data.draw(config_patches(app.config), label="change")
        response = self.client.update_app(app_id, {"config": change})
        app = replace(app, config=merged(app.config, change))
        self.expect_state(response, app, req="FN-APP-008")
        self.model.apps[app_id] = app
        self.changes += 1

    @rule(fn_id=fns, data=st.data())
    def update_fn(self, fn_id: str, data: st.DataObject) -> None:
        fn = self.model.fns.get(fn_id)
        if fn is None:
            self.expect_gone(fn_id, self.client.update_fn(fn_id, {"timeout": 31}))
            return
        if data.draw(st.integers(0, 4), label="refused") == 0:
            bad = data.draw(st.sampled_from(OUT_OF_RANGE), label="bad")
            response = self.client.update_fn(fn_id, {"config": {"REFUSED": "x"}, **bad})
            expect.error(response, 400, req="FN-FN-009", why=f"A fn PUT with {bad} answers")
            self.expect_state(self.client.get_fn(fn_id), fn, req="FN-FN-009")
            return
        limits = data.draw(
            st.fixed_dictionaries(
                {},
                optional={
                    "memory": st.integers(1, 8192),
                    "timeout": st.integers(1, 300),
                    "idle_timeout": st.integers(1, 3600),
                },
            ),
            label="limits",
        )
        change = data.draw(config_patches(fn.config), label="change")
        response = self.client.update_fn(fn_id, {**limits, "config": change})
        fn = replace(
            fn,
            memory=limits.get("memory", fn.memory),
            timeout=limits.get("timeout", fn.timeout),
            idle_timeout=limits.get("idle_timeout", fn.idle_timeout),
            config=merged(fn.config, change),
        )
        self.expect_state(response, fn, req="FN-FN-009")
        self.model.fns[fn_id] = fn
        self.changes += 1

    @rule(trigger_id=triggers, rename=st.booleans())
    def update_trigger(self, trigger_id: str, rename: bool) -> None:
        """A new source or a new name."""
        change = {"name": self.names.trigger("up")} if rename else {"source": self.names.source()}
        response = self.client.update_trigger(trigger_id, change)
        trigger = self.model.triggers.get(trigger_id)
        if trigger is None:
            self.expect_gone(trigger_id, response)
            return
        trigger = replace(trigger, **change)
        self.expect_state(response, trigger, req="FN-TRG-010")
        self.model.triggers[trigger_id] = trigger
        self.changes += 1

    @precondition(lambda self: bool(clashing_pairs(self.model.triggers)))
    @rule(data=st.data())
    def update_trigger_to_clash(self, data: st.DataObject) -> None:
        """The source of another trigger of the app, or the name of another on its fn: 409."""
        trigger, other = data.draw(
            st.sampled_from(clashing_pairs(self.model.triggers)), label="pair"
        )
        same_fn = trigger.fn_id == other.fn_id
        if same_fn and data.draw(st.booleans(), label="rename"):
            change, what = {"name": other.name}, "the name of another trigger of its fn"
        else:
            change, what = {"source": other.source}, "the source of another trigger of its app"
        response = self.client.update_trigger(trigger.id, change)
        expect.error(response, 409, req="FN-TRG-010", why=f"A trigger PUT to {what} answers")
        self.expect_state(self.client.get_trigger(trigger.id), trigger, req="FN-TRG-010")

    # -- reads -----------------------------------------------------------------------------

    @rule(entity_id=st.one_of(apps, fns, triggers))
    def get_entity(self, entity_id: str) -> None:
        """Every modelled field of a live entity; 404 for one removed with its parent."""
        model = self.model
        if entity_id in model.apps:
            response = self.client.get_app(entity_id)
            self.expect_state(response, model.apps[entity_id], req="FN-APP-007")
        elif entity_id in model.fns:
            response = self.client.get_fn(entity_id)
            self.expect_state(response, model.fns[entity_id], req="FN-FN-008")
        elif entity_id in model.triggers:
            response = self.client.get_trigger(entity_id)
            self.expect_state(response, model.triggers[entity_id], req="FN-TRG-009")
        else:
            self.expect_gone(entity_id, self.get(entity_id))

    def get(self, entity_id: str) -> requests.Response:
        kind = self.model.kind(entity_id)
        if kind is AppState:
            return self.client.get_app(entity_id)
        return (self.client.get_fn if kind is FnState else self.client.get_trigger)(entity_id)

    # -- deletes ---------------------------------------------------------------------------

    def _delete(
        self,
        entity_id: str,
        delete: Callable[[str], requests.Response],
        get: Callable[[str], requests.Response],
    ) -> None:
        response = delete(entity_id)
        expect.status(response, 204, req="FN-DEL-001")
        expect.empty_body(response, req="FN-DEL-001")
        expect.error(get(entity_id), 404, req="FN-DEL-002", why="GET after a delete answers")
        expect.error(delete(entity_id), 404, req="FN-DEL-002", why="A second delete answers")

    @precondition(lambda self: len(self.model.fns) >= FNS_BEFORE_APP_DELETES)
    @rule(app_id=consumes(apps))
    def delete_app(self, app_id: str) -> None:
        self._delete(app_id, self.client.delete_app, self.client.get_app)
        for child_id in self.model.remove_app(app_id):
            self.expect_gone(child_id, self.get(child_id))
        self.changes += 1

    @rule(fn_id=consumes(fns))
    def delete_fn(self, fn_id: str) -> None:
        if fn_id not in self.model.fns:
            self.expect_gone(fn_id, self.client.delete_fn(fn_id))
            return
        self._delete(fn_id, self.client.delete_fn, self.client.get_fn)
        for trigger_id in self.model.remove_fn(fn_id):
            self.expect_gone(trigger_id, self.client.get_trigger(trigger_id))
        self.changes += 1

    @rule(trigger_id=consumes(triggers))
    def delete_trigger(self, trigger_id: str) -> None:
        if trigger_id not in self.model.triggers:
            self.expect_gone(trigger_id, self.client.delete_trigger(trigger_id))
            return
        self._delete(trigger_id, self.client.delete_trigger, self.client.get_trigger)
        self.model.remove_trigger(trigger_id)
        self.changes += 1

    # -- lists -----------------------------------------------------------------------------

    @precondition(lambda self: self.changes >= CHANGES_PER_LIST_CHECK)
    @invariant()
    def lists_match_model(self) -> None:
        """Walk each live app's fns and triggers with small pages; find each app by name."""
        self.changes = 0
        self.list_checks += 1
        per_page = 1 + self.list_checks % 3
        for app in self.model.apps.values():
            by_name = self.walk(self.client.list_apps, {"name": app.name}, per_page=per_page)
            self.expect_listed(by_name, {app.id: app}, f"apps named {app.name}", "FN-APP-014")
            fns = {f.id: f for f in self.model.fns.values() if f.app_id == app.id}
            listed = self.walk(self.client.list_fns, {"app_id": app.id}, per_page=per_page)
            self.expect_listed(listed, fns, f"fns of app {app.name}", "FN-FN-008", "FN-PAGE-004")
            triggers = {t.id: t for t in self.model.triggers.values() if t.app_id == app.id}
            listed = self.walk(self.client.list_triggers, {"app_id": app.id}, per_page=per_page)
            self.expect_listed(
                listed, triggers, f"triggers of app {app.name}", "FN-TRG-009", "FN-PAGE-004"
            )

    def walk(
        self, list_call: Callable[..., requests.Response], scope: dict[str, str], *, per_page: int
    ) -> list[dict[str, Any]]:
        """All items through next_cursor; the page count is bounded by the model's size."""
        items: list[dict[str, Any]] = []
        cursor: str | None = None
        max_pages = len(self.model.fns) + len(self.model.triggers) + 3
        for _ in range(max_pages):
            paging = {"per_page": per_page} | ({"cursor": cursor} if cursor else {})
            response = list_call(**scope, **paging)
            body = expect.ok(response, req="FN-PAGE-004")
            page = body.get("items")
            expect.true(
                isinstance(page, list) and all(isinstance(item, dict) for item in page),
                "'items' is not an array of objects",
                f"Received: {str(page)[:300]}\nExpected: an array of entities",
                response=response,
                req="FN-PAGE-001",
            )
            items.extend(page)
            cursor = body.get("next_cursor")
            expect.true(
                len(page) < per_page or isinstance(cursor, str),
                "A full page has no next_cursor",
                f"Received: {len(page)} items and next_cursor {cursor!r} for {scope}\n"
                f"Expected: a next_cursor after a page of per_page={per_page} items",
                response=response,
                req="FN-PAGE-003",
            )
            if not cursor:
                return items
        raise expect.fail(
            "next_cursor does not lead to the end of the list",
            f"Received: more than {max_pages} pages of {per_page} for {scope}\n"
            "Expected: the walk ends",
            req="FN-PAGE-004",
        )

    def expect_listed(
        self,
        items: list[dict[str, Any]],
        wanted: dict[str, Any],
        what: str,
        field_req: str,
        set_req: str | None = None,
    ) -> None:
        """Exactly the ``wanted`` ids with their modelled fields (``set_req`` names a wrong set)."""
        ids = [item.get("id") for item in items]
        for entity_id in ids:
            if entity_id in self.model.gone:
                cause, state = self.model.gone[entity_id]
                raise expect.fail(
                    f"A removed entity is still listed among the {what}",
                    f"Received: {state.name!r} (id {entity_id})\nExpected: not listed",
                    req=cause,
                )
        expect.true(
            sorted(map(str, ids)) == sorted(wanted),
            f"The {what} differ from the model",
            f"Received ids: {sorted(map(str, ids))}\nExpected ids: {sorted(wanted)}",
            req=set_req or field_req,
        )
        for item in items:
            state = wanted[item["id"]]
            expect.equal(fields_of(item, state), vars(state), f"listed {what}", req=field_req)

    def teardown(self) -> None:
        """Keep the target small: remove this run's live apps (the ledger verifies later)."""
        raw = self.client.unchecked()
        for app_id in list(self.model.apps):
            raw.delete_app(app_id)


@pytest.mark.requirement(*REQUIREMENTS)
class TestLifecycle(LifecycleMachine.TestCase):  # type: ignore[misc,valid-type]
    """Random lifecycles of apps, fns and triggers agree with the in-memory model."""

    @pytest.fixture(autouse=True)
    def _target(self, fn: FnClient, names: Names, fn_config: ConformanceConfig) -> None:
        self.machine_args = (fn, names, fn_config.fn_image)

    def runTest(self) -> None:
        run_state_machine_as_test(
            lambda: LifecycleMachine(*self.machine_args),  # type: ignore[arg-type]
            settings=self.settings,
        )
