"""The one door to Google, over HTTP against the emulator: errors, retries, refresh, quota, records."""

from datetime import UTC, datetime, time, timedelta
from zoneinfo import ZoneInfo

import pytest

from syncs.models import ApiCall, QuotaLedger, YouTubeCredential
from syncs.youtube import gateway
from syncs.youtube.errors import NeedsReauthorisation, PermanentError, QuotaExhausted, RetryableError
from syncs.youtube.gateway import YouTubeSession
from syncs.youtube.quota_clock import pacific_day

from .conftest import CHANNEL_A1, CLIENT_ID, PROJECT, REFRESH_TOKEN_A, api_requests

pytestmark = pytest.mark.django_db


def _list_video(session, video_id="a1song00001"):
    return session.execute(
        session.youtube.videos().list(part="snippet,status", id=video_id, **session.owner_params())
    )


@pytest.fixture
def session(emulator, owner_a, connect):
    connect(owner_a)
    return YouTubeSession.for_owner(owner_a)


def _ledger(project=CLIENT_ID, api="youtube") -> QuotaLedger:
    return QuotaLedger.objects.get(project=project, api=api, day=pacific_day())


# ---------------------------------------------------------------------- fidelity through our client


def test_naive_snippet_update_through_our_client_wipes_tags(emulator, session):
    # Why a push must read, merge and send the whole part: YouTube replaces every field of it.
    session.execute(
        session.youtube.videos().update(
            part="snippet",
            body={"id": "a1song00001", "snippet": {"title": "New title", "categoryId": "10"}},
            **session.owner_params(),
        )
    )

    snippet = emulator.state.video("a1song00001")["snippet"]
    assert snippet["title"] == "New title"
    assert "tags" not in snippet
    assert snippet["description"] == ""
    assert _ledger().units_used == 50  # the token refresh is free; videos.update costs 50


def test_a_call_sends_on_behalf_of_the_owner_and_records_it(emulator, session):
    answer = _list_video(session)

    assert answer["items"][0]["snippet"]["title"] == "Midnight Song"
    (request,) = api_requests(emulator, "youtube.videos.list")
    assert request["params"]["onBehalfOfContentOwner"] == "owner-a"
    call = ApiCall.objects.get()
    assert (call.method, call.content_owner_id, call.outcome, call.quota_units, call.retries) == (
        "youtube.videos.list",
        "owner-a",
        ApiCall.Outcome.OK,
        1,
        0,
    )
    assert call.http_status == 200


# ---------------------------------------------------------------------- error reasons → typed errors


@pytest.mark.parametrize(
    ("fault", "error_type", "reason"),
    [
        (
            {
                "status": 400,
                "reason": "invalidTitle",
                "message": "The request metadata specifies an invalid or empty video title.",
            },
            PermanentError,
            "invalidTitle",
        ),
        ({"status": 400, "reason": "invalidTags"}, PermanentError, "invalidTags"),
        ({"status": 400, "reason": "invalidCategoryId"}, PermanentError, "invalidCategoryId"),
        ({"status": 400, "reason": "defaultLanguageNotSet"}, PermanentError, "defaultLanguageNotSet"),
        ({"status": 403, "reason": "forbidden"}, PermanentError, "forbidden"),
        ({"status": 403, "reason": "insufficientPermissions"}, PermanentError, "insufficientPermissions"),
        ({"status": 404, "reason": "videoNotFound"}, PermanentError, "videoNotFound"),
    ],
)
def test_permanent_reasons_fail_at_once_with_youtubes_reason_and_message(
    emulator, session, sleeps, fault, error_type, reason
):
    emulator.state.fail_next(fault)

    with pytest.raises(error_type) as excinfo:
        _list_video(session)

    assert excinfo.value.reason == reason
    assert excinfo.value.status == fault["status"]
    if "message" in fault:
        assert fault["message"] in excinfo.value.message
    assert len(api_requests(emulator)) == 1
    assert sleeps == []
    call = ApiCall.objects.get()
    assert (call.outcome, call.reason, call.http_status) == (
        ApiCall.Outcome.PERMANENT,
        reason,
        fault["status"],
    )


def test_a_403_rate_limit_is_retried_not_failed(emulator, session, sleeps):
    emulator.state.fail_next({"status": 403, "reason": "rateLimitExceeded"}, count=2)

    _list_video(session)

    assert [r["status"] for r in api_requests(emulator)] == [403, 403, 200]
    assert len(sleeps) == 2
    assert ApiCall.objects.get().retries == 2


