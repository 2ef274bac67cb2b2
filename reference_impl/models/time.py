"""Timestamps: RFC 3339 in UTC with exactly three fractional digits."""

from __future__ import annotations

from datetime import UTC, datetime


def utc_now() -> str:
    now = datetime.now(UTC)
    return now.strftime("%Y-%m-%dT%H:%M:%S.") + f"{now.microsecond // 1000:03d}Z"
