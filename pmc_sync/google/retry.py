"""When to retry a Google API call, and how long to wait.

Two small pieces, kept apart so that each is tested on its own: a pure
predicate over (status, reason) and a capped, jittered exponential backoff
that honours ``Retry-After``. A client-side limiter keeps the Sheets calls
under the per-user per-minute quota, so the backoff is rarely needed.
"""

from __future__ import annotations

import email.utils
import logging
import random
import time
from collections import deque
from collections.abc import Callable
from dataclasses import dataclass, field
from http import HTTPStatus

log = logging.getLogger(__name__)

RETRYABLE_STATUSES = frozenset(
    {
        HTTPStatus.TOO_MANY_REQUESTS,
        HTTPStatus.INTERNAL_SERVER_ERROR,
        HTTPStatus.BAD_GATEWAY,
        HTTPStatus.SERVICE_UNAVAILABLE,
        HTTPStatus.GATEWAY_TIMEOUT,
    }
)
# Google signals quota with a 403 too; only these reasons are worth a retry.
RATE_LIMIT_REASONS = frozenset(
    {"rateLimitExceeded", "userRateLimitExceeded", "RATE_LIMIT_EXCEEDED"}
)
# A daily limit does not lift within a run: never retried.
DAILY_LIMIT_REASONS = frozenset({"dailyLimitExceeded", "quotaExceeded"})
MAIL_SENDING_MARK = "Mail sending"


def is_retryable(status: int, reason: str) -> bool:
    """Whether a failed call may succeed if sent again, unchanged.

    >>> is_retryable(429, ""), is_retryable(403, "userRateLimitExceeded")
    (True, True)
    >>> is_retryable(403, "forbidden"), is_retryable(404, "")
    (False, False)
    """
    if status == HTTPStatus.FORBIDDEN:
        return reason in RATE_LIMIT_REASONS
    return status in RETRYABLE_STATUSES


def is_daily_limit(status: int, reason: str, message: str) -> bool:
    """Whether the error is a daily limit (Gmail's sending limit included).

    Gmail answers a mailbox over its daily sending limit with a 429 whose
    message says "(Mail sending)"; a project over its daily quota gets a 403
    ``dailyLimitExceeded``.
    """
    if reason in DAILY_LIMIT_REASONS:
        return True
    return status == HTTPStatus.TOO_MANY_REQUESTS and MAIL_SENDING_MARK in message


def retry_after_seconds(value: str | None, now: float | None = None) -> float | None:
    """``Retry-After`` as seconds: either a number or an HTTP date."""
    if not value:
        return None
    value = value.strip()
    try:
        return max(0.0, float(value))
    except ValueError:
        pass
    try:
        when = email.utils.parsedate_to_datetime(value)
    except (TypeError, ValueError):
        return None
    return max(0.0, when.timestamp() - (time.time() if now is None else now))


@dataclass
class Backoff:
    """Capped, jittered exponential delays: base * 2**attempt, up to ``cap``.

    The jitter is "full jitter": a delay is drawn between half and all of the
    exponential step, so many workers retrying at once spread out. A server's
    ``Retry-After`` wins when it asks for longer, but never beyond ``cap``.
    """

    base: float = 1.0
    cap: float = 32.0
    attempts: int = 5
    rand: Callable[[], float] = random.random

    def delay(self, attempt: int, retry_after: float | None = None) -> float:
        step = min(self.cap, self.base * 2**attempt)
        wait = step * (0.5 + self.rand() / 2)
        if retry_after is not None:
            wait = max(wait, retry_after)
        return min(self.cap, wait)


@dataclass
class RateLimiter:
    """At most ``per_minute`` calls in any 60 seconds (a sliding window)."""

    per_minute: int
    clock: Callable[[], float] = time.monotonic
    sleep: Callable[[float], None] = time.sleep
    _calls: deque[float] = field(default_factory=deque)

    def acquire(self) -> None:
        if self.per_minute <= 0:
            return
        now = self.clock()
        while self._calls and now - self._calls[0] >= 60:
            self._calls.popleft()
        if len(self._calls) >= self.per_minute:
            wait = 60 - (now - self._calls[0])
            log.info("Sheets quota: waiting %.1fs before the next call", wait)
            self.sleep(wait)
            self._calls.popleft()
            now = self.clock()
        self._calls.append(now)
