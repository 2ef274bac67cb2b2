"""Small helpers for variants: replace an attribute loudly, and rebuild the SQLite schema.

A patch that silently does nothing would make a variant look caught (or harmless) for the wrong
reason, so :func:`replace` refuses attributes that do not exist.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any


def replace(owner: Any, name: str, value: Any) -> Any:
    """Set ``owner.name`` to ``value`` and return the previous value (which must exist)."""
    if not hasattr(owner, name):
        raise AttributeError(f"{owner!r} has no attribute {name!r}: the variant is out of date")
    previous = getattr(owner, name)
    setattr(owner, name, value)
    return previous


def wrap(owner: Any, name: str, make: Callable[[Any], Any]) -> None:
    """Replace ``owner.name`` by ``make(original)``."""
    replace(owner, name, make(getattr(owner, name)))


# The trigger table of the SQLite migration, with each of its two unique rules optional.
_TRIGGERS_TABLE = """CREATE TABLE triggers (
    id TEXT PRIMARY KEY,
    app_id TEXT NOT NULL REFERENCES apps (id) ON DELETE CASCADE,
    fn_id TEXT NOT NULL REFERENCES fns (id) ON DELETE CASCADE,
    name TEXT NOT NULL,
    type TEXT NOT NULL,
    source TEXT NOT NULL,
    annotations TEXT NOT NULL,
    created_at TEXT NOT NULL,
    updated_at TEXT NOT NULL{constraints}
)"""


def sqlite_after_migrate(*statements: str) -> None:
    """Run ``statements`` on every SQLite database right after its migrations."""
    from reference_impl.datastore import sqlite

    def make(original: Any) -> Any:
        def init(self: Any, path: str) -> None:
            original(self, path)
            with self.transaction(write=True) as db:
                for statement in statements:
                    db.run(statement)

        return init

    wrap(sqlite.SqliteDialect, "__init__", make)


def sqlite_foreign_keys_off() -> None:
    """Without enforcement, ON DELETE CASCADE no longer removes children."""
    from reference_impl.datastore import sqlite

    def make(original: Any) -> Any:
        def init(self: Any, path: str) -> None:
            original(self, path)
            self._conn.execute("PRAGMA foreign_keys = OFF")

        return init

    wrap(sqlite.SqliteDialect, "__init__", make)


_FNS_TABLE = """CREATE TABLE fns (
    id TEXT PRIMARY KEY,
    app_id TEXT NOT NULL REFERENCES apps (id) ON DELETE CASCADE,
    name TEXT NOT NULL,
    image TEXT NOT NULL,
    memory INTEGER NOT NULL,
    timeout INTEGER NOT NULL,
    idle_timeout INTEGER NOT NULL,
    config TEXT NOT NULL,
    annotations TEXT NOT NULL,
    shape TEXT NOT NULL DEFAULT '',
    created_at TEXT NOT NULL,
    updated_at TEXT NOT NULL{constraints}
)"""


def _trigger_statements(*, unique_name: bool = True, unique_source: bool = True) -> list[str]:
    constraints = ""
    if unique_name:
        constraints += ",\n    CONSTRAINT triggers_name_key UNIQUE (app_id, fn_id, name)"
    if unique_source:
        constraints += ",\n    CONSTRAINT triggers_source_key UNIQUE (app_id, type, source)"
    return [
        _TRIGGERS_TABLE.format(constraints=constraints),
        "CREATE INDEX triggers_list_idx ON triggers (app_id, name, id)",
        "CREATE INDEX triggers_fn_idx ON triggers (fn_id)",
    ]


def sqlite_trigger_table(*, unique_name: bool = True, unique_source: bool = True) -> None:
    """Recreate the (still empty) triggers table without some of its unique constraints."""
    statements = _trigger_statements(unique_name=unique_name, unique_source=unique_source)
    sqlite_after_migrate("DROP TABLE triggers", *statements)


def sqlite_fn_table_without_unique_name() -> None:
    """Recreate the (still empty) fns table, and triggers on it, without the fn name rule."""
    sqlite_after_migrate(
        "DROP TABLE triggers",
        "DROP TABLE fns",
        _FNS_TABLE.format(constraints=""),
        *_trigger_statements(),
    )


def endpoint(operation_id: str, make: Callable[[Any], Any]) -> None:
    """Replace the handler of one operation in the reference's route table by ``make(old)``.

    The route table binds handlers when it is built, so patching a handler's module would
    not reach it; the table itself is rewritten (before ``create_app()`` reads it).
    """
    import dataclasses

    from reference_impl import api

    found = False
    table = []
    for op in api.OPERATIONS:
        if op.operation_id == operation_id:
            found = True
            op = dataclasses.replace(op, endpoint=make(op.endpoint))
        table.append(op)
    if not found:
        raise AttributeError(f"no operation {operation_id!r}: the variant is out of date")
    replace(api, "OPERATIONS", tuple(table))
