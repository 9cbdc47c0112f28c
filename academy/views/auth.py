"""Sign-in, registration, email confirmation and passwords."""
from __future__ import annotations

import time

from flask import Blueprint, abort, current_app, flash, redirect, render_template, request, session, url_for
from flask_login import current_user, login_user, logout_user
from limits import parse

from academy import _load_user
from academy.accounts import service, twofactor
from academy.accounts.service import AccountError, PasswordRejected, Profile, TokenInvalid
from academy.accounts.twofactor import CodeRejected
from academy.extensions import limiter
from academy.forms.auth import (ChangePasswordForm, ConfirmForm, ForgotPasswordForm, LoginForm,
                                RegisterForm, ResetPasswordForm)
from academy.forms.twofactor import EnrolForm, SecondFactorForm
from academy.models.user import User, normalise_email
from academy.security import client_ip, public, safe_next, signed_in, start_session
from academy.views.twofactor import render_codes, render_setup, try_enable

bp = Blueprint("auth", __name__)

SAME_ANSWER_REGISTER = ("Thank you. If this address can be registered, we have sent a confirmation "
                        "link to it: open it to finish. Then sign in.")
SAME_ANSWER_FORGOT = ("If an active account uses that address, we have sent it a link to choose a new "
                      "password. The link expires in 2 hours.")


# Session key for someone who has given the right password but not yet the second
# factor: "<user id>:<session version>" and the time. It is not a sign-in.
PENDING = "second_factor"
PENDING_MINUTES = 5
ENROL_MINUTES = 15  # setting up an app for the first time takes longer than typing a code


def _throttled(*keys: str, setting: str = "ACADEMY_LOGIN_LIMIT") -> bool:
    """Count one attempt against each key; True when any of them is over the limit.

    Sign-in is limited per account and per address, in the limiter's storage
    (memory, or Redis so that several app servers share the count).
    """
    limit = parse(current_app.config[setting])
    allowed = [limiter.limiter.hit(limit, "academy-auth", key) for key in keys]
    return not all(allowed)


@bp.route("/login", methods=["GET", "POST"])
@public
def login():
    if current_user.is_authenticated:
        return redirect(url_for("main.home"))
    form = LoginForm()
    if request.args.get("expired"):
        flash("Your session ended. Sign in again to continue.", "info")
    if form.validate_on_submit():
        email = normalise_email(form.email.data)
        if _throttled(f"ip:{client_ip()}", f"account:{email}"):
            abort(429)
        user = service.authenticate(email, form.password.data, ip=client_ip())
        if user is None:
            flash("That email and password do not match an active account. Check them and try "
                  "again, or reset your password.", "error")
        elif twofactor.second_step_required(user):
            return _hold_for_second_step(user)
        else:
            return redirect(_sign_in(user))
    return render_template("auth/login.html", form=form)


def _sign_in(user: User) -> str:
    """Sign in on a fresh session (new CSRF token, clock started); returns where to go next."""
    target = safe_next(request.args.get("next")) or url_for("main.home")
    start_session()
    login_user(user)
    return target


def _hold_for_second_step(user: User):
    """After the right password: a fresh session holding only the pending marker."""
    session.clear()
    session[PENDING] = {"user": user.get_id(), "at": time.time()}
    return redirect(url_for("auth.second_factor", next=safe_next(request.args.get("next"))))


def _pending_user() -> User | None:
    """Who passed the password step, while the marker is fresh and their sessions have not
    been ended since (the session version is checked as for a sign-in)."""
    marker = session.get(PENDING) or {}
    user = _load_user(str(marker.get("user", "")))
    if user is None or not twofactor.second_step_required(user):
        return None
    minutes = ENROL_MINUTES if twofactor.must_enrol(user) else PENDING_MINUTES
    return user if time.time() - marker.get("at", 0) <= minutes * 60 else None


def _throttle_second_step(user: User) -> None:
    if _throttled(f"2fa-ip:{client_ip()}", f"2fa-account:{user.id}", setting="ACADEMY_2FA_LIMIT"):
        abort(429)


@bp.route("/login/second-factor", methods=["GET", "POST"])
@public
def second_factor():
    if current_user.is_authenticated:
        return redirect(url_for("main.home"))
    user = _pending_user()
    if user is None:
        session.pop(PENDING, None)
        flash("Your sign-in has expired (a code is due within 5 minutes of the password). "
              "Sign in again with your email and password.", "info")
        return redirect(url_for("auth.login"))
    if twofactor.must_enrol(user):
        return _enrol_before_sign_in(user)
    form = SecondFactorForm()
    if form.validate_on_submit():
        _throttle_second_step(user)
        try:
            method = twofactor.verify_sign_in(user, form.code.data, ip=client_ip())
        except CodeRejected as exc:
            form.code.errors.append(str(exc))
        else:
            target = _sign_in(user)
            if method == "recovery":
                flash(f"You signed in with a recovery code; {twofactor.recovery_codes_left(user)} left. "
                      "Make new ones on the Two-factor page before they run out.", "info")
            return redirect(target)
    return render_template("auth/second_factor.html", form=form)


