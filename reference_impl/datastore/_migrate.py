"""Numbered ``.sql`` migrations, applied in order at start and recorded in the database."""

from __future__ import annotations

from importlib import resources

from .sql import Executor


def pending(dialect_name: str, applied: set[int]) -> list[tuple[int, str]]:
    """(version, script) of every migration for ``dialect_name`` not yet in ``applied``."""
    folder = resources.files(__package__) / "migrations" / dialect_name
    scripts = []
    for entry in folder.iterdir():
        if entry.name.endswith(".sql"):
            version = int(entry.name.split("_", 1)[0])
            if version not in applied:
                scripts.append((version, entry.read_text()))
    return sorted(scripts)


def statements(script: str) -> list[str]:
    return [part.strip() for part in script.split(";") if part.strip()]


def migrate(db: Executor, dialect_name: str) -> None:
    db.run("CREATE TABLE IF NOT EXISTS schema_migrations (version INTEGER PRIMARY KEY)")
    applied = {row[0] for row in db.all("SELECT version FROM schema_migrations")}
    for version, script in pending(dialect_name, applied):
        for statement in statements(script):
            db.run(statement)
        db.run("INSERT INTO schema_migrations (version) VALUES (?)", [version])
