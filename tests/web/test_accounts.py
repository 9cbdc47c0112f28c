"""Registration, email confirmation, sign-in, passwords and sessions, through the real routes."""
import re

import pytest

from academy.extensions import db
from academy.models import AuditEvent, User
from tests.conftest import PASSWORD, csrf_from, outbox

GOOD = "a long enough passphrase for tests"


def register(web, email="new@example.org", password=GOOD, confirm=None, **extra):
    data = {"email": email, "full_name": "Łukasz Nguyễn", "credentials": "LCSW", "profession": "Social worker",
            "license_number": "", "license_state": "", "password": password,
            "confirm": password if confirm is None else confirm, **extra}
    return web.form_post("/register", data)


def link_in(message: str) -> str:
    return re.search(r"http://academy\.test(/\S+)", message).group(1)


def actions(user=None):
    query = db.select(AuditEvent.action).order_by(AuditEvent.id)
    if user is not None:
        query = query.where(AuditEvent.target_id == str(user.id))
    return db.session.scalars(query).all()


class TestRegistration:
    def test_creates_unconfirmed_clinician_and_emails_a_link(self, app, web):
        response = register(web, email="New@Example.org")
        assert response.status_code == 302
        user = db.session.scalar(db.select(User))
        assert (user.email, user.role, user.is_verified) == ("new@example.org", "clinician", False)
        assert user.password_hash.startswith("scrypt:") and GOOD not in user.password_hash
        [mail] = outbox(app)
        assert "To: new@example.org" in mail and "/confirm/" in mail
        assert "register" in actions(user)

    @pytest.mark.parametrize("password,message", [
        ("short pass", "at least 12 characters"),
        ("x" * 257, "at most 256 characters"),
        ("qwerty123456", "commonly used passwords"),
        ("1q2w3e4r5t6y", "commonly used passwords"),
    ])
    def test_password_rules(self, app, web, password, message):
        response = register(web, password=password)
        assert response.status_code == 200
        assert message in response.get_data(as_text=True)
        assert db.session.scalar(db.select(User)) is None

    def test_long_password_is_not_truncated(self, app, web, client):
        password = "ab" * 64  # 128 characters
        register(web, email="long@example.org", password=password)
        user = db.session.scalar(db.select(User))
        user.email_verified_at = user.created_at
        db.session.commit()
        assert web.login("long@example.org", password).status_code == 302
        web.logout()
        assert web.login("long@example.org", password[:-1]).status_code == 200

    def test_mismatched_confirmation(self, web):
        response = register(web, confirm=GOOD + "x")
        assert "The passwords do not match." in response.get_data(as_text=True)

    def test_invalid_email(self, web):
        response = register(web, email="not-an-address")
        assert response.status_code == 200
        assert "email address is not valid" in response.get_data(as_text=True) or \
            "Invalid email" in response.get_data(as_text=True)

    def test_duplicate_email_in_another_case_gives_the_same_answer(self, app, web, make_user):
        make_user(email="taken@example.org")
        first = register(web, email="TAKEN@example.org")
        second = register(web, email="free@example.org")
        assert first.status_code == second.status_code == 302
        assert db.session.scalar(db.select(db.func.count(User.id))) == 2
        messages = outbox(app)
        assert any("To: taken@example.org" in m and "already has one" in m for m in messages)

    def test_can_be_turned_off(self, make_app):
        app = make_app(ACADEMY_SELF_REGISTRATION=False)
        assert app.test_client().get("/register").status_code == 403


class TestEmailConfirmation:
    def test_link_confirms_once(self, app, web):
        register(web)
        path = link_in(outbox(app)[0])
        page = web.client.get(path)
        assert page.status_code == 200 and "Confirm my email address" in page.get_data(as_text=True)
        web.form_post(path, {})
        assert db.session.scalar(db.select(User)).is_verified
        again = web.form_post(path, {}, follow=True)
        assert "not valid" in again.get_data(as_text=True)

    def test_get_does_not_confirm(self, app, web):
        register(web)
        web.client.get(link_in(outbox(app)[0]))
        assert not db.session.scalar(db.select(User)).is_verified

    def test_expired_link_is_refused(self, make_app):
        app = make_app(ACADEMY_TOKEN_HOURS=0)
        with app.app_context():
            from tests.conftest import Browserless
            web = Browserless(app.test_client())
            register(web)
            response = web.form_post(link_in(outbox(app)[0]), {}, follow=True)
            assert "not valid" in response.get_data(as_text=True)
            assert not db.session.scalar(db.select(User)).is_verified


