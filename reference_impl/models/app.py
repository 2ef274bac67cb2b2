"""Apps: create and update rules."""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass, field
from typing import Any

from ..errors import AppNameImmutable, BadRequest
from ..types import Annotations, Config, JSONObject
from .merge import finish_update, update_body
from .validation import (
    SHAPES,
    Body,
    check_annotations,
    check_syslog_url,
    is_unicode_name,
    name_too_long,
)

APP_FIELDS = frozenset(
    {"id", "name", "config", "annotations", "syslog_url", "shape", "created_at", "updated_at"}
)


@dataclass(slots=True)
class App:
    id: str
    name: str
    config: Config = field(default_factory=dict)
    annotations: Annotations = field(default_factory=dict)
    syslog_url: str | None = None
    shape: str = ""
    created_at: str = ""
    updated_at: str = ""

    def to_json(self) -> JSONObject:
        out: JSONObject = {
            "id": self.id,
            "name": self.name,
            "config": dict(self.config),
            "annotations": dict(self.annotations),
        }
        if self.syslog_url is not None:
            out["syslog_url"] = self.syslog_url
        if self.shape:
            out["shape"] = self.shape
        out["created_at"] = self.created_at
        out["updated_at"] = self.updated_at
        return out


def check_app_name(name: str | None) -> str:
    if not name:
        raise BadRequest("Missing Name")
    if name_too_long(name):
        raise BadRequest("App name must be 255 characters or less")
    if not is_unicode_name(name):
        raise BadRequest("Invalid app name")
    return name


def check_shape(shape: str) -> None:
    if shape and shape not in SHAPES:
        raise BadRequest("Invalid app shape")


def app_from_create(data: Any, *, app_id: str, now: str) -> App:
    """Validate a create body in upstream's order and build the new app."""
    body = Body(data, allowed=APP_FIELDS, entity="app")
    if body.string("id"):
        raise BadRequest("App ID cannot be supplied on create")
    body.string("created_at"), body.string("updated_at")  # type-checked, then ignored
    name = check_app_name(body.string("name"))
    config = body.string_map("config", allow_null_values=False) or {}
    annotations = body.annotations() or {}
    syslog_url = body.string("syslog_url")
    shape = body.string("shape") or ""
    check_annotations(annotations)
    if syslog_url is not None:
        check_syslog_url(syslog_url)
    check_shape(shape)
    return App(
        id=app_id,
        name=name,
        config=config,
        annotations=annotations,
        syslog_url=syslog_url.strip() or None if syslog_url is not None else None,
        shape=shape,
        created_at=now,
        updated_at=now,
    )


def app_from_update(current: App, data: Any, *, path_id: str, now: str) -> App:
    """Merge a PUT body into ``current``; ``updated_at`` moves only when something changed."""
    mismatch = "App ID in path does not match ID in body"
    body = update_body(data, allowed=APP_FIELDS, entity="app", path_id=path_id, mismatch=mismatch)
    body.string("created_at"), body.string("updated_at")
    name = body.string("name")
    if name and name != current.name:
        raise AppNameImmutable()
    shape = body.string("shape")
    if shape is not None:
        check_shape(shape)  # the shape is fixed at create; a valid value is ignored here
    config_change = body.string_map("config", allow_null_values=True)
    annotation_change = body.annotations()
    syslog_url = body.string("syslog_url")
    updated = current
    if syslog_url is not None:
        check_syslog_url(syslog_url)
        updated = dataclasses.replace(updated, syslog_url=syslog_url.strip() or None)
    return finish_update(
        current,
        updated,
        now=now,
        config_change=config_change,
        annotation_change=annotation_change,
    )
