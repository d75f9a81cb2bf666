"""What is retried, how long to wait, and the Sheets limiter: pure, no sleeping."""

from __future__ import annotations

import pytest

from conftest import KIT
from gfake import google_error, kit_ports, served
from pmc_sync.google.retry import (
    Backoff,
    RateLimiter,
    is_daily_limit,
    is_retryable,
    retry_after_seconds,
)


@pytest.mark.parametrize(
    ("status", "reason", "retry"),
    [
        (429, "", True),
        (500, "backendError", True),
        (502, "", True),
        (503, "", True),
        (504, "", True),
        (403, "rateLimitExceeded", True),
        (403, "userRateLimitExceeded", True),
        (403, "RATE_LIMIT_EXCEEDED", True),
        (403, "forbidden", False),
        (403, "PERMISSION_DENIED", False),
        (403, "dailyLimitExceeded", False),
        (400, "badRequest", False),
        (401, "authError", False),
        (404, "notFound", False),
    ],
)
def test_is_retryable(status, reason, retry):
    assert is_retryable(status, reason) is retry


def test_is_daily_limit_knows_gmails_sending_limit():
    assert is_daily_limit(
        429, "rateLimitExceeded", "User-rate limit exceeded (Mail sending)"
    )
    assert is_daily_limit(403, "dailyLimitExceeded", "Daily Limit Exceeded")
    assert not is_daily_limit(429, "rateLimitExceeded", "Quota exceeded for 'Queries'")


def test_backoff_grows_is_jittered_and_capped():
    low = Backoff(base=1, cap=10, rand=lambda: 0.0)
    high = Backoff(base=1, cap=10, rand=lambda: 1.0)
    assert [low.delay(a) for a in range(5)] == [0.5, 1, 2, 4, 5]
    assert [high.delay(a) for a in range(5)] == [1, 2, 4, 8, 10]


def test_backoff_honours_retry_after_up_to_the_cap():
    backoff = Backoff(base=1, cap=30, rand=lambda: 0.0)
    assert backoff.delay(0, retry_after=7) == 7
    assert backoff.delay(0, retry_after=300) == 30


def test_retry_after_as_seconds_or_http_date():
    assert retry_after_seconds("12") == 12
    assert retry_after_seconds(None) is None
    assert retry_after_seconds("Thu, 01 Jan 2026 00:00:30 GMT", now=1767225600) == 30
    assert retry_after_seconds("soon") is None


def test_rate_limiter_waits_for_the_window():
    clock = [0.0]
    waits: list[float] = []

    def sleep(seconds: float) -> None:
        waits.append(seconds)
        clock[0] += seconds

    limiter = RateLimiter(per_minute=3, clock=lambda: clock[0], sleep=sleep)
    for _ in range(3):
        limiter.acquire()
        clock[0] += 1
    limiter.acquire()
    assert waits == [57.0]


def test_429_then_success_is_retried_after_retry_after(tmp_path, config):
    fake, ports, waits = kit_ports(tmp_path, config, KIT)
    fake.fail(
        "forms.get",
        429,
        google_error(
            429, "Quota exceeded for quota metric 'Read requests'", "rateLimitExceeded"
        ),
        headers={"Retry-After": "3"},
    )
    with served(fake):
        form = ports.forms.get_form("registration")

    assert form["formId"] == fake.forms[form["formId"]]["formId"]
    assert fake.count("forms.get") == 2
    assert len(waits) == 1 and waits[0] >= 3


def test_5xx_is_retried_until_the_attempts_run_out(tmp_path, config):
    from pmc_sync.google.errors import GoogleApiError

    fake, ports, waits = kit_ports(tmp_path, config, KIT, retry_attempts=3)
    fake.fail(
        "forms.get", 503, google_error(503, "The service is unavailable."), times=5
    )
    with served(fake), pytest.raises(GoogleApiError, match="503"):
        ports.forms.get_form("registration")

    assert fake.count("forms.get") == 3
    assert len(waits) == 2


def test_sheets_reads_are_rate_limited_on_the_client(tmp_path, config):
    fake, ports, waits = kit_ports(tmp_path, config, KIT, sheets_reads_per_minute=2)
    ids = [s for s in fake.spreadsheets if s.startswith("1") and len(s) == 44][:3]
    with served(fake):
        for sheet_id in ids:
            ports.sheets.read(sheet_id)

    assert len(waits) == 1 and 0 < waits[0] <= 60
