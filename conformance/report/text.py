"""Text that is safe to write into a report: no raw control characters, no stray fences."""

from __future__ import annotations

import unicodedata


def printable(text: str) -> str:
    """``text`` with control and other non-printable characters shown as escapes."""
    out = []
    for char in text:
        if char in "\n\t":
            out.append(char)
        elif unicodedata.category(char) in ("Cc", "Cf", "Cs", "Co", "Cn", "Zl", "Zp"):
            code = ord(char)
            out.append(f"\\x{code:02x}" if code < 0x100 else f"\\u{code:04x}")
        else:
            out.append(char)
    return "".join(out)


def fenced(text: str, info: str = "") -> list[str]:
    """A Markdown code block holding ``text`` whatever it contains."""
    body = printable(text)
    fence = "```"
    while fence in body:
        fence += "`"
    return [fence + info, body, fence]


def one_line(text: str, limit: int = 200) -> str:
    first = printable(text).strip().splitlines()[0] if text.strip() else ""
    return first if len(first) <= limit else first[: limit - 1] + "…"


__all__ = ["fenced", "one_line", "printable"]
