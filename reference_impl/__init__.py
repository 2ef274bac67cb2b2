"""The reference Fn server: the management API over SQLite or PostgreSQL."""

from .app import create_app
from .config import Settings

__all__ = ["Settings", "create_app"]
