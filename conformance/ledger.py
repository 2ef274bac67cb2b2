"""The ledger: what a run created, so that cleanup removes exactly that and nothing else.

The ledger is written ahead: the name of every create is recorded *before* the request is sent,
and its id when the answer comes. A run interrupted between the two (Ctrl-C, a killed worker)
still knows the name, and cleanup finds the entity through the list filters (apps by ``name``,
fns and triggers by ``app_id`` and ``name``). Only names that carry the run's prefix are ever
looked up this way, so nobody else's entity can be taken for one of ours.

Every process of a run appends to its own JSON-lines file in the run's report folder; cleanup
reads all of them, deletes newest first (children before parents) and then confirms with a GET
that each entity is gone. Whatever it cannot confirm (the target stopped answering, a delete
was refused) is *leaked*, and the count is what is really left.
"""

from __future__ import annotations

import json
import threading
from collections.abc import Callable, Iterable
from dataclasses import asdict, dataclass, field, replace
from pathlib import Path
from typing import Any

import requests

from .client import FnClient
from .errors import ConformanceError

KINDS = ("app", "fn", "trigger")
COLLECTIONS = {"/v2/apps": "app", "/v2/fns": "fn", "/v2/triggers": "trigger"}
_DELETE = {"app": "delete_app", "fn": "delete_fn", "trigger": "delete_trigger"}
_GET = {"app": "get_app", "fn": "get_fn", "trigger": "get_trigger"}
_LIST = {"app": "list_apps", "fn": "list_fns", "trigger": "list_triggers"}


@dataclass(frozen=True)
class Entry:
    """One create: ``id`` is empty while the answer has not come (or named no entity)."""

    kind: str
    name: str
    id: str = ""
    app_id: str = ""
    fn_id: str = ""

    @property
    def key(self) -> tuple[str, str, str, str]:
        """What identifies a create before its id is known."""
        return (self.kind, self.name, self.app_id, self.fn_id)


@dataclass
class CleanupReport:
    created: int = 0
    deleted: int = 0
    gone: int = 0
    leaked: list[Entry] = field(default_factory=list)
    errors: list[str] = field(default_factory=list)
    requests: int = 0

    @property
    def clean(self) -> bool:
        return not self.leaked and not self.errors


class Ledger:
    """This process's records: one JSON line each in ``path``, written before each send."""

    def __init__(self, path: Path, *, prefix: str = "") -> None:
        self.prefix = prefix
        self._lock = threading.Lock()
        self._path = path

    def _append(self, entry: Entry) -> None:
        if entry.kind not in KINDS:
            raise ConformanceError(f"unknown kind {entry.kind!r}")
        with self._lock:
            self._path.parent.mkdir(parents=True, exist_ok=True)
            with self._path.open("a", encoding="utf-8") as fh:
                fh.write(json.dumps(asdict(entry)) + "\n")

    def before_send(self, method: str, path: str, body: Any) -> None:
        """Write ahead: a create naming an entity of this run is recorded before it is sent."""
        kind = COLLECTIONS.get(path.rstrip("/"))
        if method != "POST" or kind is None or not isinstance(body, dict):
            return
        name = body.get("name")
        if isinstance(name, str) and self.prefix and name.startswith(self.prefix):
            self._append(_entry(kind, name, body))

    def after_answer(self, method: str, path: str, response: requests.Response) -> None:
        """Record the id of the entity a successful create returned."""
        kind = COLLECTIONS.get(path.rstrip("/"))
        if method != "POST" or kind is None or not 200 <= response.status_code < 300:
            return
        try:
            body = response.json()
        except ValueError:
            return
        if isinstance(body, dict) and isinstance(body.get("id"), str) and body["id"]:
            name = body.get("name")
            entry = _entry(kind, name if isinstance(name, str) else "", body)
            self._append(replace(entry, id=body["id"]))

    @staticmethod
    def read(path: Path) -> list[Entry]:
        if not path.exists():
            return []
        entries = []
        for line in path.read_text(encoding="utf-8").splitlines():
            if line.strip():
                try:
                    entries.append(Entry(**json.loads(line)))
                except (ValueError, TypeError):
                    continue  # a line cut short by a killed process
        return entries


def _entry(kind: str, name: str, body: dict[str, Any]) -> Entry:
    return Entry(
        kind,
        name,
        app_id=str(body.get("app_id") or "") if kind != "app" else "",
        fn_id=str(body.get("fn_id") or "") if kind == "trigger" else "",
    )


