"""The quota ledger: per project, API and Pacific day; charged atomically; shown in the admin."""

import threading
from datetime import UTC, datetime

import pytest
from django.db import connection, connections
from django.urls import reverse

from syncs.models import QuotaLedger
from syncs.selectors import quota_today
from syncs.services.quota import quota_charge, quota_mark_exhausted, quota_refund, quota_settle
from syncs.youtube.errors import QuotaExhausted
from syncs.youtube.quota_clock import pacific_day


@pytest.fixture
def budget(settings):
    settings.YOUTUBE_DAILY_QUOTA, settings.YOUTUBE_QUOTA_RESERVE = 100, 10


@pytest.mark.django_db
def test_charges_add_up_until_budget_minus_reserve(budget):
    for _ in range(90):
        quota_charge(project="p", api="youtube", units=1)

    with pytest.raises(QuotaExhausted) as excinfo:
        quota_charge(project="p", api="youtube", units=1)

    assert "90 of 90 units spent (budget 100 minus reserve 10)" in excinfo.value.message
    assert QuotaLedger.objects.get().units_used == 90


@pytest.mark.django_db
def test_a_call_that_does_not_fit_is_refused_whole(budget):
    quota_charge(project="p", api="youtube", units=50)

    with pytest.raises(QuotaExhausted):
        quota_charge(project="p", api="youtube", units=50)

    quota_charge(project="p", api="youtube", units=40)
    assert QuotaLedger.objects.get().units_used == 90


@pytest.mark.django_db
def test_projects_and_apis_have_separate_ledgers(budget):
    quota_charge(project="p", api="youtube", units=90)

    quota_charge(project="q", api="youtube", units=1)
    quota_charge(project="p", api="youtubePartner", units=1)

    assert QuotaLedger.objects.count() == 3


@pytest.mark.django_db
def test_the_day_is_the_pacific_date(budget):
    # 06:59 UTC on 1 March is still 28 February in Los Angeles (PST, UTC-8).
    quota_charge(project="p", api="youtube", units=1, now=datetime(2026, 3, 1, 6, 59, tzinfo=UTC))
    quota_charge(project="p", api="youtube", units=1, now=datetime(2026, 3, 1, 8, 1, tzinfo=UTC))

    assert sorted(str(day) for day in QuotaLedger.objects.values_list("day", flat=True)) == [
        "2026-02-28",
        "2026-03-01",
    ]


@pytest.mark.django_db
def test_refund_and_exhaustion(budget):
    quota_charge(project="p", api="youtube", units=5)
    quota_refund(project="p", api="youtube", units=5)
    assert QuotaLedger.objects.get().units_used == 0

    quota_mark_exhausted(project="p", api="youtube")

    with pytest.raises(QuotaExhausted, match="Google answered quotaExceeded"):
        quota_charge(project="p", api="youtube", units=1)


@pytest.mark.django_db
def test_settling_corrects_the_day_the_units_were_booked_on(budget):
    # Booked at 23:59 on 28 February in Los Angeles; Google's 503 came back after midnight.
    booked_at, answered_at = (
        datetime(2026, 3, 1, 7, 59, tzinfo=UTC),
        datetime(2026, 3, 1, 8, 0, 5, tzinfo=UTC),
    )
    reservation = quota_charge(project="p", api="youtube", units=50, now=booked_at)
    quota_charge(project="p", api="youtube", units=1, now=answered_at)

    quota_settle(reservation=reservation, units=1, now=answered_at)

    assert {str(row.day): row.units_used for row in QuotaLedger.objects.all()} == {
        "2026-02-28": 1,
        "2026-03-01": 1,
    }


@pytest.mark.django_db
def test_settling_leaves_a_day_google_declared_spent_whole(budget):
    reservation = quota_charge(project="p", api="youtube", units=50)
    quota_mark_exhausted(project="p", api="youtube")

    quota_settle(reservation=reservation, units=1)

    row = QuotaLedger.objects.get()
    assert (row.units_used, row.remaining) == (100, 0)


@pytest.mark.django_db
def test_quota_today_lists_todays_use(budget):
    quota_charge(project="p", api="youtube", units=30)
    QuotaLedger.objects.create(project="old", api="youtube", day="2020-01-01", budget=1, units_used=1)

    (today,) = quota_today()

    assert (today.project, today.units_used, today.remaining, today.exhausted) == ("p", 30, 60, False)
    assert today.day == pacific_day()
    assert today.resets_at > datetime.now(UTC)


@pytest.mark.django_db
def test_staff_see_todays_use_in_the_admin(budget, alice, client):
    quota_charge(project="ytcms-project", api="youtube", units=30)
    client.force_login(alice)

    page = client.get(reverse("admin:syncs_quotaledger_changelist")).content.decode()

    assert "ytcms-project" in page and "90 (100 − 10)" in page and "today" in page
    assert f"Today is {pacific_day()} in Pacific time" in page


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True, serialized_rollback=True)
def test_concurrent_charges_never_spend_past_the_budget(settings):
    if connection.vendor != "postgresql":
        pytest.skip("needs PostgreSQL (DATABASE_URL): SQLite runs one writer at a time anyway")
    settings.YOUTUBE_DAILY_QUOTA, settings.YOUTUBE_QUOTA_RESERVE = 200, 0
    booked, refused = [], []
    start = threading.Barrier(8)

    def spend():
        try:
            start.wait()
            for _ in range(40):
                try:
                    quota_charge(project="race", api="youtube", units=1)
                    booked.append(1)
                except QuotaExhausted:
                    refused.append(1)
        finally:
            connections.close_all()

    threads = [threading.Thread(target=spend) for _ in range(8)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()

    assert len(booked) == 200 and len(refused) == 8 * 40 - 200
    assert QuotaLedger.objects.get(project="race").units_used == 200
