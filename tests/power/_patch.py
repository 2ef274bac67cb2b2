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


def wrap_everywhere(name: str, make: Callable[[Any], Any]) -> None:
    """Wrap ``name`` in every ``reference_impl`` module that imported it (by name)."""
    import sys

    found = [
        module for key, module in list(sys.modules.items())
        if key.startswith("reference_impl") and module is not None and hasattr(module, name)
    ]  # fmt: skip
    if not found:
        raise AttributeError(f"no reference_impl module has {name!r}: the variant is out of date")
    original = getattr(found[0], name)
    wrapped = make(original)
    for module in found:
        if getattr(module, name) is original:
            setattr(module, name, wrapped)


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


def _migration(table: str, *, drop: tuple[str, ...] = ()) -> list[str]:
    """The SQLite migration's statements for ``table`` (its CREATE TABLE and indexes), with the
    named constraints left out, so a variant never drifts from the real schema."""
    from importlib import resources

    from reference_impl.datastore import _migrate

    folder = resources.files("reference_impl.datastore") / "migrations" / "sqlite"
    script = "\n".join(f.read_text() for f in sorted(folder.iterdir(), key=lambda f: f.name)
                       if f.name.endswith(".sql"))  # fmt: skip
    chosen = []
    for statement in _migrate.statements(script):
        if f" {table} (" not in statement.split("\n", 1)[0] + " ":
            continue
        for name in drop if statement.startswith("CREATE TABLE") else ():
            lines = statement.split("\n")
            if not any(f"CONSTRAINT {name} " in line for line in lines):
                raise AttributeError(f"the migration has no constraint {name}: out of date")
            lines = [line for line in lines if f"CONSTRAINT {name} " not in line]
            statement = "\n".join(lines).replace(",\n)", "\n)")
        chosen.append(statement)
    return chosen


def _trigger_statements(*, unique_name: bool = True, unique_source: bool = True) -> list[str]:
    drop = ("triggers_name_key",) * (not unique_name) + ("triggers_source_key",) * (
        not unique_source
    )
    return _migration("triggers", drop=drop)


def sqlite_trigger_table(*, unique_name: bool = True, unique_source: bool = True) -> None:
    """Recreate the (still empty) triggers table without some of its unique constraints."""
    statements = _trigger_statements(unique_name=unique_name, unique_source=unique_source)
    sqlite_after_migrate("DROP TABLE triggers", *statements)


def sqlite_fn_table_without_unique_name() -> None:
    """Recreate the (still empty) fns table, and triggers on it, without the fn name rule."""
    sqlite_after_migrate(
        "DROP TABLE triggers",
        "DROP TABLE fns",
        *_migration("fns", drop=("fns_name_key",)),
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


def model_ignores(function: str, key: str) -> None:
    """``reference_impl.models.<function>`` (a create or update) never sees ``key`` of the body
    (the body is its last positional argument)."""
    import reference_impl.models as models

    def make(original: Any) -> Any:
        def build(*args: Any, **kw: Any) -> Any:
            *head, data = args
            if isinstance(data, dict):
                data = {k: v for k, v in data.items() if k != key}
            return original(*head, data, **kw)

        return build

    wrap(models, function, make)


def stub_when_missing(operation_id: str, missing: type[Exception], param: str) -> None:
    """The operation answers 200 with a stub entity when the entity does not exist."""
    from starlette.responses import JSONResponse, Response

    def make(original: Any) -> Any:
        async def endpoint(request: Any) -> Response:
            try:
                response: Response = await original(request)
            except missing:
                return JSONResponse({"id": request.path_params[param]})
            return response

        return endpoint

    endpoint(operation_id, make)