@pytest.mark.parametrize("fault", [503, 429, 500, "userRateLimitExceeded"])
def test_retries_are_bounded_then_retryable(emulator, session, settings, sleeps, fault):
    settings.YOUTUBE_MAX_RETRIES = 3
    emulator.state.fail_next(fault, count=10)

    with pytest.raises(RetryableError):
        _list_video(session)

    assert len(api_requests(emulator)) == 4  # the first try and 3 retries
    assert len(sleeps) == 3
    assert all(wait >= 0 for wait in sleeps)
    call = ApiCall.objects.get()
    assert (call.outcome, call.retries, call.quota_units) == (ApiCall.Outcome.RETRYABLE, 3, 4)
    assert _ledger().units_used == 4  # every attempt is a request, and every request costs


def test_backoff_grows_exponentially_within_its_cap(emulator, session, settings, sleeps, monkeypatch):
    monkeypatch.setattr("syncs.youtube.gateway.random.uniform", lambda low, high: high)
    settings.YOUTUBE_MAX_RETRIES = 4
    emulator.state.fail_next(503, count=4)

    _list_video(session)

    assert sleeps == [1.0, 2.0, 4.0, 8.0]


# ---------------------------------------------------------------------- tokens


def test_expired_token_is_refreshed_persisted_and_the_refresh_token_kept(emulator, session, owner_a):
    _list_video(session)
    first = YouTubeCredential.objects.get(owner=owner_a)
    # Pretend the stored access token ran out: google-auth refreshes before sending.
    YouTubeCredential.objects.filter(pk=first.pk).update(
        access_token_expiry=datetime.now(UTC) - timedelta(minutes=1)
    )

    _list_video(YouTubeSession.for_owner(owner_a))

    second = YouTubeCredential.objects.get(owner=owner_a)
    assert second.access_token and second.access_token != first.access_token
    assert second.access_token_expiry > datetime.now(UTC) + timedelta(minutes=50)
    assert second.refresh_token == REFRESH_TOKEN_A  # the answer had none; ours is kept
    assert [r["operation"] for r in emulator.state.requests()] == [
        "oauth.token",
        "youtube.videos.list",
        "oauth.token",
        "youtube.videos.list",
    ]


def test_short_token_lifetime_refreshes_every_call_and_keeps_the_refresh_token(emulator, session, owner_a):
    emulator.state.configure(accessTokenLifetime=60)  # inside google-auth's refresh margin

    for _ in range(3):
        _list_video(YouTubeSession.for_owner(owner_a))

    assert len(emulator.state.requests(operation="oauth.token")) == 3
    assert YouTubeCredential.objects.get(owner=owner_a).refresh_token == REFRESH_TOKEN_A


def test_a_401_refreshes_once_and_retries_once(emulator, session, owner_a):
    _list_video(session)
    old_token = YouTubeCredential.objects.get(owner=owner_a).access_token
    emulator.state.expire_access_tokens()  # Google's side expired; ours still looks valid

    _list_video(YouTubeSession.for_owner(owner_a))

    assert [(r["operation"], r["status"]) for r in emulator.state.requests()][2:] == [
        ("youtube.videos.list", 401),
        ("oauth.token", 200),
        ("youtube.videos.list", 200),
    ]
    credential = YouTubeCredential.objects.get(owner=owner_a)
    assert credential.access_token != old_token
    assert credential.refresh_token == REFRESH_TOKEN_A
    assert ApiCall.objects.order_by("created_at").last().retries == 1


def test_a_second_401_after_the_refresh_is_permanent(emulator, session):
    emulator.state.fail_next("authError", count=2)

    with pytest.raises(PermanentError) as excinfo:
        _list_video(session)

    assert excinfo.value.status == 401
    assert len(api_requests(emulator)) == 2


def test_invalid_grant_marks_the_owner_for_reauthorisation_and_stops_calling(emulator, session, owner_a):
    emulator.state.revoke_refresh_token(REFRESH_TOKEN_A)

    with pytest.raises(NeedsReauthorisation):
        _list_video(session)

    credential = YouTubeCredential.objects.get(owner=owner_a)
    assert credential.status == YouTubeCredential.Status.NEEDS_REAUTHORISATION
    assert credential.last_error.startswith("Reconnect this content owner: Google says the authorisation")
    assert ApiCall.objects.get().outcome == ApiCall.Outcome.NEEDS_REAUTHORISATION
    assert _ledger().units_used == 0  # the request never left: its unit is given back

    with pytest.raises(NeedsReauthorisation):
        _list_video(session)
    with pytest.raises(NeedsReauthorisation):
        YouTubeSession.for_owner(owner_a)

    assert len(emulator.state.requests(operation="oauth.token")) == 1
    assert api_requests(emulator) == []


# ---------------------------------------------------------------------- quota


