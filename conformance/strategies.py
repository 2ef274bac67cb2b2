"""Hypothesis strategies shared by the suite: valid name suffixes, config and annotation maps.

Generated names are *suffixes*: a test prefixes them with a name from ``names`` so that they
stay unique on a shared target and carry the run prefix. Unicode names use only characters
whose category is the same in Unicode 3.2 and in this Python's tables (:func:`stable_letter`):
servers check names with the tables of their own language version, and every server agrees on
these. Suffixes are short (at most
``MAX_SUFFIX`` characters) and favour the cases that break byte-order sorting and paging:
upper- against lower-case, digits, ``-`` (0x2D) against ``_`` (0x5F), multi-byte letters and
names that are prefixes of one another. Maps hold at most ``MAX_KEYS`` keys.
"""

from __future__ import annotations

import json
import string
import unicodedata
from typing import Any

from hypothesis import strategies as st

MAX_SUFFIX = 20
MAX_KEYS = 5
MAX_ANNOTATION_KEY_BYTES = 128
MAX_ANNOTATION_VALUE_BYTES = 512
#: Annotation keys under this prefix are the server's own (endpoint annotations).
RESERVED_ANNOTATION_PREFIX = "fnproject.io/"

#: App and trigger name suffixes that sit next to each other in byte order (U+1D49C is a
#: letter outside the BMP: UTF-16 order puts it before U+FB00, byte order after).
UNICODE_EDGE_SUFFIXES = (
    "A", "Z", "a", "z", "0", "9", "-", "_", "a-", "a_", "a-b", "a_b", "aB", "ab", "abc",
    "é", "e", "ß", "ss", "日", "日本", "Ω", "ω", "ﬀ", "\U0001d49c", "٣", "²",
)  # fmt: skip
#: Fn name suffixes that sit next to each other in byte order (ASCII only).
FN_EDGE_SUFFIXES = (
    "A", "Z", "a", "z", "0", "9", "-", "_", ".", "~", "$", "&", "+", ":", "=", "@",
    "a-", "a_", "a.b", "a~", "a$", "aB", "ab", "abc",
)  # fmt: skip
FN_NAME_CHARACTERS = string.ascii_letters + string.digits + "$&+-.:=@_~"


def stable_letter(char: str) -> bool:
    """A letter or number in Unicode 3.2 and in the current tables alike (or ``_``, ``-``)."""
    if char in "_-":
        return True
    now = unicodedata.category(char)
    return now[0] in "LN" and unicodedata.ucd_3_2_0.category(char) == now


def name_characters() -> st.SearchStrategy[str]:
    """Characters of valid app and trigger names on which every server agrees."""
    return st.characters(categories=["L", "N"], include_characters="_-").filter(stable_letter)


def unicode_name_suffixes() -> st.SearchStrategy[str]:
    """Valid app and trigger name parts: Unicode letters and numbers, ``_`` and ``-``."""
    generated = st.text(name_characters(), min_size=1, max_size=MAX_SUFFIX)
    return st.one_of(st.sampled_from(UNICODE_EDGE_SUFFIXES), generated)


def fn_name_suffixes() -> st.SearchStrategy[str]:
    """Valid fn name parts: ASCII letters, digits and ``$ & + - . : = @ _ ~``."""
    generated = st.text(st.sampled_from(FN_NAME_CHARACTERS), min_size=1, max_size=MAX_SUFFIX)
    return st.one_of(st.sampled_from(FN_EDGE_SUFFIXES), generated)


@st.composite
def suffix_sets(
    draw: st.DrawFn,
    suffixes: st.SearchStrategy[str],
    *,
    min_size: int = 1,
    max_size: int = 12,
) -> frozenset[str]:
    """Distinct suffixes; some are extended by others (``ab`` next to ``ab-`` and ``ab_``)."""
    assert 1 <= min_size <= max_size
    found: set[str] = set(draw(st.sets(suffixes, min_size=min_size, max_size=max_size)))
    extensions = draw(st.lists(st.sampled_from(("-", "_", "a", "A", "0", "z")), max_size=3))
    for base, extra in zip(sorted(found), extensions, strict=False):
        if len(found) >= max_size:
            break
        if len(base) < MAX_SUFFIX:
            found.add(base + extra)
    return frozenset(found)


def config_keys() -> st.SearchStrategy[str]:
    """Environment-variable-like keys."""
    return st.from_regex(r"[A-Za-z_][A-Za-z0-9_]{0,15}", fullmatch=True)


def config_values() -> st.SearchStrategy[str]:
    """Non-empty values (an empty value means "remove" on update)."""
    return st.text(
        st.characters(categories=["L", "N", "P", "S"], include_characters=" "),
        min_size=1,
        max_size=MAX_SUFFIX,
    )


def config_maps(*, max_size: int = MAX_KEYS) -> st.SearchStrategy[dict[str, str]]:
    """Config maps as stored: non-empty string values."""
    return st.dictionaries(config_keys(), config_values(), max_size=max_size)


def config_patches(current: dict[str, str]) -> st.SearchStrategy[dict[str, str]]:
    """A PUT config patch for ``current``: new or changed keys, and existing keys set to ``""``
    (which removes them)."""
    keys = sorted(current)
    removals = st.lists(st.sampled_from(keys), unique=True, max_size=2) if keys else st.just([])
    return st.builds(
        lambda removed, added: {**dict.fromkeys(removed, ""), **added},
        removals,
        config_maps(max_size=2),
    )


def annotation_keys() -> st.SearchStrategy[str]:
    """Printable ASCII without space, 1..128 bytes, outside the server's own key space."""
    return st.text(
        st.characters(min_codepoint=0x21, max_codepoint=0x7E),
        min_size=1,
        max_size=MAX_ANNOTATION_KEY_BYTES,
    ).filter(lambda key: not key.startswith(RESERVED_ANNOTATION_PREFIX))


def _json_leaves() -> st.SearchStrategy[Any]:
    return st.one_of(
        st.booleans(),
        st.integers(min_value=-(2**53), max_value=2**53),
        st.text(max_size=10),
    )


def _compact_size(value: Any) -> int:
    return len(json.dumps(value, separators=(",", ":"), ensure_ascii=False).encode("utf-8"))


def annotation_values() -> st.SearchStrategy[Any]:
    """Small non-empty JSON values: no top-level ``""`` or ``null``, at most 512 bytes."""
    nested = st.recursive(
        _json_leaves(),
        lambda inner: st.one_of(
            st.lists(inner, max_size=3), st.dictionaries(st.text(max_size=8), inner, max_size=3)
        ),
        max_leaves=5,
    )
    return nested.filter(
        lambda value: value != "" and _compact_size(value) <= MAX_ANNOTATION_VALUE_BYTES
    )


def annotation_maps(*, max_size: int = MAX_KEYS) -> st.SearchStrategy[dict[str, Any]]:
    """Valid annotation maps."""
    return st.dictionaries(annotation_keys(), annotation_values(), max_size=max_size)


__all__ = [
    "FN_EDGE_SUFFIXES",
    "FN_NAME_CHARACTERS",
    "MAX_KEYS",
    "MAX_SUFFIX",
    "UNICODE_EDGE_SUFFIXES",
    "annotation_keys",
    "annotation_maps",
    "annotation_values",
    "config_keys",
    "config_maps",
    "config_patches",
    "config_values",
    "fn_name_suffixes",
    "name_characters",
    "stable_letter",
    "suffix_sets",
    "unicode_name_suffixes",
]
