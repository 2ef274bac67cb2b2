"""Resources a run creates: per-run names and the factories tests make entities with.

Every name carries the run's prefix, so two runs (or a run and real users) never collide; the
ledger (``ledger.py``) records every create so cleanup removes exactly what the run made.
"""

from __future__ import annotations

import itertools
import secrets
import string
import threading
from typing import Any

from . import expect
from .client import FnClient


def new_run_id() -> str:
    return "".join(secrets.choice(string.ascii_lowercase + string.digits) for _ in range(8))


def run_prefix(run_id: str) -> str:
    return f"fnc{run_id}"


class Names:
    """Valid, unique names for this run (and this xdist worker)."""

    def __init__(self, run_id: str, worker: str = "") -> None:
        self.prefix = run_prefix(run_id)
        self._scope = f"{self.prefix}-{worker}" if worker else f"{self.prefix}-"
        self._counter = itertools.count(1)
        self._lock = threading.Lock()

    def _next(self) -> int:
        with self._lock:
            return next(self._counter)

    def app(self, hint: str = "") -> str:
        return f"{self._scope}{hint}{self._next()}"

    fn = app
    trigger = app

    def source(self, hint: str = "") -> str:
        return f"/{self._scope}{hint}{self._next()}"

    def scoped(self, suffix: str) -> str:
        """A name made of this run's unique scope and ``suffix`` (for generated names)."""
        return f"{self._scope}{self._next()}-{suffix}"


class Factory:
    """``make.app()``, ``make.fn(app)``, ``make.trigger(app, fn)``: create and return the entity.

    A create that does not answer 200 with a JSON object fails the test, naming the create
    requirement of that entity.
    """

    def __init__(self, client: FnClient, names: Names, *, image: str) -> None:
        self.client = client
        self.names = names
        self.image = image

    def app(self, **fields: Any) -> dict[str, Any]:
        body = {"name": self.names.app(), **fields}
        return _made(self.client.create_app(body), body, "FN-APP-001")

    def fn(self, app: dict[str, Any], **fields: Any) -> dict[str, Any]:
        body = {"app_id": app["id"], "name": self.names.fn(), "image": self.image, **fields}
        return _made(self.client.create_fn(body), body, "FN-FN-001")

    def trigger(self, app: dict[str, Any], fn: dict[str, Any], **fields: Any) -> dict[str, Any]:
        body = {
            "app_id": app["id"],
            "fn_id": fn["id"],
            "name": self.names.trigger(),
            "type": "http",
            "source": self.names.source(),
            **fields,
        }
        return _made(self.client.create_trigger(body), body, "FN-TRG-001")


def _made(response: Any, sent: dict[str, Any], req: str) -> dict[str, Any]:
    """The created entity: 200, an id, and every field sent shown as sent (tests rely on it)."""
    entity: dict[str, Any] = expect.ok(response, req=req)
    expect.server_id(entity, "A created entity", response=response, req=req)
    differ = {key: entity.get(key) for key, value in sent.items() if entity.get(key) != value}
    expect.true(
        not differ or set(differ) <= {"config", "annotations"},
        "A create answers with other values than were sent",
        f"Received: {differ}\nExpected: { ({k: sent[k] for k in differ}) }",
        response=response,
        req=req,
    )
    return entity


__all__ = ["Factory", "Names", "new_run_id", "run_prefix"]
