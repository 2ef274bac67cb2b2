"""The README's runnable parts: the shell blocks that tests execute line by line."""

from __future__ import annotations

from pathlib import Path

README = Path(__file__).resolve().parents[1] / "README.md"


def recipe(name: str) -> list[str]:
    """The command lines of the README's ```sh block right after ``<!-- recipe: NAME -->``."""
    lines = README.read_text().splitlines()
    start = lines.index(f"<!-- recipe: {name} -->")
    assert lines[start + 1] == "```sh", f"the recipe {name} is not followed by a ```sh block"
    end = lines.index("```", start + 2)
    return [line for line in lines[start + 2 : end] if line.strip() and not line.startswith("#")]


__all__ = ["README", "recipe"]
