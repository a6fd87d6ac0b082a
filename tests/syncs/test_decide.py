"""errors.decide: Google's answer → what ytcms does, on errors[0].reason before the status code."""

import pytest

from syncs.youtube.costs import quota_units
from syncs.youtube.errors import Decision, decide, parse_error_body
from syncs.youtube.mapping import format_duration, parse_duration


@pytest.mark.parametrize(
    ("status", "reason", "decision"),
    [
        (403, "quotaExceeded", Decision.QUOTA),
        (403, "rateLimitExceeded", Decision.RETRY),
        (403, "userRateLimitExceeded", Decision.RETRY),
        (429, "rateLimitExceeded", Decision.RETRY),
        (429, "RESOURCE_EXHAUSTED", Decision.RETRY),
        (500, "internalError", Decision.RETRY),
        (503, "backendError", Decision.RETRY),
        (503, "", Decision.RETRY),
        (401, "authError", Decision.REFRESH),
        (401, "required", Decision.REFRESH),
        (400, "invalidTitle", Decision.FAIL),
        (400, "invalidDescription", Decision.FAIL),
        (400, "invalidTags", Decision.FAIL),
        (400, "invalidCategoryId", Decision.FAIL),
        (400, "defaultLanguageNotSet", Decision.FAIL),
        (403, "forbidden", Decision.FAIL),
        (403, "insufficientPermissions", Decision.FAIL),
        (403, "dailyLimitExceeded", Decision.FAIL),
        (404, "videoNotFound", Decision.FAIL),
    ],
)
def test_decide(status, reason, decision):
    assert decide(status=status, reason=reason) is decision


def test_a_429_naming_the_daily_limit_is_a_quota_answer_not_a_rate_limit():
    # How Content ID and Reporting answer an exhausted per-day quota (Google Cloud style).
    daily = (
        "Quota exceeded for quota metric 'Queries' and limit 'Queries per day' of service "
        "'youtubereporting.googleapis.com' for consumer 'project_number:1'."
    )
    per_minute = daily.replace("per day", "per minute")
    assert decide(status=429, reason="rateLimitExceeded", message=daily) is Decision.QUOTA
    assert (
        decide(status=429, reason="RESOURCE_EXHAUSTED", message="limit 'DefaultPerDayPerProject'")
        is Decision.QUOTA
    )
    assert decide(status=429, reason="rateLimitExceeded", message=per_minute) is Decision.RETRY
    assert (
        decide(status=403, reason="rateLimitExceeded", message=daily) is Decision.RETRY
    )  # the Data API's 403s


def test_the_same_403_status_means_three_different_things():
    assert {decide(status=403, reason=r) for r in ("quotaExceeded", "rateLimitExceeded", "forbidden")} == {
        Decision.QUOTA,
        Decision.RETRY,
        Decision.FAIL,
    }


def test_parse_error_body_reads_both_shapes():
    data_api = (
        b'{"error": {"code": 403, "message": "top", "errors": [{"reason": "quotaExceeded", "message": "q"}]}}'
    )
    one_platform = (
        b'{"error": {"code": 503, "message": "The service is unavailable.", "status": "UNAVAILABLE"}}'
    )

    assert parse_error_body(403, data_api).reason == "quotaExceeded"
    assert parse_error_body(503, one_platform).reason == "UNAVAILABLE"
    assert parse_error_body(503, one_platform).message == "The service is unavailable."
    assert parse_error_body(502, b"<html>Bad gateway</html>").reason == ""
    assert parse_error_body(429, b"{}", {"retry-after": "7"}).retry_after == 7.0


def test_quota_costs_come_from_the_table():
    assert quota_units("youtube.videos.list") == 1
    assert quota_units("youtube.videos.update") == 50
    assert quota_units("youtube.channels.list") == 1
    assert quota_units("youtubePartner.claims.insert") == 1
    assert quota_units("youtubereporting.jobs.list") == 1
    with pytest.raises(ValueError, match="No quota cost known for youtube.search.list"):
        quota_units("youtube.search.list")


@pytest.mark.parametrize(
    ("text", "seconds"),
    [
        ("PT15M51S", 951),
        ("PT1H", 3600),
        ("P1DT2H3M4S", 93784),
        ("PT0S", 0),
        ("P1W", 604800),
        ("", None),
        ("x", None),
    ],
)
def test_parse_duration(text, seconds):
    assert parse_duration(text) == seconds


def test_format_duration_round_trips():
    for seconds in (0, 59, 241, 3600, 3661):
        assert parse_duration(format_duration(seconds)) == seconds
