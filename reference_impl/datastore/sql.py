"""One SQL implementation of the datastore over DB-API, with dialect hooks per backend."""

from __future__ import annotations

import dataclasses
import json
from collections.abc import Iterator, Mapping, Sequence
from contextlib import AbstractContextManager, contextmanager
from typing import Any, Protocol

from ..errors import (
    AppAlreadyExists,
    AppNotFound,
    BadRequest,
    DatastoreError,
    FnAlreadyExists,
    FnNotFound,
    NotFound,
    TriggerAlreadyExists,
    TriggerNotFound,
    TriggerSourceExists,
)
from ..models import App, Fn, Trigger
from .base import AppFilter, FnFilter, ListKey, TriggerFilter

Row = Sequence[Any]
_NO_ANNOTATIONS: Mapping[str, Any] = {}

APP_COLUMNS = "id, name, config, annotations, syslog_url, shape, created_at, updated_at"
FN_COLUMNS = (
    "id, app_id, name, image, memory, timeout, idle_timeout, config, annotations, shape, "
    "created_at, updated_at"
)
TRIGGER_COLUMNS = "id, app_id, fn_id, name, type, source, annotations, created_at, updated_at"

# Logical names of the constraints, as the dialects report them.
APP_NAME = "app_name"
FN_NAME = "fn_name"
TRIGGER_NAME = "trigger_name"
TRIGGER_SOURCE = "trigger_source"
PARENT = "parent"


class Executor(Protocol):
    def all(self, sql: str, params: Sequence[Any] = ()) -> list[Row]: ...
    def run(self, sql: str, params: Sequence[Any] = ()) -> int: ...


class Dialect(Protocol):
    """What a backend supplies: transactions, row locks, and a name for a broken constraint."""

    blocking: bool
    integrity_errors: tuple[type[BaseException], ...]
    #: Appended to a SELECT to lock the rows read: shared (parents of a create) or for update
    #: (an entity being deleted). Empty where a write transaction locks the whole database.
    share_lock: str
    update_lock: str

    def transaction(self, *, write: bool) -> AbstractContextManager[Executor]: ...
    def constraint(self, exc: BaseException) -> str | None: ...
    def close(self) -> None: ...


def _dump(value: dict[str, Any]) -> str:
    return json.dumps(value, separators=(",", ":"), ensure_ascii=False) if value else "{}"


def _load(text: str) -> dict[str, Any]:
    return json.loads(text) if text != "{}" else {}


def _app(row: Row) -> App:
    return App(
        id=row[0],
        name=row[1],
        config=_load(row[2]),
        annotations=_load(row[3]),
        syslog_url=row[4],
        shape=row[5],
        created_at=row[6],
        updated_at=row[7],
    )


def _fn(row: Row) -> Fn:
    return Fn(
        id=row[0],
        app_id=row[1],
        name=row[2],
        image=row[3],
        memory=row[4],
        timeout=row[5],
        idle_timeout=row[6],
        config=_load(row[7]),
        annotations=_load(row[8]),
        shape=row[9],
        created_at=row[10],
        updated_at=row[11],
    )


def _trigger(row: Row) -> Trigger:
    return Trigger(
        id=row[0],
        app_id=row[1],
        fn_id=row[2],
        name=row[3],
        type=row[4],
        source=row[5],
        annotations=_load(row[6]),
        created_at=row[7],
        updated_at=row[8],
    )


class _Query:
    """A WHERE clause built from equality filters and the (name, id) keyset position."""

    def __init__(self) -> None:
        self.clauses: list[str] = []
        self.params: list[Any] = []

    def eq(self, column: str, value: str | None) -> _Query:
        if value is not None:
            self.clauses.append(f"{column} = ?")
            self.params.append(value)
        return self

    def name(self, value: str | None) -> _Query:
        """The lists' ``name`` filter: exactly that name."""
        return self.eq("name", value)

    def after(self, key: ListKey | None) -> _Query:
        if key is not None:
            # "name >= ?" lets the (…, name, id) index seek instead of scanning from the start.
            self.clauses.append("name >= ? AND (name > ? OR id > ?)")
            self.params.extend([key[0], key[0], key[1]])
        return self

    def render(self, table: str, columns: str, limit: int) -> tuple[str, list[Any]]:
        where = f" WHERE {' AND '.join(self.clauses)}" if self.clauses else ""
        sql = f"SELECT {columns} FROM {table}{where} ORDER BY name, id LIMIT ?"
        return sql, [*self.params, limit]