def _enrol_before_sign_in(user: User):
    """Roles that require two-factor sign-in set it up before they are signed in at all."""
    form = EnrolForm()
    if form.validate_on_submit():
        _throttle_second_step(user)
        codes = try_enable(user, form)
        if codes is not None:
            return render_codes(codes, _sign_in(user))
    return render_setup(user, form, during_sign_in=True)


@bp.route("/logout", methods=["POST"])
@signed_in
def logout():
    if ConfirmForm().validate_on_submit():
        service.end_all_sessions(current_user._get_current_object(), ip=client_ip())
        logout_user()
        flash("You are signed out on every device.", "info")
        return redirect(url_for("auth.login"))
    abort(400)


@bp.route("/register", methods=["GET", "POST"])
@public
def register():
    if not current_app.config["ACADEMY_SELF_REGISTRATION"]:
        return render_template("auth/register_closed.html"), 403
    form = RegisterForm()
    if form.validate_on_submit():
        if _throttled(f"register-ip:{client_ip()}"):
            abort(429)
        profile = Profile(full_name=form.full_name.data, credentials=form.credentials.data or "",
                          profession=form.profession.data or "", license_number=form.license_number.data or "",
                          license_state=form.license_state.data or "")
        try:
            service.register(form.email.data, form.password.data, profile, ip=client_ip())
        except PasswordRejected as exc:
            form.password.errors.append(str(exc))
        except AccountError as exc:
            form.email.errors.append(str(exc))
        else:
            flash(SAME_ANSWER_REGISTER, "info")
            return redirect(url_for("auth.login"))
    return render_template("auth/register.html", form=form)


@bp.route("/confirm/<token>", methods=["GET", "POST"])
@public
def confirm_email(token: str):
    # Confirming changes state, so the link opens a page whose button POSTs:
    # mail scanners that prefetch links cannot use the token up.
    form = ConfirmForm()
    if form.validate_on_submit():
        try:
            service.confirm_email(token, ip=client_ip())
        except TokenInvalid:
            flash("This confirmation link is not valid: it may have been used already or expired. "
                  "Sign in and ask for a new one.", "error")
            return redirect(url_for("auth.login"))
        flash("Your email address is confirmed. You can start courses now.", "success")
        return redirect(url_for("main.home") if current_user.is_authenticated else url_for("auth.login"))
    return render_template("auth/confirm.html", form=form)


@bp.route("/account/confirm-email/resend", methods=["POST"])
@signed_in
def resend_confirmation():
    if not ConfirmForm().validate_on_submit():
        abort(400)
    service.resend_confirmation(current_user._get_current_object())
    flash(f"We sent a new confirmation link to {current_user.email}.", "info")
    return redirect(url_for("main.home"))


@bp.route("/forgot-password", methods=["GET", "POST"])
@public
def forgot_password():
    form = ForgotPasswordForm()
    if form.validate_on_submit():
        email = normalise_email(form.email.data)
        if _throttled(f"forgot-ip:{client_ip()}", f"forgot:{email}"):
            abort(429)
        service.request_password_reset(email, ip=client_ip())
        flash(SAME_ANSWER_FORGOT, "info")
        return redirect(url_for("auth.login"))
    return render_template("auth/forgot.html", form=form)


@bp.route("/reset-password/<token>", methods=["GET", "POST"])
@public
def reset_password(token: str):
    form = ResetPasswordForm()
    if form.validate_on_submit():
        try:
            service.reset_password(token, form.password.data, ip=client_ip())
        except PasswordRejected as exc:
            form.password.errors.append(str(exc))
        except TokenInvalid:
            flash("This reset link is not valid: it may have been used already or expired. "
                  "Ask for a new one.", "error")
            return redirect(url_for("auth.forgot_password"))
        else:
            logout_user()
            flash("Your password is changed and every session is signed out. Sign in with the new password.",
                  "success")
            return redirect(url_for("auth.login"))
    return render_template("auth/reset.html", form=form)


@bp.route("/account/password", methods=["GET", "POST"])
@signed_in
def change_password():
    form = ChangePasswordForm()
    if form.validate_on_submit():
        user = current_user._get_current_object()
        try:
            service.change_password(user, form.current.data, form.password.data, ip=client_ip())
        except PasswordRejected as exc:
            form.password.errors.append(str(exc))
        except AccountError as exc:
            form.current.errors.append(str(exc))
        else:
            # Re-issue this session under the new session version; others are now stale.
            start_session()
            login_user(user)
            flash("Your password is changed. Other devices have been signed out.", "success")
            return redirect(url_for("main.home"))
    return render_template("auth/change_password.html", form=form)
