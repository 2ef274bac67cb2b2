"""PostgreSQL backend (psycopg 3): a small pool of connections, one transaction per write."""

from __future__ import annotations

import queue
import threading
import time
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from typing import Any

from ..errors import ConfigError, DatastoreError
from ._migrate import migrate
from .sql import APP_NAME, FN_NAME, PARENT, TRIGGER_NAME, TRIGGER_SOURCE, Row, SqlDatastore

try:
    import psycopg
    from psycopg import errors as pg_errors
except ImportError:  # pragma: no cover - the postgres extra is not installed
    psycopg = None  # type: ignore[assignment]

_CONSTRAINTS = {
    "apps_name_key": APP_NAME,
    "fns_name_key": FN_NAME,
    "triggers_name_key": TRIGGER_NAME,
    "triggers_source_key": TRIGGER_SOURCE,
}
_MIGRATION_LOCK = 0x666E2D6D  # advisory lock id: one migrating server at a time
_ACQUIRE_TIMEOUT = 30.0  # seconds to wait for a free connection
_ACQUIRE_POLL = 0.05  # how often a waiter re-checks whether it may open a new connection


def _has_nul(params: Sequence[Any]) -> bool:
    return any(isinstance(p, str) and "\x00" in p for p in params)


class _Cursor:
    """PostgreSQL text cannot hold NUL. The API refuses NUL in bodies, so no stored value has
    one, and a lookup by a path or query value with NUL (which the database would reject)
    matches nothing, as it does on SQLite."""

    def __init__(self, conn: Any) -> None:
        self._conn = conn

    def all(self, sql: str, params: Sequence[Any] = ()) -> list[Row]:
        if _has_nul(params):
            return []
        cur = self._conn.execute(sql.replace("?", "%s"), params)
        return cur.fetchall() if cur.description else []

    def run(self, sql: str, params: Sequence[Any] = ()) -> int:
        if _has_nul(params):
            return 0
        return int(self._conn.execute(sql.replace("?", "%s"), params).rowcount)


class PostgresDialect:
    blocking = True
    #: Writes under an app lock its row first (then the fn's): one lock order, no deadlock.
    share_lock = " FOR SHARE"
    update_lock = " FOR UPDATE"

    def __init__(self, url: str, *, pool_size: int = 4) -> None:
        if psycopg is None:
            raise ConfigError(
                "FN_DB_URL is postgres but psycopg is missing: install fn-conformance[postgres]"
            )
        self.integrity_errors: tuple[type[BaseException], ...] = (psycopg.IntegrityError,)
        self._url = url
        self._pool: queue.LifoQueue[Any] = queue.LifoQueue()
        self._size = pool_size
        self._made = 0
        self._closed = False
        self._lock = threading.Lock()
        with self.transaction(write=True) as db:
            db.run(f"SELECT pg_advisory_xact_lock({_MIGRATION_LOCK})")
            migrate(db, "postgres")

    def _connect(self) -> Any:
        try:
            return psycopg.connect(self._url, autocommit=True)
        except psycopg.Error as exc:
            first = (str(exc).strip().splitlines() or [type(exc).__name__])[0]
            raise ConfigError(f"cannot connect to the PostgreSQL of FN_DB_URL: {first}") from None

    def _acquire(self) -> Any:
        """A pooled connection, or a new one while the pool is below its size.

        A waiter polls rather than blocking on the queue alone: a broken connection is
        discarded without being returned, and the room it frees must let a waiter connect.
        """
        deadline = time.monotonic() + _ACQUIRE_TIMEOUT
        while True:
            try:
                return self._pool.get_nowait()
            except queue.Empty:
                pass
            with self._lock:
                grow = self._made < self._size
                if grow:
                    self._made += 1
            if grow:
                try:
                    return self._connect()
                except BaseException:
                    with self._lock:
                        self._made -= 1
                    raise
            remaining = deadline - time.monotonic()
            if remaining <= 0:
                raise DatastoreError(f"no free database connection within {_ACQUIRE_TIMEOUT:g} s")
            try:
                return self._pool.get(timeout=min(remaining, _ACQUIRE_POLL))
            except queue.Empty:
                continue

    @contextmanager
    def transaction(self, *, write: bool) -> Iterator[_Cursor]:
        conn = self._acquire()
        healthy = True
        try:
            with conn.transaction():
                yield _Cursor(conn)
        except psycopg.OperationalError:
            healthy = False
            raise
        finally:
            with self._lock:  # against close(): a connection is either drained or closed
                keep = healthy and not conn.closed and not self._closed
                if keep:
                    self._pool.put(conn)
                else:
                    self._made -= 1
            if not keep:
                conn.close()

    def constraint(self, exc: BaseException) -> str | None:
        if isinstance(exc, pg_errors.ForeignKeyViolation):
            return PARENT
        name = getattr(getattr(exc, "diag", None), "constraint_name", None)
        return _CONSTRAINTS.get(name or "")

    def close(self) -> None:
        """Close idle connections now; those in use close when their transaction ends."""
        idle = []
        with self._lock:
            self._closed = True
            while not self._pool.empty():
                idle.append(self._pool.get_nowait())
        for conn in idle:
            conn.close()


def open_postgres(url: str) -> SqlDatastore:
    return SqlDatastore(PostgresDialect(url))