class TestLogin:
    def test_success_and_failure_are_audited(self, app, web, make_user):
        user = make_user()
        assert web.login(user.email, "wrong password here").status_code == 200
        assert web.login(user.email.upper()).status_code == 302
        assert actions(user)[-2:] == ["login.failure", "login.success"]
        assert user.last_login_at is not None

    def test_unknown_email_and_wrong_password_look_the_same(self, web, make_user):
        user = make_user()
        unknown = web.login("nobody@example.org", "whatever password")
        wrong = web.login(user.email, "whatever password")
        strip = lambda r: re.sub(r'value="[^"]*"', "", r.get_data(as_text=True))
        assert unknown.status_code == wrong.status_code == 200
        assert strip(unknown) == strip(wrong).replace(user.email, "nobody@example.org")

    def test_deactivated_account_cannot_sign_in(self, web, make_user):
        user = make_user()
        user.active = False
        db.session.commit()
        assert web.login(user.email).status_code == 200

    def test_rate_limited_per_account(self, web, make_user):
        user = make_user()
        for _ in range(5):
            assert web.login(user.email, "wrong password here").status_code == 200
        response = web.login(user.email)  # even the right password is refused now
        assert response.status_code == 429
        assert "Too many attempts" in response.get_data(as_text=True)

    def test_rate_limited_per_address_across_accounts(self, web):
        for n in range(5):
            assert web.login(f"guess{n}@example.org", "wrong password here").status_code == 200
        assert web.login("guess99@example.org", "wrong password here").status_code == 429

    def test_open_redirect_is_not_followed(self, web, make_user):
        user = make_user()
        page = web.client.get("/login?next=//evil.example/")
        response = web.client.post("/login?next=//evil.example/", data={
            "email": user.email, "password": PASSWORD, "csrf_token": csrf_from(page.get_data(as_text=True))})
        assert response.headers["Location"] == "/"

    def test_next_is_followed_within_the_site(self, web, make_user):
        user = make_user()
        response = web.form_post("/login?next=/account/password", {"email": user.email, "password": PASSWORD})
        assert response.headers["Location"] == "/account/password"


