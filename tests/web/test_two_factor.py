"""Two-factor sign-in (TOTP and recovery codes), through the real routes.

The service reads the time through ``academy.accounts.twofactor.utcnow``; the
``clock`` fixture pins it, so codes are computed for a known 30-second step and
no test depends on where in the step it happens to run.
"""
import json
import re
import time
from datetime import datetime, timedelta, timezone

import pyotp
import pytest

from academy import create_app
from academy.accounts import service, twofactor
from academy.extensions import db
from academy.models import AuditEvent, RecoveryCode, TotpCredential
from academy.security import PUBLIC, access_of
from tests.conftest import BASE_CONFIG, PASSWORD, Browserless, csrf_from
from tests.web.test_access import sample_url

SECOND_STEP = "/login/second-factor"
WRONG = "That code is not right or has been used"
SECRET_RE = re.compile(r'<code id="totp-secret">([A-Z2-7 ]+)</code>')
RECOVERY_RE = re.compile(r"<code>([a-z2-9]{4}-[a-z2-9]{4}-[a-z2-9]{4}-[a-z2-9]{4})</code>")


@pytest.fixture
def app(make_app):
    """The shipped default: administrators and trainers must use two-factor sign-in."""
    app = make_app(ACADEMY_2FA_REQUIRED_ROLES="administrator,trainer")
    with app.app_context():
        yield app


class Clock:
    def __init__(self, monkeypatch) -> None:
        self.now = datetime(2026, 3, 2, 9, 0, 10, tzinfo=timezone.utc)
        monkeypatch.setattr(twofactor, "utcnow", lambda: self.now)

    def advance(self, seconds: int = 30) -> None:
        self.now += timedelta(seconds=seconds)

    def code(self, secret: str, steps: int = 0) -> str:
        """The app's code now, or ``steps`` 30-second steps away."""
        return pyotp.TOTP(secret.replace(" ", "")).at(self.now + timedelta(seconds=30 * steps))


@pytest.fixture
def clock(monkeypatch):
    return Clock(monkeypatch)


def wrong_code(secret: str, clock: Clock) -> str:
    """A six-digit code that is right for none of the steps the server accepts."""
    near = {clock.code(secret, steps) for steps in (-1, 0, 1)}
    return next(code for code in ("000000", "111111", "222222", "333333") if code not in near)


@pytest.fixture
def enrolled(clock):
    """Turn two-factor sign-in on for a user; returns (secret, recovery codes).

    The enrolment uses the current step, and the clock then moves on one step,
    so the test's first code is not refused as a replay of the enrolment code."""
    def enrol(user):
        secret = twofactor.new_secret()
        codes = twofactor.enable(user, secret, clock.code(secret))
        clock.advance()
        return secret, codes
    return enrol


def second_step(web, code: str, **kwargs):
    return web.form_post(SECOND_STEP, {"code": code}, **kwargs)


def signed_in_user_id(client):
    with client.session_transaction() as session:
        return session.get("_user_id")


def actions(user) -> list[str]:
    return db.session.scalars(db.select(AuditEvent.action).where(AuditEvent.target_id == str(user.id))
                              .order_by(AuditEvent.id)).all()


