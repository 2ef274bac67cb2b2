"""Resources a run creates: per-run names, the ledger that removes exactly them, factories.

Every name carries the run's prefix, so two runs (or a run and real users) never collide. The
client records every entity a create returned in the ledger; cleanup deletes exactly those, in
reverse order, and reports whatever it could not remove as leaked. Nothing else is ever deleted.
"""

from __future__ import annotations

import itertools
import json
import secrets
import string
import threading
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any

import requests

from . import expect
from .client import FnClient
from .errors import ConformanceError

KINDS = ("app", "fn", "trigger")
_COLLECTIONS = {"/v2/apps": "app", "/v2/fns": "fn", "/v2/triggers": "trigger"}


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


@dataclass(frozen=True)
class Entry:
    kind: str
    id: str
    name: str


@dataclass
class CleanupReport:
    deleted: int = 0
    leaked: list[Entry] | None = None
    errors: list[str] | None = None

    @property
    def clean(self) -> bool:
        return not self.leaked and not self.errors


class Ledger:
    """What this run created, in creation order; optionally mirrored to a JSON-lines file."""

    def __init__(self, path: Path | None = None) -> None:
        self.entries: list[Entry] = []
        self._ids: set[str] = set()
        self._lock = threading.Lock()
        self._path = path

    def add(self, kind: str, entity_id: str, name: str) -> None:
        if kind not in KINDS:
            raise ConformanceError(f"unknown kind {kind!r}")
        with self._lock:
            if entity_id in self._ids:
                return
            self._ids.add(entity_id)
            entry = Entry(kind, entity_id, name)
            self.entries.append(entry)
            if self._path is not None:
                self._path.parent.mkdir(parents=True, exist_ok=True)
                with self._path.open("a", encoding="utf-8") as fh:
                    fh.write(json.dumps(asdict(entry)) + "\n")

    def observe(self, method: str, path: str, response: requests.Response) -> None:
        """Record the entity a successful create returned (called for every exchange)."""
        kind = _COLLECTIONS.get(path.rstrip("/"))
        if method != "POST" or kind is None or not 200 <= response.status_code < 300:
            return
        try:
            body = response.json()
        except ValueError:
            return
        if isinstance(body, dict) and isinstance(body.get("id"), str) and body["id"]:
            self.add(kind, body["id"], str(body.get("name", "")))

    @staticmethod
    def read(path: Path) -> list[Entry]:
        if not path.exists():
            return []
        return [Entry(**json.loads(line)) for line in path.read_text().splitlines() if line]

    def cleanup(self, client: FnClient) -> CleanupReport:
        return cleanup_entries(client, self.entries)


_DELETE = {"app": "delete_app", "fn": "delete_fn", "trigger": "delete_trigger"}
_GET = {"app": "get_app", "fn": "get_fn", "trigger": "get_trigger"}


def cleanup_entries(client: FnClient, entries: list[Entry]) -> CleanupReport:
    """Delete ``entries`` newest first (children before parents), then verify they are gone."""
    raw = client.unchecked()
    report = CleanupReport(leaked=[], errors=[])
    for entry in reversed(entries):
        try:
            response = getattr(raw, _DELETE[entry.kind])(entry.id)
        except ConformanceError as exc:
            report.errors.append(f"{entry.kind} {entry.id}: {exc}")  # type: ignore[union-attr]
            continue
        if 200 <= response.status_code < 300:
            report.deleted += 1
    for entry in entries:
        try:
            response = getattr(raw, _GET[entry.kind])(entry.id)
        except ConformanceError as exc:
            report.errors.append(f"{entry.kind} {entry.id}: {exc}")  # type: ignore[union-attr]
            continue
        if response.status_code != 404:
            report.leaked.append(entry)  # type: ignore[union-attr]
    return report


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
        return expect.ok(self.client.create_app(body), req="FN-APP-001")  # type: ignore[no-any-return]

    def fn(self, app: dict[str, Any], **fields: Any) -> dict[str, Any]:
        body = {"app_id": app["id"], "name": self.names.fn(), "image": self.image, **fields}
        return expect.ok(self.client.create_fn(body), req="FN-FN-001")  # type: ignore[no-any-return]

    def trigger(self, app: dict[str, Any], fn: dict[str, Any], **fields: Any) -> dict[str, Any]:
        body = {
            "app_id": app["id"],
            "fn_id": fn["id"],
            "name": self.names.trigger(),
            "type": "http",
            "source": self.names.source(),
            **fields,
        }
        return expect.ok(self.client.create_trigger(body), req="FN-TRG-001")  # type: ignore[no-any-return]


__all__ = ["CleanupReport", "Entry", "Factory", "Ledger", "Names", "cleanup_entries", "new_run_id"]
