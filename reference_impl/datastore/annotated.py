"""The hook through which a datastore injects annotations of its own into what clients read.

Every datastore answers ``extra_annotations(entity)``; the API adds those keys to the entity's
own annotations when it renders a read (stored keys win), and drops them from a PUT body that
carries them back unchanged, so injected keys are never stored and never count against the
annotation limits. :class:`AnnotatingDatastore` wraps any datastore with a fixed set of keys
(``FN_DS_EXTRA_ANNOTATIONS``).
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from ..models import App, Fn, Trigger
from .base import Datastore


class AnnotatingDatastore:
    def __init__(self, inner: Datastore, extra: Mapping[str, Any]) -> None:
        self._inner = inner
        self._extra = dict(extra)
        self.blocking = inner.blocking

    def extra_annotations(self, entity: App | Fn | Trigger) -> Mapping[str, Any]:
        return self._extra

    def __getattr__(self, name: str) -> Any:
        return getattr(self._inner, name)