class SqlDatastore:
    """The datastore over any :class:`Dialect`; every write is one transaction."""

    def __init__(self, dialect: Dialect) -> None:
        self._db = dialect
        self.blocking = dialect.blocking

    def close(self) -> None:
        self._db.close()

    def extra_annotations(self, entity: App | Fn | Trigger) -> Mapping[str, Any]:
        return _NO_ANNOTATIONS

    # -- apps ---------------------------------------------------------------------------

    def create_app(self, app: App) -> App:
        sql = f"INSERT INTO apps ({APP_COLUMNS}) VALUES (?, ?, ?, ?, ?, ?, ?, ?)"
        params = [
            app.id, app.name, _dump(app.config), _dump(app.annotations), app.syslog_url,
            app.shape, app.created_at, app.updated_at,
        ]  # fmt: skip
        with self._writing() as db:
            self._app_name_free(db, app.name)
            db.run(sql, params)
        return app

    def get_app(self, app_id: str) -> App:
        return _app(
            self._one(f"SELECT {APP_COLUMNS} FROM apps WHERE id = ?", [app_id], AppNotFound)
        )

    def get_app_by_name(self, name: str) -> App:
        return _app(
            self._one(f"SELECT {APP_COLUMNS} FROM apps WHERE name = ?", [name], AppNotFound)
        )

    def update_app(self, app: App) -> App:
        """Store the app as the model made it (the model keeps the name immutable)."""
        sql = (
            "UPDATE apps SET name = ?, config = ?, annotations = ?, syslog_url = ?, "
            "updated_at = ? WHERE id = ?"
        )
        params = [app.name, _dump(app.config), _dump(app.annotations), app.syslog_url,
                  app.updated_at, app.id]  # fmt: skip
        with self._writing() as db:
            if db.run(sql, params) == 0:
                raise AppNotFound()
        return app

    def delete_app(self, app_id: str) -> None:
        with self._writing() as db:
            # The app row first (every write under an app locks it first: no deadlock).
            if not db.all(f"SELECT 1 FROM apps WHERE id = ?{self._db.update_lock}", [app_id]):
                raise AppNotFound()
            self._delete_app_children(db, app_id)
            db.run("DELETE FROM apps WHERE id = ?", [app_id])

    def list_apps(self, flt: AppFilter, *, after: ListKey | None, limit: int) -> list[App]:
        sql, params = _Query().name(flt.name).after(after).render("apps", APP_COLUMNS, limit)
        with self._db.transaction(write=False) as db:
            return [_app(row) for row in db.all(sql, params)]

    # -- fns ----------------------------------------------------------------------------

    def create_fn(self, fn: Fn) -> Fn:
        sql = f"INSERT INTO fns ({FN_COLUMNS}) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)"
        with self._writing() as db:
            shape = self._parent_app(db, fn.app_id)
            self._fn_name_free(db, fn.app_id, fn.name)
            stored = dataclasses.replace(fn, shape=shape)
            db.run(sql, [
                stored.id, stored.app_id, stored.name, stored.image, stored.memory,
                stored.timeout, stored.idle_timeout, _dump(stored.config),
                _dump(stored.annotations), stored.shape, stored.created_at, stored.updated_at,
            ])  # fmt: skip
        return stored

    def get_fn(self, fn_id: str) -> Fn:
        return _fn(self._one(f"SELECT {FN_COLUMNS} FROM fns WHERE id = ?", [fn_id], FnNotFound))

    def update_fn(self, fn: Fn) -> Fn:
        """Store the fn as the model made it (the model keeps name and app_id as they were)."""
        sql = (
            "UPDATE fns SET name = ?, image = ?, memory = ?, timeout = ?, idle_timeout = ?, "
            "config = ?, annotations = ?, updated_at = ? WHERE id = ?"
        )
        params = [
            fn.name, fn.image, fn.memory, fn.timeout, fn.idle_timeout, _dump(fn.config),
            _dump(fn.annotations), fn.updated_at, fn.id,
        ]  # fmt: skip
        with self._writing() as db:
            if db.run(sql, params) == 0:
                raise FnNotFound()
        return fn

    def delete_fn(self, fn_id: str) -> None:
        with self._writing() as db:
            found = db.all("SELECT app_id FROM fns WHERE id = ?", [fn_id])
            if not found:
                raise FnNotFound()
            # Lock order: the app, then the fn (as creates under it do).
            db.all(f"SELECT 1 FROM apps WHERE id = ?{self._db.share_lock}", [found[0][0]])
            if not db.all(f"SELECT 1 FROM fns WHERE id = ?{self._db.update_lock}", [fn_id]):
                raise FnNotFound()
            self._delete_fn_children(db, fn_id)
            db.run("DELETE FROM fns WHERE id = ?", [fn_id])

    def list_fns(self, flt: FnFilter, *, after: ListKey | None, limit: int) -> list[Fn]:
        query = _Query().eq("app_id", flt.app_id).name(flt.name).after(after)
        sql, params = query.render("fns", FN_COLUMNS, limit)
        with self._db.transaction(write=False) as db:
            return [_fn(row) for row in db.all(sql, params)]

    # -- triggers -----------------------------------------------------------------------

    def create_trigger(self, trigger: Trigger) -> Trigger:
        sql = f"INSERT INTO triggers ({TRIGGER_COLUMNS}) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)"
        with self._writing() as db:
            self._parent_app(db, trigger.app_id)
            self._check_trigger(db, trigger, fn_changed=True)
            db.run(sql, [
                trigger.id, trigger.app_id, trigger.fn_id, trigger.name, trigger.type,
                trigger.source, _dump(trigger.annotations), trigger.created_at,
                trigger.updated_at,
            ])  # fmt: skip
        return trigger

    def get_trigger(self, trigger_id: str) -> Trigger:
        sql = f"SELECT {TRIGGER_COLUMNS} FROM triggers WHERE id = ?"
        return _trigger(self._one(sql, [trigger_id], TriggerNotFound))

    def get_trigger_by_source(self, app_id: str, type_: str, source: str) -> Trigger:
        sql = f"SELECT {TRIGGER_COLUMNS} FROM triggers WHERE app_id = ? AND type = ? AND source = ?"
        return _trigger(self._one(sql, [app_id, type_, source], TriggerNotFound))

    def update_trigger(self, trigger: Trigger) -> Trigger:
        sql = (
            "UPDATE triggers SET name = ?, fn_id = ?, source = ?, annotations = ?, "
            "updated_at = ? WHERE id = ?"
        )
        with self._writing() as db:
            self._parent_app(db, trigger.app_id)
            rows = db.all("SELECT fn_id FROM triggers WHERE id = ?", [trigger.id])
            if not rows:
                raise TriggerNotFound()
            self._check_trigger(db, trigger, fn_changed=rows[0][0] != trigger.fn_id)
            db.run(sql, [
                trigger.name, trigger.fn_id, trigger.source, _dump(trigger.annotations),
                trigger.updated_at, trigger.id,
            ])  # fmt: skip
        return trigger

    def delete_trigger(self, trigger_id: str) -> None:
        with self._writing() as db:
            if db.run("DELETE FROM triggers WHERE id = ?", [trigger_id]) == 0:
                raise TriggerNotFound()

    def list_triggers(
        self, flt: TriggerFilter, *, after: ListKey | None, limit: int
    ) -> list[Trigger]:
        query = _Query().eq("app_id", flt.app_id).eq("fn_id", flt.fn_id).name(flt.name)
        sql, params = query.after(after).render("triggers", TRIGGER_COLUMNS, limit)
        with self._db.transaction(write=False) as db:
            return [_trigger(row) for row in db.all(sql, params)]

    # -- rules: one method each, checked inside the write transaction --------------------

    def _app_name_free(self, db: Executor, name: str) -> None:
        if db.all("SELECT 1 FROM apps WHERE name = ?", [name]):
            raise AppAlreadyExists()

    def _parent_app(self, db: Executor, app_id: str) -> str:
        """Lock the app a write happens under (shared), and answer its shape."""
        rows = db.all(f"SELECT shape FROM apps WHERE id = ?{self._db.share_lock}", [app_id])
        if not rows:
            raise AppNotFound()
        return str(rows[0][0])

    def _fn_name_free(self, db: Executor, app_id: str, name: str) -> None:
        if db.all("SELECT 1 FROM fns WHERE app_id = ? AND name = ?", [app_id, name]):
            raise FnAlreadyExists()

    def _trigger_fn_owned(self, db: Executor, trigger: Trigger) -> None:
        """The trigger's fn exists (404) and belongs to the trigger's app (400)."""
        sql = f"SELECT app_id FROM fns WHERE id = ?{self._db.share_lock}"
        fns = db.all(sql, [trigger.fn_id])
        if not fns:
            raise FnNotFound()
        if fns[0][0] != trigger.app_id:
            raise BadRequest("Invalid Fn ID - not owned by specified app")

    def _trigger_source_free(self, db: Executor, trigger: Trigger) -> None:
        clash = "SELECT 1 FROM triggers WHERE app_id = ? AND type = ? AND source = ? AND id <> ?"
        if db.all(clash, [trigger.app_id, trigger.type, trigger.source, trigger.id]):
            raise TriggerSourceExists()

    def _trigger_name_free(self, db: Executor, trigger: Trigger) -> None:
        clash = "SELECT 1 FROM triggers WHERE app_id = ? AND fn_id = ? AND name = ? AND id <> ?"
        if db.all(clash, [trigger.app_id, trigger.fn_id, trigger.name, trigger.id]):
            raise TriggerAlreadyExists()

    def _check_trigger(self, db: Executor, trigger: Trigger, *, fn_changed: bool) -> None:
        """Fn ownership, then the source rule, then the name rule (upstream's order)."""
        if fn_changed:
            self._trigger_fn_owned(db, trigger)
        self._trigger_source_free(db, trigger)
        self._trigger_name_free(db, trigger)

    def _delete_app_children(self, db: Executor, app_id: str) -> None:
        """The cascade, explicit so it never depends on the backend's foreign-key mode."""
        db.run("DELETE FROM triggers WHERE app_id = ?", [app_id])
        db.run("DELETE FROM fns WHERE app_id = ?", [app_id])

    def _delete_fn_children(self, db: Executor, fn_id: str) -> None:
        db.run("DELETE FROM triggers WHERE fn_id = ?", [fn_id])

    # -- helpers ------------------------------------------------------------------------

    def _one(self, sql: str, params: list[Any], missing: type[Exception]) -> Row:
        with self._db.transaction(write=False) as db:
            rows = db.all(sql, params)
        if not rows:
            raise missing()
        return rows[0]

    @contextmanager
    def _writing(self) -> Iterator[Executor]:
        """A write transaction whose constraint violations become the matching API errors.

        The explicit checks inside the transaction give upstream's error order; the
        database's own constraints settle races between concurrent writers.
        """
        try:
            with self._db.transaction(write=True) as db:
                yield db
        except self._db.integrity_errors as error:
            raise _translate(self._db.constraint(error)) from error


_CONFLICTS: dict[str | None, type[Exception]] = {
    APP_NAME: AppAlreadyExists,
    FN_NAME: FnAlreadyExists,
    TRIGGER_NAME: TriggerAlreadyExists,
    TRIGGER_SOURCE: TriggerSourceExists,
}


def _translate(constraint: str | None) -> Exception:
    if constraint in _CONFLICTS:
        return _CONFLICTS[constraint]()
    if constraint == PARENT:
        return NotFound("The app or fn was deleted while this request ran")
    return DatastoreError(f"unexpected integrity error ({constraint})")
