"""The emulator's clock: real time, shifted or frozen by tests.

Quota days, token expiry, authorization codes and report dates all read this clock, so a test can jump
past Pacific midnight or past a token's lifetime without waiting.
"""

from __future__ import annotations

import threading
from datetime import UTC, datetime, time, timedelta
from zoneinfo import ZoneInfo

# "Daily quotas reset at midnight Pacific Time." [doc determine_quota_cost]
PACIFIC = ZoneInfo("America/Los_Angeles")


def rfc3339(when: datetime, *, millis: bool = True) -> str:
    """Format as Google does: ``2012-06-20T22:45:24.000Z`` (or without the fraction)."""
    when = when.astimezone(UTC)
    if millis:
        return when.strftime("%Y-%m-%dT%H:%M:%S.") + f"{when.microsecond // 1000:03d}Z"
    return when.strftime("%Y-%m-%dT%H:%M:%SZ")


def parse_rfc3339(value: str) -> datetime:
    """Parse an RFC 3339 timestamp; raise ValueError when it is not one."""
    if not isinstance(value, str) or "T" not in value:
        raise ValueError(f"not an RFC 3339 timestamp: {value!r}")
    parsed = datetime.fromisoformat(value.replace("Z", "+00:00"))
    if parsed.tzinfo is None:
        raise ValueError(f"RFC 3339 timestamp without an offset: {value!r}")
    return parsed


class Clock:
    """Real UTC time plus an offset, or a frozen instant."""

    def __init__(self):
        self._lock = threading.Lock()
        self._offset = timedelta(0)
        self._frozen: datetime | None = None

    def now(self) -> datetime:
        with self._lock:
            if self._frozen is not None:
                return self._frozen
            return datetime.now(UTC) + self._offset

    def timestamp(self) -> float:
        return self.now().timestamp()

    def set(self, when: datetime, *, freeze: bool = False) -> None:
        """Make ``now()`` return ``when``; it keeps running from there unless ``freeze``."""
        if when.tzinfo is None:
            raise ValueError("the clock needs an aware datetime")
        with self._lock:
            if freeze:
                self._frozen = when.astimezone(UTC)
            else:
                self._frozen = None
                self._offset = when - datetime.now(UTC)

    def advance(self, seconds: float) -> None:
        with self._lock:
            if self._frozen is not None:
                self._frozen += timedelta(seconds=seconds)
            else:
                self._offset += timedelta(seconds=seconds)

    def reset(self) -> None:
        with self._lock:
            self._offset = timedelta(0)
            self._frozen = None

    @property
    def frozen(self) -> bool:
        return self._frozen is not None

    def pacific_day(self) -> str:
        """The quota day: the date in America/Los_Angeles."""
        return self.now().astimezone(PACIFIC).date().isoformat()

    def next_quota_reset(self) -> datetime:
        local = self.now().astimezone(PACIFIC)
        midnight = datetime.combine(local.date() + timedelta(days=1), time(0), tzinfo=PACIFIC)
        return midnight.astimezone(UTC)

    def describe(self) -> dict:
        return {
            "now": rfc3339(self.now()),
            "frozen": self.frozen,
            "pacificDate": self.pacific_day(),
            "nextQuotaReset": rfc3339(self.next_quota_reset()),
        }
