"""Fns: defaults, bounds, create and update rules."""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass, field
from typing import Any

from ..errors import BadRequest
from ..types import Annotations, Config, JSONObject
from .merge import finish_update, update_body
from .validation import (
    Body,
    check_annotations,
    is_fn_name,
    name_too_long,
)

DEFAULT_MEMORY = 128
MAX_MEMORY = 8192
DEFAULT_TIMEOUT = 30
MAX_TIMEOUT = 300
DEFAULT_IDLE_TIMEOUT = 30
MAX_IDLE_TIMEOUT = 3600

FN_FIELDS = frozenset(
    {
        "id",
        "name",
        "app_id",
        "image",
        "memory",
        "timeout",
        "idle_timeout",
        "config",
        "annotations",
        "shape",
        "created_at",
        "updated_at",
    }
)


@dataclass(slots=True)
class Fn:
    id: str
    app_id: str
    name: str
    image: str
    memory: int = DEFAULT_MEMORY
    timeout: int = DEFAULT_TIMEOUT
    idle_timeout: int = DEFAULT_IDLE_TIMEOUT
    config: Config = field(default_factory=dict)
    annotations: Annotations = field(default_factory=dict)
    shape: str = ""
    created_at: str = ""
    updated_at: str = ""

    def to_json(self) -> JSONObject:
        out: JSONObject = {
            "id": self.id,
            "name": self.name,
            "app_id": self.app_id,
            "image": self.image,
            "memory": self.memory,
            "timeout": self.timeout,
            "idle_timeout": self.idle_timeout,
            "config": dict(self.config),
            "annotations": dict(self.annotations),
        }
        if self.shape:
            out["shape"] = self.shape
        out["created_at"] = self.created_at
        out["updated_at"] = self.updated_at
        return out


def _check_limits(timeout: int, idle_timeout: int, memory: int) -> None:
    if not 1 <= timeout <= MAX_TIMEOUT:
        raise BadRequest(f"timeout value is out of range, must be between 1 and {MAX_TIMEOUT}")
    if not 1 <= idle_timeout <= MAX_IDLE_TIMEOUT:
        raise BadRequest(
            f"idle_timeout value is out of range, must be between 1 and {MAX_IDLE_TIMEOUT}"
        )
    if not 1 <= memory <= MAX_MEMORY:
        raise BadRequest(f"memory value is out of range. It should be between 1 and {MAX_MEMORY}")


def fn_from_create(data: Any, *, fn_id: str, now: str) -> Fn:
    """Validate a create body in upstream's order; the app's existence is the datastore's."""
    body = Body(data, allowed=FN_FIELDS, entity="fn")
    if body.string("id"):
        raise BadRequest("ID cannot be provided for Fn creation")
    body.string("created_at"), body.string("updated_at"), body.string("shape")
    app_id = body.string("app_id")
    name = body.string("name")
    image = body.string("image")
    memory = body.integer("memory") or DEFAULT_MEMORY
    timeout = body.integer("timeout") or DEFAULT_TIMEOUT
    idle_timeout = body.integer("idle_timeout") or DEFAULT_IDLE_TIMEOUT
    config = body.string_map("config", allow_null_values=False) or {}
    annotations = body.annotations() or {}
    if not app_id:
        raise BadRequest("Missing AppID on Fn")
    if not name:
        raise BadRequest("Missing Fn name")
    if name_too_long(name):
        raise BadRequest("Fn name must be 255 characters or less")
    if not is_fn_name(name):
        raise BadRequest("name must be a valid string")
    if not image:
        raise BadRequest("Missing image on Fn")
    _check_limits(timeout, idle_timeout, memory)
    check_annotations(annotations)
    return Fn(
        id=fn_id,
        app_id=app_id,
        name=name,
        image=image,
        memory=memory,
        timeout=timeout,
        idle_timeout=idle_timeout,
        config=config,
        annotations=annotations,
        created_at=now,
        updated_at=now,
    )


def fn_from_update(current: Fn, data: Any, *, path_id: str, now: str) -> Fn:
    """Merge a PUT body; ``name``, ``app_id`` and ``shape`` are fixed and ignored here."""
    mismatch = "Fn ID in path does not match ID in body"
    body = update_body(data, allowed=FN_FIELDS, entity="fn", path_id=path_id, mismatch=mismatch)
    for ignored in ("name", "app_id", "shape", "created_at", "updated_at"):
        body.string(ignored)
    image = body.string("image")
    memory = body.integer("memory")
    timeout = body.integer("timeout")
    idle_timeout = body.integer("idle_timeout")
    config_change = body.string_map("config", allow_null_values=True)
    annotation_change = body.annotations()
    updated = dataclasses.replace(
        current,
        image=image or current.image,
        memory=memory or current.memory,
        timeout=timeout or current.timeout,
        idle_timeout=idle_timeout or current.idle_timeout,
    )
    _check_limits(updated.timeout, updated.idle_timeout, updated.memory)
    return finish_update(
        current,
        updated,
        now=now,
        config_change=config_change,
        annotation_change=annotation_change,
    )
