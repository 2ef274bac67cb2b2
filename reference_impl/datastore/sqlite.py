"""SQLite backend: one connection in WAL mode, serialised by a lock (the embedded default)."""

from __future__ import annotations

import sqlite3
import threading
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from ..errors import ConfigError
from ._migrate import migrate
from .sql import APP_NAME, FN_NAME, PARENT, TRIGGER_NAME, TRIGGER_SOURCE, Row, SqlDatastore

_UNIQUE_COLUMNS = {
    "apps.name": APP_NAME,
    "fns.app_id, fns.name": FN_NAME,
    "triggers.app_id, triggers.fn_id, triggers.name": TRIGGER_NAME,
    "triggers.app_id, triggers.type, triggers.source": TRIGGER_SOURCE,
}


class _Cursor:
    def __init__(self, conn: sqlite3.Connection) -> None:
        self._conn = conn

    def all(self, sql: str, params: Sequence[Any] = ()) -> list[Row]:
        return self._conn.execute(sql, params).fetchall()

    def run(self, sql: str, params: Sequence[Any] = ()) -> int:
        return self._conn.execute(sql, params).rowcount


class SqliteDialect:
    blocking = False
    integrity_errors: tuple[type[BaseException], ...] = (sqlite3.IntegrityError,)
    # BEGIN IMMEDIATE: one writer at a time holds the whole database.
    share_lock = update_lock = ""

    def __init__(self, path: str) -> None:
        if path != ":memory:":
            Path(path).parent.mkdir(parents=True, exist_ok=True, mode=0o750)
        self._conn = sqlite3.connect(path, isolation_level=None, check_same_thread=False)
        self._conn.execute("PRAGMA foreign_keys = ON")
        self._conn.execute("PRAGMA busy_timeout = 5000")
        if path != ":memory:":
            self._conn.execute("PRAGMA journal_mode = WAL")
            self._conn.execute("PRAGMA synchronous = NORMAL")
        self._lock = threading.Lock()
        with self.transaction(write=True) as db:
            migrate(db, "sqlite")

    @contextmanager
    def transaction(self, *, write: bool) -> Iterator[_Cursor]:
        with self._lock:
            if not write:
                yield _Cursor(self._conn)
                return
            self._conn.execute("BEGIN IMMEDIATE")
            try:
                yield _Cursor(self._conn)
            except BaseException:
                self._conn.execute("ROLLBACK")
                raise
            self._conn.execute("COMMIT")

    def constraint(self, exc: BaseException) -> str | None:
        text = str(exc)
        if text.startswith("UNIQUE constraint failed: "):
            return _UNIQUE_COLUMNS.get(text.removeprefix("UNIQUE constraint failed: "))
        if "FOREIGN KEY" in text:
            return PARENT
        return None

    def close(self) -> None:
        with self._lock:
            self._conn.close()


def open_sqlite(path: str) -> SqlDatastore:
    try:
        return SqlDatastore(SqliteDialect(path))
    except (OSError, sqlite3.Error) as exc:
        reason = getattr(exc, "strerror", None) or str(exc)
        raise ConfigError(f"cannot open the SQLite database {path} (FN_DB_URL): {reason}") from None
