"""Two-factor sign-in on the account pages: status, set-up, new recovery codes, turning it off.

The second step of signing in lives with the rest of sign-in (academy.views.auth);
it uses the set-up and recovery-code pages defined here, so that a person who
must enrol before their first sign-in sees exactly what everyone else sees.
"""
from __future__ import annotations

from flask import Blueprint, flash, redirect, render_template, session, url_for
from flask_login import current_user

from academy.accounts import twofactor
from academy.accounts.twofactor import PasswordIncorrect, TwoFactorError
from academy.forms.twofactor import DisableForm, EnrolForm, RecoveryCodesForm
from academy.models import User
from academy.security import client_ip, signed_in

bp = Blueprint("twofactor", __name__, url_prefix="/account/two-factor")

# Session key: the secret being set up (sealed) and whose it is. Kept in the
# session, not the database, until a code confirms it, so that reloading the page
# shows the same QR code and abandoned set-ups leave nothing behind.
ENROLMENT = "twofactor_enrolment"


def enrolment_secret(user: User) -> str:
    """The secret this session is setting up for the user, created on first use."""
    held = session.get(ENROLMENT) or {}
    secret = twofactor.unseal(held["sealed"]) if held.get("user") == user.id else None
    if secret is None:
        secret = twofactor.new_secret()
        session[ENROLMENT] = {"user": user.id, "sealed": twofactor.seal(secret)}
    return secret


def render_setup(user: User, form: EnrolForm, *, during_sign_in: bool = False):
    """The set-up page: QR code, the key as text for typing in, and the confirmation form."""
    secret = enrolment_secret(user)
    qr = twofactor.qr_data_url(twofactor.provisioning_uri(user, secret))
    grouped = " ".join(secret[i:i + 4] for i in range(0, len(secret), 4))
    return render_template("account/two_factor_setup.html", form=form, qr=qr, secret=grouped,
                           during_sign_in=during_sign_in)


def try_enable(user: User, form: EnrolForm) -> list[str] | None:
    """Confirm the set-up with the form's code: the new recovery codes, or None with the error on the form."""
    try:
        codes = twofactor.enable(user, enrolment_secret(user), form.code.data, ip=client_ip())
    except TwoFactorError as exc:
        form.code.errors.append(str(exc))
        return None
    session.pop(ENROLMENT, None)
    return codes


def render_codes(codes: list[str], continue_url: str):
    """Recovery codes are shown once, in the response that made them; only hashes are kept."""
    return render_template("account/two_factor_codes.html", codes=codes, continue_url=continue_url)


def _user() -> User:
    return current_user._get_current_object()


def _back_to_status(message: str, category: str = "info"):
    flash(message, category)
    return redirect(url_for("twofactor.status"))


@bp.route("")
@signed_in
def status():
    user = _user()
    return render_template("account/two_factor.html", enrolled=twofactor.is_enrolled(user),
                           required=twofactor.required_for(user), left=twofactor.recovery_codes_left(user))


@bp.route("/setup", methods=["GET", "POST"])
@signed_in
def setup():
    user = _user()
    if twofactor.is_enrolled(user):
        return _back_to_status("Two-factor sign-in is already on.")
    form = EnrolForm()
    if form.validate_on_submit() and (codes := try_enable(user, form)) is not None:
        return render_codes(codes, url_for("twofactor.status"))
    return render_setup(user, form)


@bp.route("/recovery-codes", methods=["GET", "POST"])
@signed_in
def recovery_codes():
    user = _user()
    if not twofactor.is_enrolled(user):
        return _back_to_status("Two-factor sign-in is off, so there are no recovery codes.")
    form = RecoveryCodesForm()
    if form.validate_on_submit():
        try:
            codes = twofactor.regenerate_recovery_codes(user, form.code.data, ip=client_ip())
        except TwoFactorError as exc:
            form.code.errors.append(str(exc))
        else:
            return render_codes(codes, url_for("twofactor.status"))
    return render_template("account/two_factor_confirm.html", form=form, title="Make new recovery codes",
                           intro="Your current recovery codes stop working, and ten new ones are shown once.")


@bp.route("/disable", methods=["GET", "POST"])
@signed_in
def disable():
    user = _user()
    if not twofactor.is_enrolled(user):
        return _back_to_status("Two-factor sign-in is already off.")
    form = DisableForm()
    if form.validate_on_submit():
        try:
            twofactor.disable(user, form.password.data, form.code.data, ip=client_ip())
        except PasswordIncorrect as exc:
            form.password.errors.append(str(exc))
        except TwoFactorError as exc:
            form.code.errors.append(str(exc))
        else:
            return _back_to_status(
                "Two-factor sign-in is off. Your role requires it, so you will set it up again the next "
                "time you sign in." if twofactor.required_for(user) else
                "Two-factor sign-in is off: your password alone now signs you in.", "success")
    return render_template("account/two_factor_confirm.html", form=form, title="Turn off two-factor sign-in",
                           intro="Your authenticator app and your recovery codes will stop working. "
                                 "To move to a new phone, turn it off here and set it up again.")
