"""Entities and their rules; nothing here knows about HTTP or storage."""

from .app import App, app_from_create, app_from_update
from .fn import Fn, fn_from_create, fn_from_update
from .time import utc_now
from .trigger import Trigger, trigger_from_create, trigger_from_update

__all__ = [
    "App",
    "Fn",
    "Trigger",
    "app_from_create",
    "app_from_update",
    "fn_from_create",
    "fn_from_update",
    "trigger_from_create",
    "trigger_from_update",
    "utc_now",
]
