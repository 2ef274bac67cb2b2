"""Triggers: type and source rules, create and update."""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass, field
from typing import Any

from ..errors import BadRequest
from ..types import Annotations, JSONObject
from .merge import finish_update, update_body
from .validation import (
    MAX_SOURCE_BYTES,
    Body,
    check_annotations,
    is_unicode_name,
    name_too_long,
)

TRIGGER_TYPES = ("http",)
TRIGGER_FIELDS = frozenset(
    {"id", "name", "app_id", "fn_id", "type", "source", "annotations", "created_at", "updated_at"}
)


@dataclass(slots=True)
class Trigger:
    id: str
    app_id: str
    fn_id: str
    name: str
    type: str
    source: str
    annotations: Annotations = field(default_factory=dict)
    created_at: str = ""
    updated_at: str = ""

    def to_json(self) -> JSONObject:
        return {
            "id": self.id,
            "name": self.name,
            "app_id": self.app_id,
            "fn_id": self.fn_id,
            "type": self.type,
            "source": self.source,
            "annotations": dict(self.annotations),
            "created_at": self.created_at,
            "updated_at": self.updated_at,
        }


def _check_name(name: str | None) -> str:
    if not name:
        raise BadRequest("Missing name on Trigger")
    if name_too_long(name):
        raise BadRequest("Trigger name must be 255 characters or less")
    if not is_unicode_name(name):
        raise BadRequest("Invalid name for Trigger")
    return name


def _check_source(source: str | None) -> str:
    if not source:
        raise BadRequest("Missing Trigger Source")
    if not source.startswith("/"):
        raise BadRequest("Missing Trigger Source Prefix '/'")
    if len(source.encode("utf-8")) > MAX_SOURCE_BYTES:
        raise BadRequest(f"Trigger source must be {MAX_SOURCE_BYTES} bytes or less")
    return source


def trigger_from_create(data: Any, *, trigger_id: str, now: str) -> Trigger:
    """Field checks in upstream's order; app/fn existence and uniqueness are the datastore's."""
    body = Body(data, allowed=TRIGGER_FIELDS, entity="trigger")
    if body.string("id"):
        raise BadRequest("ID cannot be provided for Trigger creation")
    if body.string("created_at"):
        raise BadRequest("Trigger Created At Provided for Create")
    if body.string("updated_at"):
        raise BadRequest("Trigger Updated At Provided for Create")
    app_id = body.string("app_id")
    name = body.string("name")
    fn_id = body.string("fn_id")
    type_ = body.string("type")
    source = body.string("source")
    annotations = body.annotations() or {}
    if not app_id:
        raise BadRequest("Missing App ID on Trigger")
    name = _check_name(name)
    if not fn_id:
        raise BadRequest("Missing Fn ID on Trigger")
    if type_ not in TRIGGER_TYPES:
        raise BadRequest("Trigger Type Not Supported")
    source = _check_source(source)
    check_annotations(annotations)
    return Trigger(
        id=trigger_id,
        app_id=app_id,
        fn_id=fn_id,
        name=name,
        type=type_,
        source=source,
        annotations=annotations,
        created_at=now,
        updated_at=now,
    )


def trigger_from_update(current: Trigger, data: Any, *, path_id: str, now: str) -> Trigger:
    """Merge a PUT body; ``app_id`` and ``type`` are fixed and ignored here."""
    mismatch = "ID in path does not match ID in body"
    body = update_body(
        data, allowed=TRIGGER_FIELDS, entity="trigger", path_id=path_id, mismatch=mismatch
    )
    for ignored in ("app_id", "type", "created_at", "updated_at"):
        body.string(ignored)
    name = body.string("name")
    fn_id = body.string("fn_id")
    source = body.string("source")
    annotation_change = body.annotations()
    updated = dataclasses.replace(
        current,
        name=_check_name(name) if name else current.name,
        fn_id=fn_id or current.fn_id,
        source=_check_source(source) if source else current.source,
    )
    return finish_update(current, updated, now=now, annotation_change=annotation_change)
