"""Smoke test: a person signs in through the real page in Chromium."""
import pytest

from tests.conftest import PASSWORD

pytestmark = pytest.mark.browser


def test_sign_in_through_the_page(live_server, page, make_user):
    user = make_user(email="browser@example.org", full_name="Zoë O'Brien-Åberg")
    page.goto(live_server + "/")
    assert page.url.startswith(live_server + "/login")
    page.get_by_label("Email").fill(user.email)
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Sign in").click()
    page.wait_for_url(live_server + "/")
    assert page.get_by_role("heading", level=1).inner_text() == "Welcome, Zoë O'Brien-Åberg"


def test_wrong_password_shows_a_message(live_server, page, make_user):
    user = make_user(email="browser2@example.org")
    page.goto(live_server + "/login")
    page.get_by_label("Email").fill(user.email)
    page.get_by_label("Password").fill("not the password at all")
    page.get_by_role("button", name="Sign in").click()
    assert "do not match an active account" in page.get_by_role("alert").inner_text()
