"""Server-made, 26-character, time-sortable identifiers.

128 bits = 48-bit millisecond timestamp + 48-bit node id + 32-bit counter, rendered in
Crockford's base32 alphabet (no I, L, O, U). The first character is always 0-7, and IDs made
by one process sort by creation time.
"""

from __future__ import annotations

import itertools
import os
import re
import threading
import time

ALPHABET = "0123456789ABCDEFGHJKMNPQRSTVWXYZ"
ID_LENGTH = 26
ID_PATTERN = re.compile(r"^[0-7][0-9A-HJKMNP-TV-Z]{25}$")


class IdGenerator:
    """Makes unique, time-ordered IDs; safe to share between threads."""

    def __init__(self, *, node: int | None = None) -> None:
        self._node = (node if node is not None else int.from_bytes(os.urandom(6), "big")) & (
            (1 << 48) - 1
        )
        self._counter = itertools.count(int.from_bytes(os.urandom(2), "big"))
        self._lock = threading.Lock()
        self._last = ""

    def new(self) -> str:
        with self._lock:
            millis = time.time_ns() // 1_000_000
            value = (millis & ((1 << 48) - 1)) << 80
            value |= self._node << 32
            value |= next(self._counter) & 0xFFFFFFFF
            text = encode(value)
            if text <= self._last:  # clock went backwards or counter wrapped: stay monotonic
                text = encode(decode(self._last) + 1)
            self._last = text
            return text


def encode(value: int) -> str:
    chars = []
    for _ in range(ID_LENGTH):
        chars.append(ALPHABET[value & 31])
        value >>= 5
    return "".join(reversed(chars))


def decode(text: str) -> int:
    value = 0
    for char in text:
        value = (value << 5) | ALPHABET.index(char)
    return value


def is_valid_id(text: str) -> bool:
    return bool(ID_PATTERN.match(text))


_default = IdGenerator()


def new_id() -> str:
    return _default.new()


__all__ = ["ID_LENGTH", "IdGenerator", "is_valid_id", "new_id"]