class TestEnrolment:
    def test_wrong_code_refused_right_code_accepted(self, app, web, client, make_user, clock):
        user = make_user("clinician")
        assert web.login(user.email).headers["Location"] == "/"  # optional for clinicians
        page = client.get("/account/two-factor/setup").get_data(as_text=True)
        secret = SECRET_RE.search(page).group(1).replace(" ", "")
        assert 'src="data:image/svg+xml' in page and "style=" not in page

        refused = web.form_post("/account/two-factor/setup", {"code": wrong_code(secret, clock)})
        assert WRONG in refused.get_data(as_text=True)
        assert not twofactor.is_enrolled(user)

        accepted = web.form_post("/account/two-factor/setup", {"code": clock.code(secret)})
        codes = RECOVERY_RE.findall(accepted.get_data(as_text=True))
        assert len(set(codes)) == twofactor.RECOVERY_CODE_COUNT == 10
        assert twofactor.is_enrolled(user)
        assert "2fa.enrol" in actions(user)

    def test_secret_and_recovery_codes_are_not_stored_in_the_clear(self, app, make_user, enrolled):
        user = make_user()
        secret, codes = enrolled(user)
        credential = db.session.get(TotpCredential, user.id)
        assert secret not in credential.secret_sealed and twofactor.unseal(credential.secret_sealed) == secret
        hashes = db.session.scalars(db.select(RecoveryCode.code_hash)).all()
        assert len(hashes) == 10 and len(set(hashes)) == 10
        stored = " ".join(hashes)
        assert not any(code in stored or code.replace("-", "") in stored for code in codes)

    def test_recovery_codes_are_shown_once(self, app, web, client, make_user, clock):
        user = make_user()
        web.login(user.email)
        secret = SECRET_RE.search(client.get("/account/two-factor/setup").get_data(as_text=True)).group(1)
        codes = RECOVERY_RE.findall(web.form_post("/account/two-factor/setup",
                                                  {"code": clock.code(secret)}).get_data(as_text=True))
        status = client.get("/account/two-factor").get_data(as_text=True)
        assert "10 unused recovery codes" in status and codes[0] not in status
        again = client.get("/account/two-factor/setup")
        assert again.status_code == 302 and again.headers["Location"] == "/account/two-factor"

    def test_the_qr_code_encodes_the_secret_for_this_account(self, app, make_user):
        user = make_user(email="qr@example.org")
        secret = twofactor.new_secret()
        uri = twofactor.provisioning_uri(user, secret)
        assert uri.startswith("otpauth://totp/Academy:qr%40example.org?") and f"secret={secret}" in uri
        assert twofactor.qr_data_url(uri).startswith("data:image/svg+xml")