def merge(records: Iterable[Entry]) -> list[Entry]:
    """One entry per created entity, in creation order: ids where known, else the intent."""
    seen_ids: set[str] = set()
    pending: dict[tuple[str, str, str, str], int] = {}  # an intent's place in ``order``
    order: list[Entry] = []
    for entry in records:
        if entry.id:
            if entry.id in seen_ids:
                continue
            seen_ids.add(entry.id)
            place = pending.pop(entry.key, None)
            if place is not None:
                order[place] = entry
            else:
                order.append(entry)
        elif entry.key not in pending:
            pending[entry.key] = len(order)
            order.append(entry)
    return order


def read_run(folder: Path) -> list[Entry]:
    """Every entity the run whose reports are in ``folder`` created, merged over its ledgers."""
    records: list[Entry] = []
    for path in sorted(folder.glob("ledger-*.jsonl")):
        records += Ledger.read(path)
    return merge(records)


class _Stop(Exception):
    """The target stopped answering: nothing more can be confirmed."""


class Cleaner:
    """Resolve, delete and confirm; stops at the first request that gets no answer."""

    def __init__(self, client: FnClient) -> None:
        self.raw = client.unchecked()
        self.requests = 0

    def _send(self, operation: str, *args: Any, **params: Any) -> requests.Response:
        self.requests += 1
        try:
            response: requests.Response = getattr(self.raw, operation)(*args, **params)
        except ConformanceError as exc:
            raise _Stop(str(exc)) from exc
        return response

    def resolve(self, entry: Entry) -> list[Entry]:
        """The entities a create without a known id made (found by name), maybe none.

        Names no server can hold (a lone surrogate, control characters) are not looked up:
        the lookup itself would be input that fragile servers break on.
        """
        if not _storable(entry.name):
            return []
        params: dict[str, str] = {"name": entry.name}
        if entry.kind != "app":
            if not entry.app_id:
                return []
            params["app_id"] = entry.app_id
        response = self._send(_LIST[entry.kind], check=False, **params)
        if response.status_code == 404:
            return []
        if response.status_code != 200:
            raise _Stop(f"listing {entry.kind}s named {entry.name!r}: {response.status_code}")
        try:
            items = response.json().get("items") or []
        except (ValueError, AttributeError):
            raise _Stop(f"listing {entry.kind}s named {entry.name!r}: not JSON") from None
        return [
            replace(entry, id=str(item["id"]))
            for item in items
            if isinstance(item, dict)
            and item.get("name") == entry.name
            and item.get("id")
            and (entry.kind != "trigger" or not entry.fn_id or item.get("fn_id") == entry.fn_id)
        ]

    def run(self, entries: list[Entry], *, prefix: str) -> CleanupReport:
        report = CleanupReport()
        targets = [e for e in entries if e.id]
        pending = [e for e in entries if not e.id and e.name.startswith(prefix)]
        confirmed: set[str] = set()
        try:
            while pending:
                targets += [e for e in self.resolve(pending[0]) if e not in targets]
                pending.pop(0)
            # Creation order was kept; newest first removes children before their parents.
            order = sorted(targets, key=entries_index(entries), reverse=True)
            for entry in order:
                if 200 <= self._send(_DELETE[entry.kind], entry.id).status_code < 300:
                    report.deleted += 1
            for entry in order:
                if self._send(_GET[entry.kind], entry.id).status_code == 404:
                    confirmed.add(entry.id)
        except _Stop as stop:
            report.errors.append(f"the target stopped answering during cleanup: {stop}")
        report.created = len(targets) + len(pending)
        report.gone = len(confirmed)
        # Unconfirmed is leaked: still present, or unknown because the target stopped answering.
        report.leaked = [e for e in targets if e.id not in confirmed] + pending
        report.requests = self.requests
        return report


def _storable(name: str) -> bool:
    try:
        name.encode("utf-8")
    except UnicodeEncodeError:
        return False
    return name.isprintable()


def entries_index(entries: list[Entry]) -> Callable[[Entry], int]:
    """Sort key: the position of an entry's create in ``entries`` (resolved ones by intent)."""
    by_key = {e.key: i for i, e in enumerate(entries)}
    by_id = {e.id: i for i, e in enumerate(entries) if e.id}

    def key(entry: Entry) -> int:
        return by_id.get(entry.id, by_key.get(entry.key, len(entries)))

    return key


def clean_up(client: FnClient, entries: list[Entry], *, prefix: str) -> CleanupReport:
    """Delete ``entries`` newest first and confirm each is gone."""
    return Cleaner(client).run(entries, prefix=prefix)


__all__ = ["CleanupReport", "Entry", "Ledger", "clean_up", "merge", "read_run"]
