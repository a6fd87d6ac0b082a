"""Sign-in lockout: every spelling Django signs in as one user counts as that user; one address
trying many usernames is locked out on its own count."""

import re

import pytest
from django.test import Client

pytestmark = pytest.mark.django_db

# Each signs in as "alice": AuthenticationForm NFKC-normalises the username before authenticating.
SIGN_IN_AS_ALICE = [
    "\uff41lice",  # ａlice: FULLWIDTH LATIN SMALL LETTER A
    "\u00aalice",  # ªlice: FEMININE ORDINAL INDICATOR
    "\U0001d41alice",  # 𝐚lice: MATHEMATICAL BOLD SMALL A
]
# ... and the throttle also counts spellings differing only in case as one account.
VARIANTS = [*SIGN_IN_AS_ALICE, "ALICE"]
ATTACKER = "203.0.113.7"
ELSEWHERE = "198.51.100.9"


def sign_in(username: str, password: str, *, address: str = ATTACKER):
    """Open the sign-in page and post its form as a browser does (CSRF token included)."""
    browser = Client(enforce_csrf_checks=True, REMOTE_ADDR=address)
    page = browser.get("/admin/login/?next=/admin/").content.decode()
    token = re.search(r'name="csrfmiddlewaretoken" value="([^"]+)"', page).group(1)
    response = browser.post(
        "/admin/login/?next=/admin/",
        {"csrfmiddlewaretoken": token, "username": username, "password": password, "next": "/admin/"},
    )
    response.signed_in_as = browser.session.get("_auth_user_id")
    return response


@pytest.mark.parametrize("variant", SIGN_IN_AS_ALICE)
def test_the_variant_signs_in_as_alice(alice, variant):
    response = sign_in(variant, "pw")
    assert response.status_code == 302 and response.signed_in_as == str(alice.pk)


@pytest.mark.parametrize("variant", VARIANTS)
def test_failures_under_alice_lock_out_the_variant(alice, variant, settings):
    settings.LOGIN_FAILURE_LIMIT = 3
    for _ in range(3):
        assert sign_in("alice", "wrong").status_code == 200
    response = sign_in(variant, "pw")
    assert response.status_code == 429 and response.signed_in_as is None
    assert b"Too many failed sign-in attempts for this account" in response.content


@pytest.mark.parametrize("variant", VARIANTS)
def test_failures_under_the_variant_lock_out_alice(alice, variant, settings):
    settings.LOGIN_FAILURE_LIMIT = 3
    for _ in range(3):
        assert sign_in(variant, "wrong").status_code == 200
    response = sign_in("alice", "pw")
    assert response.status_code == 429 and response.signed_in_as is None


def test_failures_under_different_variants_add_up(alice, settings):
    settings.LOGIN_FAILURE_LIMIT = len(VARIANTS)
    for variant in VARIANTS:
        assert sign_in(variant, "wrong").status_code == 200
    assert sign_in(SIGN_IN_AS_ALICE[0], "pw").status_code == 429
    # The lockout is the pair (alice, this address): alice elsewhere signs in.
    assert sign_in("alice", "pw", address=ELSEWHERE).status_code == 302


def test_many_usernames_from_one_address_lock_the_address(alice, charlie, settings):
    settings.LOGIN_FAILURE_LIMIT = 100
    settings.LOGIN_FAILURE_LIMIT_PER_ADDRESS = 5
    for number in range(5):
        assert sign_in(f"someone-{number}", "guess").status_code == 200
    response = sign_in("alice", "pw")
    assert response.status_code == 429 and response.signed_in_as is None
    assert b"Too many failed sign-in attempts from your address" in response.content
    assert sign_in("charlie", "pw").status_code == 429
    # Other addresses are not affected.
    assert sign_in("charlie", "pw", address=ELSEWHERE).status_code == 302


def test_one_failure_fewer_than_the_address_limit_still_signs_in(alice, settings):
    settings.LOGIN_FAILURE_LIMIT_PER_ADDRESS = 5
    for number in range(4):
        sign_in(f"someone-{number}", "guess")
    assert sign_in("alice", "pw").signed_in_as == str(alice.pk)


def test_signing_into_an_own_account_does_not_reset_the_address_count(alice, bob, settings):
    settings.LOGIN_FAILURE_LIMIT_PER_ADDRESS = 5
    for number in range(4):
        sign_in(f"someone-{number}", "guess")
    # bob's own sign-in between guesses clears bob's count, not the address's.
    assert sign_in("bob", "pw").status_code == 302
    sign_in("someone-4", "guess")
    assert sign_in("alice", "pw").status_code == 429