class TestSecondStep:
    def test_password_alone_reaches_no_signed_in_page(self, app, web, client, make_user, enrolled):
        user = make_user()
        enrolled(user)
        response = web.login(user.email)
        assert response.headers["Location"] == SECOND_STEP
        assert signed_in_user_id(client) is None
        for rule in app.url_map.iter_rules():
            if "GET" in rule.methods and access_of(app, rule.endpoint) != PUBLIC:
                page = client.get(sample_url(rule))
                assert page.status_code == 302 and "/login" in page.headers["Location"], rule.rule

    def test_correct_code_signs_in_and_rotates_the_session(self, app, web, client, make_user, enrolled,
                                                           clock):
        user = make_user()
        secret, _ = enrolled(user)
        web.login(user.email)
        old_token = csrf_from(client.get(SECOND_STEP).get_data(as_text=True))
        response = second_step(web, clock.code(secret))
        assert response.headers["Location"] == "/"
        assert signed_in_user_id(client) == user.get_id()
        with client.session_transaction() as session:
            assert "second_factor" not in session
        assert client.get("/").status_code == 200
        assert client.post("/logout", data={"csrf_token": old_token}).status_code == 400
        assert actions(user)[-1] == "2fa.success"

    def test_where_the_person_was_going_is_kept(self, app, web, make_user, enrolled, clock):
        user = make_user()
        secret, _ = enrolled(user)
        response = web.form_post("/login?next=/learning", {"email": user.email, "password": PASSWORD})
        assert response.headers["Location"] == SECOND_STEP + "?next=/learning"
        done = web.form_post(response.headers["Location"], {"code": clock.code(secret)})
        assert done.headers["Location"] == "/learning"

    def test_the_pending_step_expires_after_five_minutes(self, app, web, client, make_user, enrolled, clock):
        user = make_user()
        secret, _ = enrolled(user)
        web.login(user.email)
        token = csrf_from(client.get(SECOND_STEP).get_data(as_text=True))
        with client.session_transaction() as session:
            session["second_factor"] = {**session["second_factor"], "at": time.time() - 301}
        response = client.post(SECOND_STEP, data={"code": clock.code(secret), "csrf_token": token})
        assert response.headers["Location"] == "/login"
        assert signed_in_user_id(client) is None
        assert client.get("/").status_code == 302

    def test_the_pending_step_ends_with_the_accounts_sessions(self, app, web, client, make_user, enrolled):
        user = make_user()
        enrolled(user)
        web.login(user.email)
        service.end_all_sessions(user)  # e.g. a password reset meanwhile
        assert client.get(SECOND_STEP).headers["Location"] == "/login"

    def test_a_code_cannot_be_replayed(self, app, web, make_user, enrolled, clock):
        user = make_user()
        secret, _ = enrolled(user)
        code = clock.code(secret)
        web.login(user.email)
        assert second_step(web, code).status_code == 302
        web.logout()
        web.login(user.email)
        refused = second_step(web, code)
        assert refused.status_code == 200 and WRONG in refused.get_data(as_text=True)
        assert second_step(web, clock.code(secret, 1)).status_code == 302  # the next step's code works
        assert "2fa.failure" in actions(user)

    def test_codes_from_too_far_away_are_refused(self, app, web, make_user, enrolled, clock):
        user = make_user()
        secret, _ = enrolled(user)
        web.login(user.email)
        assert WRONG in second_step(web, clock.code(secret, 2)).get_data(as_text=True)
        clock.advance()
        assert second_step(web, clock.code(secret, -1)).status_code == 302  # a step of clock drift is fine

    def test_a_recovery_code_works_once(self, app, web, client, make_user, enrolled):
        user = make_user()
        _, codes = enrolled(user)
        web.login(user.email)
        typed = codes[3].upper().replace("-", " ")  # read back from paper
        response = second_step(web, typed, follow=True)
        assert "You signed in with a recovery code; 9 left." in response.get_data(as_text=True)
        assert "2fa.recovery_used" in actions(user)
        web.logout()
        web.login(user.email)
        assert WRONG in second_step(web, codes[3]).get_data(as_text=True)
        assert signed_in_user_id(client) is None

    def test_the_second_step_is_rate_limited_per_account_and_address(self, app, web, make_user, enrolled,
                                                                     clock):
        user = make_user()
        secret, _ = enrolled(user)
        web.login(user.email)
        for _ in range(5):
            assert second_step(web, wrong_code(secret, clock)).status_code == 200
        assert second_step(web, clock.code(secret)).status_code == 429
        elsewhere = Browserless(app.test_client())
        elsewhere.client.environ_base["REMOTE_ADDR"] = "192.0.2.7"
        elsewhere.login(user.email)
        assert second_step(elsewhere, clock.code(secret)).status_code == 429  # the account is held too

    def test_clinicians_without_two_factor_sign_in_with_a_password(self, app, web, client, make_user):
        user = make_user("clinician")
        assert web.login(user.email).headers["Location"] == "/"
        assert client.get("/").status_code == 200


