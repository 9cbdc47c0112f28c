"""An administrator enrols in two-factor sign-in and then signs in with a code, in Chromium."""
import pytest

from tests.conftest import PASSWORD
from tests.web.test_two_factor import app, clock  # noqa: F401  (fixtures: roles that require 2FA, pinned time)

pytestmark = pytest.mark.browser


def sign_in_with_password(page, live_server, email):
    page.goto(live_server + "/login")
    page.get_by_label("Email").fill(email)
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Sign in").click()
    page.wait_for_url(live_server + "/login/second-factor")


def test_administrator_enrols_then_signs_in_with_a_code(live_server, page, make_user, clock):  # noqa: F811
    admin = make_user("administrator", email="admin-2fa@example.org", full_name="Ada Okafor")

    sign_in_with_password(page, live_server, admin.email)
    assert page.get_by_role("heading", level=1).inner_text() == "Set up two-factor sign-in"
    assert page.get_by_role("img", name="QR code that adds Academy to your authenticator app").is_visible()
    secret = page.locator("#totp-secret").inner_text().replace(" ", "")
    page.get_by_label("Six-digit code from your authenticator app").fill(clock.code(secret))
    page.get_by_role("button", name="Turn on two-factor sign-in").click()

    assert page.get_by_role("heading", level=1).inner_text() == "Save your recovery codes"
    assert page.locator("main ol code").count() == 10
    page.get_by_role("button", name="I have saved them: continue").click()
    page.wait_for_url(live_server + "/")
    assert page.get_by_role("heading", level=1).inner_text() == "Welcome, Ada Okafor"

    page.get_by_role("button", name="Sign out").click()
    clock.advance()
    sign_in_with_password(page, live_server, admin.email)
    assert page.get_by_role("heading", level=1).inner_text() == "Enter your code"
    page.get_by_label("Six-digit code from your authenticator app, or a recovery code").fill(clock.code(secret))
    page.get_by_role("button", name="Verify").click()
    page.wait_for_url(live_server + "/")
    assert page.get_by_role("heading", level=1).inner_text() == "Welcome, Ada Okafor"