class TestSessions:
    def test_session_and_csrf_token_rotate_at_login(self, client, web, make_user):
        user = make_user()
        before = csrf_from(client.get("/login").get_data(as_text=True))
        with client.session_transaction() as session:
            session["planted"] = "by an attacker"
        web.login(user.email)
        with client.session_transaction() as session:
            assert "planted" not in session
        after = csrf_from(client.get("/account/password").get_data(as_text=True))
        assert before != after
        # The token from before sign-in no longer works.
        response = client.post("/logout", data={"csrf_token": before})
        assert response.status_code == 400

    def test_cookie_replayed_after_logout_is_rejected(self, app, web, make_user):
        user = make_user()
        web.login(user.email)
        stolen = web.client.get_cookie("session").value
        web.logout()
        attacker = app.test_client()
        attacker.set_cookie("session", stolen, domain="localhost")
        response = attacker.get("/")
        assert response.status_code == 302 and "/login" in response.headers["Location"]

    def test_logout_ends_every_session(self, app, make_user):
        from tests.conftest import Browserless

        user = make_user()
        laptop, phone = Browserless(app.test_client()), Browserless(app.test_client())
        laptop.login(user.email)
        phone.login(user.email)
        laptop.logout()
        assert phone.client.get("/").status_code == 302

    def test_password_change_keeps_this_session_and_ends_others(self, app, make_user):
        from tests.conftest import Browserless

        user = make_user()
        here, other = Browserless(app.test_client()), Browserless(app.test_client())
        here.login(user.email)
        other.login(user.email)
        response = here.form_post("/account/password", {
            "current": PASSWORD, "password": GOOD, "confirm": GOOD})
        assert response.status_code == 302
        assert here.client.get("/").status_code == 200
        assert other.client.get("/").status_code == 302
        assert "password.change" in actions(user)

    def test_password_change_needs_the_current_password(self, web, make_user):
        user = make_user()
        web.login(user.email)
        response = web.form_post("/account/password", {"current": "not it at all", "password": GOOD,
                                                       "confirm": GOOD})
        assert "current password is not correct" in response.get_data(as_text=True)

    def test_deactivation_ends_sessions(self, app, web, make_user):
        from academy.accounts.service import set_active

        user = make_user()
        admin = make_user("administrator")
        web.login(user.email)
        set_active(admin, user, False)
        assert web.client.get("/").status_code == 302
        assert "user.deactivate" in actions(user)

    def test_idle_timeout(self, web, make_user):
        user = make_user()
        web.login(user.email)
        with web.client.session_transaction() as session:
            session["last_seen"] -= 61 * 60
        response = web.client.get("/")
        assert response.status_code == 302 and "expired=1" in response.headers["Location"]

    def test_activity_moves_the_idle_clock_and_only_then_resends_the_cookie(self, web, make_user):
        user = make_user()
        web.login(user.email)
        web.client.get("/")  # shows the sign-in message, which changes the session
        assert "Set-Cookie" not in web.client.get("/").headers  # nothing changed: no new cookie
        with web.client.session_transaction() as session:
            session["last_seen"] -= 50 * 60  # idle for 50 of the 60 minutes allowed
        response = web.client.get("/")
        assert response.status_code == 200 and "session=" in response.headers["Set-Cookie"]
        with web.client.session_transaction() as session:
            session["last_seen"] -= 50 * 60  # 50 more minutes: fine, the clock restarted at the last page
        assert web.client.get("/").status_code == 200

    def test_absolute_lifetime(self, web, make_user):
        user = make_user()
        web.login(user.email)
        with web.client.session_transaction() as session:
            session["signed_in_at"] -= 13 * 3600
        assert web.client.get("/").status_code == 302

    def test_cookie_flags(self, make_app, make_user):
        app = make_app(ACADEMY_SECURE_COOKIES=True)
        with app.app_context():
            from tests.conftest import Browserless
            user = make_user()
            response = Browserless(app.test_client()).login(user.email)
            cookie = response.headers["Set-Cookie"]
            assert "HttpOnly" in cookie and "SameSite=Lax" in cookie and "Secure" in cookie


class TestPasswordReset:
    def test_full_reset_flow_ends_sessions(self, app, web, make_user):
        from tests.conftest import Browserless

        user = make_user()
        elsewhere = Browserless(app.test_client())
        elsewhere.login(user.email)
        web.form_post("/forgot-password", {"email": user.email})
        path = link_in(outbox(app)[-1])
        assert web.form_post(path, {"password": GOOD, "confirm": GOOD}).status_code == 302
        assert elsewhere.client.get("/").status_code == 302
        assert web.login(user.email, GOOD).status_code == 302
        # single use
        again = web.form_post(path, {"password": GOOD + "!", "confirm": GOOD + "!"}, follow=True)
        assert "not valid" in again.get_data(as_text=True)
        assert actions(user).count("password.reset") == 1

    def test_unknown_email_gets_the_same_answer_and_no_mail(self, app, web, make_user):
        user = make_user()
        known = web.form_post("/forgot-password", {"email": user.email}, follow=True)
        unknown = web.form_post("/forgot-password", {"email": "nobody@example.org"}, follow=True)
        strip = lambda r: re.sub(r'value="[^"]*"', "", r.get_data(as_text=True))
        assert strip(known) == strip(unknown)
        assert len(outbox(app)) == 1

    def test_reset_checks_the_policy_and_keeps_the_link(self, app, web, make_user):
        user = make_user()
        web.form_post("/forgot-password", {"email": user.email})
        path = link_in(outbox(app)[-1])
        response = web.form_post(path, {"password": "short", "confirm": "short"})
        assert "at least 12 characters" in response.get_data(as_text=True)
        assert web.form_post(path, {"password": GOOD, "confirm": GOOD}).status_code == 302


def test_csrf_is_required(client, make_user):
    user = make_user()
    response = client.post("/login", data={"email": user.email, "password": PASSWORD})
    assert response.status_code == 400
    assert "This form has expired" in response.get_data(as_text=True)