def test_the_ledger_is_charged_before_the_request_is_sent(emulator, session, monkeypatch):
    events = []
    charge, handle = gateway.quota_charge, emulator.app.handle

    def charging(**kwargs):
        charge(**kwargs)
        events.append(("charged", kwargs["units"]))

    def handling(request):
        if request.path.startswith("/youtube/"):
            events.append(("sent", request.path))
        return handle(request)

    monkeypatch.setattr(gateway, "quota_charge", charging)
    monkeypatch.setattr(emulator.app, "handle", handling)

    _list_video(session)

    assert events == [("charged", 1), ("sent", "/youtube/v3/videos")]
    assert _ledger().units_used == 1


def test_budget_exhaustion_stops_calls_before_they_reach_google(emulator, session, settings):
    settings.YOUTUBE_DAILY_QUOTA, settings.YOUTUBE_QUOTA_RESERVE = 105, 5  # 100 spendable
    session.execute(
        session.youtube.videos().update(
            part="snippet",
            body={"id": "a1song00001", "snippet": {"title": "x", "categoryId": "10"}},
            **session.owner_params(),
        )
    )
    session.execute(
        session.youtube.videos().update(
            part="snippet",
            body={"id": "a1song00001", "snippet": {"title": "y", "categoryId": "10"}},
            **session.owner_params(),
        )
    )  # 100 units: exactly the spendable budget

    with pytest.raises(QuotaExhausted) as excinfo:
        _list_video(session)

    assert len(api_requests(emulator)) == 2
    assert _ledger().units_used == 100
    assert excinfo.value.reset_at == _next_pacific_midnight()
    assert ApiCall.objects.filter(outcome=ApiCall.Outcome.QUOTA_EXHAUSTED).count() == 1


def test_googles_quota_exceeded_parks_until_pacific_midnight(emulator, session):
    emulator.state.set_faults(quota_exhausted=True)

    with pytest.raises(QuotaExhausted) as excinfo:
        _list_video(session)

    assert excinfo.value.reset_at == _next_pacific_midnight()
    assert excinfo.value.status == 403 and excinfo.value.reason == "quotaExceeded"
    ledger = _ledger()
    assert ledger.exhausted_at is not None and ledger.remaining == 0

    emulator.state.clear_faults()
    with pytest.raises(QuotaExhausted):
        _list_video(session)
    assert len(api_requests(emulator)) == 1  # nothing more went out today


def test_content_ids_daily_limit_answer_parks_without_retrying(emulator, session, sleeps):
    # Content ID answers an exhausted daily quota with a 429 naming "Queries per day": retrying it
    # would only spend the retries, so it parks until the reset like quotaExceeded.
    emulator.state.set_quota_limit(1, api="youtubePartner", project=PROJECT)
    session.execute(session.partner.policies().list(**session.owner_params()))

    with pytest.raises(QuotaExhausted) as excinfo:
        session.execute(session.partner.policies().list(**session.owner_params()))

    assert excinfo.value.status == 429 and excinfo.value.reset_at == _next_pacific_midnight()
    assert sleeps == []  # not retried
    assert _ledger(api="youtubePartner").exhausted_at is not None
    assert not QuotaLedger.objects.filter(
        api="youtube", exhausted_at__isnull=False
    ).exists()  # another budget


def test_a_new_pacific_day_has_a_fresh_budget(emulator, session, settings):
    settings.YOUTUBE_DAILY_QUOTA, settings.YOUTUBE_QUOTA_RESERVE = 1, 0
    _list_video(session)
    yesterday = _ledger()
    QuotaLedger.objects.filter(pk=yesterday.pk).update(day=yesterday.day - timedelta(days=1))

    _list_video(session)

    assert _ledger().units_used == 1


def _next_pacific_midnight() -> datetime:
    pacific = ZoneInfo("America/Los_Angeles")
    today = datetime.now(pacific).date()
    return datetime.combine(today + timedelta(days=1), time(0), tzinfo=pacific).astimezone(UTC)


# ---------------------------------------------------------------------- without an owner


def test_api_key_reads_public_data_only_without_on_behalf_of(emulator, settings, db):
    from .conftest import API_KEY

    settings.YOUTUBE_API_KEY = API_KEY
    session = YouTubeSession.public()

    answer = _list_video(session)

    assert answer["items"][0]["snippet"]["channelId"] == CHANNEL_A1
    (request,) = api_requests(emulator)
    assert "onBehalfOfContentOwner" not in request["params"]
    assert ApiCall.objects.get().content_owner is None


def test_api_calls_in_the_admin_are_scoped_to_the_users_owners(
    emulator, owner_a, owner_b, charlie, connect, client
):
    from django.urls import reverse

    from .conftest import REFRESH_TOKEN_B

    connect(owner_a)
    connect(owner_b, REFRESH_TOKEN_B)
    _list_video(YouTubeSession.for_owner(owner_a))
    _list_video(YouTubeSession.for_owner(owner_b), "b1secret001")
    client.force_login(charlie)

    page = client.get(reverse("admin:syncs_apicall_changelist")).content.decode()

    assert "Label B" in page and "Label A" not in page