class TestRequiredRoles:
    @pytest.mark.parametrize("role", ["administrator", "trainer"])
    def test_must_enrol_before_anything_else(self, app, web, client, make_user, clock, role):
        user = make_user(role)
        assert web.login(user.email).headers["Location"] == SECOND_STEP
        page = client.get(SECOND_STEP).get_data(as_text=True)
        assert "Your role requires two-factor sign-in" in page
        for url in ("/", "/account/two-factor", "/author/", "/admin/"):
            assert "/login" in client.get(url).headers["Location"]
        secret = SECRET_RE.search(page).group(1)
        assert WRONG in second_step(web, wrong_code(secret, clock)).get_data(as_text=True)
        assert signed_in_user_id(client) is None

        done = second_step(web, clock.code(secret))
        assert done.status_code == 200 and len(RECOVERY_RE.findall(done.get_data(as_text=True))) == 10
        assert signed_in_user_id(client) == user.get_id()
        assert client.get("/").status_code == 200
        assert actions(user)[-1] == "2fa.enrol"

    def test_reloading_the_enrolment_page_keeps_the_same_secret(self, app, client, web, make_user):
        user = make_user("administrator")
        web.login(user.email)
        first = SECRET_RE.search(client.get(SECOND_STEP).get_data(as_text=True)).group(1)
        assert SECRET_RE.search(client.get(SECOND_STEP).get_data(as_text=True)).group(1) == first
        assert db.session.get(TotpCredential, user.id) is None  # nothing stored until confirmed

    def test_enrolled_administrators_give_a_code(self, app, web, make_user, enrolled, clock):
        user = make_user("administrator")
        secret, _ = enrolled(user)
        web.login(user.email)
        assert 'id="totp-secret"' not in web.client.get(SECOND_STEP).get_data(as_text=True)
        assert second_step(web, clock.code(secret)).headers["Location"] == "/"

    def test_an_unknown_role_in_the_setting_is_an_error(self, tmp_path):
        with pytest.raises(ValueError, match="administator"):
            create_app({**BASE_CONFIG, "INSTANCE_PATH": str(tmp_path),
                        "ACADEMY_2FA_REQUIRED_ROLES": "administator,trainer"})


def sign_in(web, user, code):
    web.login(user.email)
    assert second_step(web, code).status_code == 302


class TestManaging:
    def test_turning_off_needs_the_password_and_a_code(self, app, web, make_user, enrolled, clock):
        user = make_user()
        secret, _ = enrolled(user)
        sign_in(web, user, clock.code(secret))
        clock.advance()
        url = "/account/two-factor/disable"
        wrong_password = web.form_post(url, {"password": "not my password at all", "code": clock.code(secret)})
        assert "Your password is not correct." in wrong_password.get_data(as_text=True)
        assert WRONG in web.form_post(url, {"password": PASSWORD,
                                            "code": wrong_code(secret, clock)}).get_data(as_text=True)
        assert twofactor.is_enrolled(user)

        assert web.form_post(url, {"password": PASSWORD, "code": clock.code(secret)}).status_code == 302
        assert not twofactor.is_enrolled(user)
        assert db.session.scalar(db.select(db.func.count(RecoveryCode.id))) == 0
        assert actions(user)[-1] == "2fa.disable"
        web.logout()
        assert web.login(user.email).headers["Location"] == "/"

    def test_new_recovery_codes_replace_the_old(self, app, web, make_user, enrolled, clock):
        user = make_user()
        secret, old = enrolled(user)
        sign_in(web, user, clock.code(secret))
        clock.advance()
        page = web.form_post("/account/two-factor/recovery-codes", {"code": clock.code(secret)})
        new = RECOVERY_RE.findall(page.get_data(as_text=True))
        assert len(new) == 10 and not set(new) & set(old)
        assert "2fa.recovery_codes" in actions(user)
        web.logout()
        web.login(user.email)
        assert WRONG in second_step(web, old[0]).get_data(as_text=True)
        assert second_step(web, new[0]).status_code == 302

    def test_pages_for_the_wrong_state_send_back_to_the_status_page(self, app, web, make_user):
        web.login(make_user().email)
        for url in ("/account/two-factor/disable", "/account/two-factor/recovery-codes"):
            assert web.client.get(url).headers["Location"] == "/account/two-factor"

    def test_the_audit_trail_names_events_but_never_codes_or_secrets(self, app, web, make_user, enrolled,
                                                                     clock):
        user = make_user()
        secret, codes = enrolled(user)
        web.login(user.email)
        second_step(web, wrong_code(secret, clock))
        second_step(web, codes[0])
        assert actions(user)[-4:] == ["login.success", "2fa.failure", "2fa.recovery_used", "2fa.success"]
        events = db.session.scalars(db.select(AuditEvent).where(AuditEvent.action.like("2fa.%"))).all()
        assert {e.action for e in events} == {"2fa.enrol", "2fa.failure", "2fa.recovery_used", "2fa.success"}
        dump = json.dumps([[e.action, e.detail, e.actor_label, e.target_label] for e in events])
        assert secret not in dump and not any(code in dump for code in codes)


