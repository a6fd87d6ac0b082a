"""A new API key is shown once, on the page answering the admin's "Save": never in a cookie, a
message or the session, and never again."""

import hashlib
import re

import pytest
from django.contrib.sessions.models import Session
from django.test import Client

from channels_app.models import ApiToken
from tests.api.conftest import client_with_token

pytestmark = pytest.mark.django_db

ADD = "/admin/channels_app/apitoken/add/"
LIST = "/admin/channels_app/apitoken/"
KEY = re.compile(r"ytc_[A-Za-z0-9_-]{43}")


def signed_in_browser(user) -> Client:
    browser = Client(enforce_csrf_checks=True)
    browser.force_login(user)
    return browser


def add_token(browser: Client, name: str, **extra_fields):
    """Open the add form and post every field as a browser does, with the "Save" button."""
    page = browser.get(ADD).content.decode()
    hidden = dict(re.findall(r'<input type="hidden" name="([^"]+)" value="([^"]*)"', page))
    fields = {
        **hidden,  # the CSRF token and the form's one-time id
        "name": name,
        "expires_at_0": "",
        "expires_at_1": "",
        "_save": "Save",
        **extra_fields,
    }
    return browser.post(ADD, fields)


def stored_sessions() -> str:
    return "".join(str(session.get_decoded()) + session.session_data for session in Session.objects.all())


def test_the_new_key_is_on_the_answer_to_save_once(catalogue, alice):
    browser = signed_in_browser(alice)
    response = add_token(browser, "BI export")
    assert response.status_code == 200
    body = response.content.decode()
    [key] = KEY.findall(body)
    assert body.count(key) == 1
    token = ApiToken.objects.get(name="BI export")
    assert token.user == alice and token.key_hash == hashlib.sha256(key.encode()).hexdigest()
    assert client_with_token(key).get("/api/v1/videos/").status_code == 200
    assert "no-store" in response["Cache-Control"]


def test_the_new_key_is_in_no_cookie_no_message_and_no_session(catalogue, alice):
    browser = signed_in_browser(alice)
    response = add_token(browser, "BI export")
    [key] = KEY.findall(response.content.decode())
    assert all(key not in morsel.value for morsel in response.cookies.values())
    assert all(key not in morsel.value for morsel in browser.cookies.values())
    assert "messages" not in browser.cookies or not browser.cookies["messages"].value
    assert key not in stored_sessions() and key[12:] not in stored_sessions()


def test_later_pages_never_show_the_key_again(catalogue, alice):
    browser = signed_in_browser(alice)
    response = add_token(browser, "BI export")
    [key] = KEY.findall(response.content.decode())
    token = ApiToken.objects.get(name="BI export")
    for url in (ADD, LIST, f"{LIST}{token.pk}/change/", "/admin/"):
        page = browser.get(url)
        assert page.status_code == 200, url
        assert key not in page.content.decode() and key[12:] not in page.content.decode(), url


def test_save_and_continue_also_shows_the_key_instead_of_a_message(catalogue, alice):
    browser = signed_in_browser(alice)
    response = add_token(browser, "BI export", _continue="Save and continue editing")
    assert response.status_code == 200 and len(KEY.findall(response.content.decode())) == 1
    assert all(KEY.search(morsel.value) is None for morsel in browser.cookies.values())


def test_a_staff_user_cannot_make_a_token_for_someone_else(catalogue, alice, bob):
    # A user field added to the form by hand is ignored: the token and its key are bob's.
    browser = signed_in_browser(bob)
    response = add_token(browser, "bob's script", user=str(alice.pk))
    [key] = KEY.findall(response.content.decode())
    token = ApiToken.objects.get(name="bob's script")
    assert token.user == bob and token.key_hash == hashlib.sha256(key.encode()).hexdigest()
    assert not ApiToken.objects.filter(user=alice).exists()


def test_posting_the_saved_form_again_makes_no_second_token(catalogue, alice):
    # What a reload of the key page (or Back and Save) does: the same form, posted once more.
    browser = signed_in_browser(alice)
    page = browser.get(ADD).content.decode()
    fields = dict(re.findall(r'<input type="hidden" name="([^"]+)" value="([^"]*)"', page))
    fields.update({"name": "BI export", "expires_at_0": "", "expires_at_1": "", "_save": "Save"})
    first = browser.post(ADD, fields)
    [key] = KEY.findall(first.content.decode())

    again = browser.post(ADD, fields)

    body = again.content.decode()
    assert again.status_code == 200 and "already saved" in body
    assert KEY.search(body) is None
    assert ApiToken.objects.filter(user=alice).count() == 1
    assert ApiToken.objects.get().key_hash == hashlib.sha256(key.encode()).hexdigest()
    # A fresh add form still makes a new token.
    assert len(KEY.findall(add_token(browser, "Second").content.decode())) == 1
    assert ApiToken.objects.filter(user=alice).count() == 2


def test_another_users_token_page_answers_as_a_missing_one_does(catalogue, alice, bob):
    browser = signed_in_browser(bob)
    add_token(browser, "bob's script")
    bobs = ApiToken.objects.get(name="bob's script")
    alices_browser = signed_in_browser(alice)
    assert alices_browser.get(f"{LIST}{bobs.pk}/change/").status_code == 404
    assert alices_browser.get(f"{LIST}999999/change/").status_code == 404
