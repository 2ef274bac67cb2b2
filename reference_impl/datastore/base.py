"""The datastore contract every backend implements, and the types it speaks in."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any, Protocol

from ..models import App, Fn, Trigger

#: Position after which a listing continues: the (name, id) of the last item seen.
ListKey = tuple[str, str]


@dataclass(frozen=True)
class AppFilter:
    name: str | None = None


@dataclass(frozen=True)
class FnFilter:
    app_id: str
    name: str | None = None


@dataclass(frozen=True)
class TriggerFilter:
    app_id: str
    fn_id: str | None = None
    name: str | None = None


class Datastore(Protocol):
    """Storage for apps, fns and triggers.

    Listings are ordered by (name, id) ascending in byte order and return at most ``limit``
    items after ``after``. Uniqueness and cascades hold inside transactions: a conflicting
    write raises the matching 409 error from ``reference_impl.errors``, never a driver error.
    """

    #: True when calls block on the network and should leave the event loop.
    blocking: bool

    def create_app(self, app: App) -> App: ...
    def get_app(self, app_id: str) -> App: ...
    def get_app_by_name(self, name: str) -> App: ...
    def update_app(self, app: App) -> App: ...
    def delete_app(self, app_id: str) -> None: ...
    def list_apps(self, flt: AppFilter, *, after: ListKey | None, limit: int) -> list[App]: ...

    def create_fn(self, fn: Fn) -> Fn: ...
    def get_fn(self, fn_id: str) -> Fn: ...
    def update_fn(self, fn: Fn) -> Fn: ...
    def delete_fn(self, fn_id: str) -> None: ...
    def list_fns(self, flt: FnFilter, *, after: ListKey | None, limit: int) -> list[Fn]: ...

    def create_trigger(self, trigger: Trigger) -> Trigger: ...
    def get_trigger(self, trigger_id: str) -> Trigger: ...
    def get_trigger_by_source(self, app_id: str, type_: str, source: str) -> Trigger: ...
    def update_trigger(self, trigger: Trigger) -> Trigger: ...
    def delete_trigger(self, trigger_id: str) -> None: ...
    def list_triggers(
        self, flt: TriggerFilter, *, after: ListKey | None, limit: int
    ) -> list[Trigger]: ...

    def extra_annotations(self, entity: App | Fn | Trigger) -> Mapping[str, Any]:
        """Annotations this datastore adds to what clients read (never stored)."""
        ...

    def close(self) -> None: ...