class TestAdministratorReset:
    """For someone who lost both their app and their recovery codes."""

    def test_an_administrator_turns_it_off_and_the_person_is_signed_out_and_told(self, app, make_user, enrolled,
                                                                                 clock):
        from academy.models import User
        from tests.conftest import outbox

        trainer, admin = make_user("trainer"), make_user("administrator")
        trainer_secret, _ = enrolled(trainer)
        admin_secret, _ = enrolled(admin)
        trainer_web, admin_web = Browserless(app.test_client()), Browserless(app.test_client())
        sign_in(trainer_web, trainer, clock.code(trainer_secret))
        sign_in(admin_web, admin, clock.code(admin_secret))
        page = f"/admin/users/{trainer.id}"
        url = f"/admin/users/{trainer.id}/two-factor/reset"
        assert "Turn off two-factor sign-in" in admin_web.client.get(page).get_data(as_text=True)

        unconfirmed = admin_web.form_post(url, {}, form_url=page, follow=True)
        assert "Tick the confirmation box" in unconfirmed.get_data(as_text=True)
        assert twofactor.is_enrolled(trainer)

        done = admin_web.form_post(url, {"confirm": "yes"}, form_url=page, follow=True).get_data(as_text=True)
        assert f"Two-factor sign-in is off for {trainer.email}" in done
        assert not twofactor.is_enrolled(trainer)
        assert db.session.scalar(db.select(db.func.count(RecoveryCode.id)).where(
            RecoveryCode.user_id == trainer.id)) == 0
        event = db.session.scalar(db.select(AuditEvent).where(AuditEvent.action == "2fa.reset"))
        assert (event.actor_id, event.target_id) == (admin.id, str(trainer.id))
        assert "/login" in trainer_web.client.get("/").headers["Location"]  # their session has ended
        assert "Two-factor sign-in was turned off" in outbox(app)[-1] and trainer.email in outbox(app)[-1]
        # A role that requires it sets it up again at the next sign-in.
        assert trainer_web.login(trainer.email).headers["Location"] == SECOND_STEP
        assert "Your role requires two-factor sign-in" in trainer_web.client.get(SECOND_STEP).get_data(as_text=True)

        again = admin_web.form_post(url, {"confirm": "yes"}, form_url=page, follow=True).get_data(as_text=True)
        assert "does not use two-factor sign-in" in again
        own = admin_web.form_post(f"/admin/users/{admin.id}/two-factor/reset", {"confirm": "yes"},
                                  form_url=f"/admin/users/{admin.id}", follow=True).get_data(as_text=True)
        assert "from your Two-factor page" in own
        assert twofactor.is_enrolled(db.session.get(User, admin.id))

    def test_the_command_line_turns_it_off_when_no_administrator_can_sign_in(self, app, runner, make_user,
                                                                              enrolled):
        admin = make_user("administrator")
        enrolled(admin)
        result = runner.invoke(args=["academy", "reset-2fa", admin.email])
        assert result.exit_code == 0, result.output
        assert not twofactor.is_enrolled(admin) and actions(admin)[-1] == "2fa.reset"
        assert "does not use two-factor" in runner.invoke(args=["academy", "reset-2fa", admin.email]).output
        missing = runner.invoke(args=["academy", "reset-2fa", "nobody@example.org"])
        assert missing.exit_code != 0 and "No account uses the email" in missing.output
