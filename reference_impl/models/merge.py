"""PUT semantics shared by apps, fns and triggers: the body-id rule, per-key merges of config
and annotations, and ``updated_at`` moving only when something really changed."""

from __future__ import annotations

import dataclasses
from typing import Any, TypeVar

from ..errors import BadRequest
from .validation import Body, merge_annotations, merge_config

E = TypeVar("E")


def update_body(
    data: Any, *, allowed: frozenset[str], entity: str, path_id: str, mismatch: str
) -> Body:
    """The PUT body; an ``id`` in it that differs from the path is refused before anything."""
    body = Body(data, allowed=allowed, entity=entity)
    body_id = body.string("id")
    if body_id and body_id != path_id:
        raise BadRequest(mismatch)
    return body


def finish_update(
    current: E,
    updated: E,
    *,
    now: str,
    config_change: dict[str, Any] | None = None,
    annotation_change: dict[str, Any] | None = None,
) -> E:
    """Apply the map merges to ``updated``; stamp ``updated_at`` only if it differs."""
    if config_change is not None:
        config = merge_config(updated.config, config_change)  # type: ignore[attr-defined]
        updated = dataclasses.replace(updated, config=config)  # type: ignore[type-var]
    if annotation_change is not None:
        annotations = merge_annotations(updated.annotations, annotation_change)  # type: ignore[attr-defined]
        updated = dataclasses.replace(updated, annotations=annotations)  # type: ignore[type-var]
    if updated != current:
        updated = dataclasses.replace(updated, updated_at=now)  # type: ignore[type-var]
    return updated
