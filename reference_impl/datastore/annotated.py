"""A datastore wrapper that injects annotations into every entity it reads.

This is the hook through which a datastore can add annotations of its own; clients must
tolerate them. Writes pass through untouched, so injected keys are never stored.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Mapping
from typing import Any, TypeVar

from ..models import App, Fn, Trigger
from .base import AppFilter, Datastore, FnFilter, ListKey, TriggerFilter

E = TypeVar("E", App, Fn, Trigger)


class AnnotatingDatastore:
    def __init__(self, inner: Datastore, extra: Mapping[str, Any]) -> None:
        self._inner = inner
        self._extra = dict(extra)
        self.blocking = inner.blocking

    def _add(self, entity: E) -> E:
        return dataclasses.replace(entity, annotations={**self._extra, **entity.annotations})

    def create_app(self, app: App) -> App:
        return self._add(self._inner.create_app(app))

    def get_app(self, app_id: str) -> App:
        return self._add(self._inner.get_app(app_id))

    def get_app_by_name(self, name: str) -> App:
        return self._add(self._inner.get_app_by_name(name))

    def update_app(self, app: App) -> App:
        return self._add(self._inner.update_app(self._strip(app)))

    def delete_app(self, app_id: str) -> None:
        self._inner.delete_app(app_id)

    def list_apps(self, flt: AppFilter, *, after: ListKey | None, limit: int) -> list[App]:
        return [self._add(a) for a in self._inner.list_apps(flt, after=after, limit=limit)]

    def create_fn(self, fn: Fn) -> Fn:
        return self._add(self._inner.create_fn(fn))

    def get_fn(self, fn_id: str) -> Fn:
        return self._add(self._inner.get_fn(fn_id))

    def update_fn(self, fn: Fn) -> Fn:
        return self._add(self._inner.update_fn(self._strip(fn)))

    def delete_fn(self, fn_id: str) -> None:
        self._inner.delete_fn(fn_id)

    def list_fns(self, flt: FnFilter, *, after: ListKey | None, limit: int) -> list[Fn]:
        return [self._add(f) for f in self._inner.list_fns(flt, after=after, limit=limit)]

    def create_trigger(self, trigger: Trigger) -> Trigger:
        return self._add(self._inner.create_trigger(trigger))

    def get_trigger(self, trigger_id: str) -> Trigger:
        return self._add(self._inner.get_trigger(trigger_id))

    def get_trigger_by_source(self, app_id: str, type_: str, source: str) -> Trigger:
        return self._add(self._inner.get_trigger_by_source(app_id, type_, source))

    def update_trigger(self, trigger: Trigger) -> Trigger:
        return self._add(self._inner.update_trigger(self._strip(trigger)))

    def delete_trigger(self, trigger_id: str) -> None:
        self._inner.delete_trigger(trigger_id)

    def list_triggers(
        self, flt: TriggerFilter, *, after: ListKey | None, limit: int
    ) -> list[Trigger]:
        return [self._add(t) for t in self._inner.list_triggers(flt, after=after, limit=limit)]

    def close(self) -> None:
        self._inner.close()

    def _strip(self, entity: E) -> E:
        """Drop injected keys that a read added and a read-modify-write carried back."""
        kept = {
            k: v
            for k, v in entity.annotations.items()
            if k not in self._extra or self._extra[k] != v
        }
        return dataclasses.replace(entity, annotations=kept)
