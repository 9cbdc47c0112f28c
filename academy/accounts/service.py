"""Account services. Each public function is one transaction and commits once;
none of them touch the request: views pass in plain values (including the
client's address for the audit trail)."""
from __future__ import annotations

from dataclasses import dataclass

from email_validator import EmailNotValidError, validate_email
from flask import current_app

from academy.accounts import passwords, tokens
from academy.accounts.passwords import PasswordRejected
from academy.accounts.tokens import TokenInvalid
from academy.audit import record_event
from academy.extensions import db
from academy.mail import send_mail
from academy.models import ROLES, Role, TokenPurpose, User
from academy.models.base import utcnow
from academy.models.user import find_user_by_email, normalise_email

__all__ = ["AccountError", "PasswordRejected", "TokenInvalid", "Profile", "register",
           "authenticate", "confirm_email", "resend_confirmation", "request_password_reset",
           "reset_password", "change_password", "end_all_sessions", "set_role", "set_active",
           "create_user", "check_email"]


class AccountError(ValueError):
    """A request about an account that cannot be carried out; the message is for the person."""


@dataclass(frozen=True)
class Profile:
    full_name: str
    credentials: str = ""
    profession: str = ""
    license_number: str = ""
    license_state: str = ""


def check_email(email: str) -> str:
    """Return the normalised address or raise AccountError saying what is wrong with it."""
    try:
        result = validate_email(email.strip(), check_deliverability=False)
    except EmailNotValidError as exc:
        raise AccountError(f"That email address is not valid: {exc}") from None
    return normalise_email(result.normalized)


def _link(path: str) -> str:
    return current_app.config["ACADEMY_BASE_URL"].rstrip("/") + path


def _token_hours() -> int:
    return int(current_app.config["ACADEMY_TOKEN_HOURS"])


def register(email: str, password: str, profile: Profile, *, ip: str = "") -> None:
    """Create a clinician account and email a confirmation link.

    An address that already has an account gets an email saying so instead,
    and the caller sees the same outcome either way (no user enumeration).
    """
    if not current_app.config["ACADEMY_SELF_REGISTRATION"]:
        raise AccountError("Self-registration is turned off. Ask an administrator for an account.")
    email = check_email(email)
    passwords.check_policy(password, email=email, name=profile.full_name)
    existing = find_user_by_email(email)
    if existing is not None:
        record_event(None, "register.duplicate", existing, ip=ip, actor_label=email)
        db.session.commit()
        send_mail(email, "Someone tried to register with your address",
                  "An attempt was made to create an Academy account with this email address, "
                  "which already has one.\n\nIf it was you, sign in, or reset your password here:\n"
                  f"{_link('/forgot-password')}\n\nIf it was not you, you can ignore this message.")
        return
    user = User(email=email, password_hash=passwords.hash_password(password), role=Role.CLINICIAN.value,
                full_name=profile.full_name.strip(), credentials=profile.credentials.strip(),
                profession=profile.profession.strip(), license_number=profile.license_number.strip(),
                license_state=profile.license_state.strip())
    db.session.add(user)
    db.session.flush()
    secret = tokens.issue(user, TokenPurpose.CONFIRM_EMAIL.value, _token_hours())
    record_event(user, "register", user, ip=ip)
    db.session.commit()
    _send_confirmation(user, secret)


def _send_confirmation(user: User, secret: str) -> None:
    send_mail(user.email, "Confirm your Academy email address",
              f"Hello {user.full_name},\n\nConfirm your email address to start courses:\n"
              f"{_link('/confirm/' + secret)}\n\nThe link works once and expires in "
              f"{_token_hours()} hours.")


def resend_confirmation(user: User) -> None:
    """Send a fresh confirmation link to a signed-in, unconfirmed user."""
    if user.is_verified:
        return
    secret = tokens.issue(user, TokenPurpose.CONFIRM_EMAIL.value, _token_hours())
    db.session.commit()
    _send_confirmation(user, secret)


def confirm_email(secret: str, *, ip: str = "") -> User:
    """Use a confirmation link; raises TokenInvalid when it is unknown, used or expired."""
    user = tokens.consume(secret, TokenPurpose.CONFIRM_EMAIL.value)
    if user.email_verified_at is None:
        user.email_verified_at = utcnow()
    record_event(user, "email.confirm", user, ip=ip)
    db.session.commit()
    return user


def authenticate(email: str, password: str, *, ip: str = "") -> User | None:
    """Check a sign-in; returns the user, or None with the failure audit-logged."""
    user = find_user_by_email(email)
    if user is None:
        passwords.burn_time(password)
        record_event(None, "login.failure", None, {"reason": "unknown email"}, ip=ip,
                     actor_label=normalise_email(email))
    elif not passwords.verify_password(user.password_hash, password):
        record_event(user, "login.failure", user, {"reason": "wrong password"}, ip=ip)
        user = None
    elif not user.active:
        record_event(user, "login.failure", user, {"reason": "deactivated"}, ip=ip)
        user = None
    else:
        user.last_login_at = utcnow()
        record_event(user, "login.success", user, ip=ip)
    db.session.commit()
    return user


def end_all_sessions(user: User, *, ip: str = "", reason: str = "logout") -> None:
    """Invalidate every session of the user (the session version in cookies goes stale)."""
    user.session_version += 1
    record_event(user, reason, user, ip=ip)
    db.session.commit()


def request_password_reset(email: str, *, ip: str = "") -> None:
    """Email a reset link if the account exists; the caller's answer is the same either way."""
    user = find_user_by_email(email)
    if user is None or not user.active:
        record_event(None, "password.reset_request", None, {"known": False}, ip=ip,
                     actor_label=normalise_email(email))
        db.session.commit()
        return
    secret = tokens.issue(user, TokenPurpose.RESET_PASSWORD.value, min(_token_hours(), 2))
    record_event(user, "password.reset_request", user, ip=ip)
    db.session.commit()
    send_mail(user.email, "Reset your Academy password",
              f"Hello {user.full_name},\n\nChoose a new password here:\n"
              f"{_link('/reset-password/' + secret)}\n\nThe link works once and expires in "
              "2 hours. If you did not ask for this, ignore this message: your password is unchanged.")


def reset_password(secret: str, new_password: str, *, ip: str = "") -> User:
    """Set a new password from a reset link and end every session of the account."""
    user = tokens.peek(secret, TokenPurpose.RESET_PASSWORD.value)
    if user is None:
        raise TokenInvalid()
    passwords.check_policy(new_password, email=user.email, name=user.full_name)
    tokens.consume(secret, TokenPurpose.RESET_PASSWORD.value)
    user.password_hash = passwords.hash_password(new_password)
    user.session_version += 1
    # The link proved the person can read the mailbox.
    if user.email_verified_at is None:
        user.email_verified_at = utcnow()
    record_event(user, "password.reset", user, ip=ip)
    db.session.commit()
    return user


def change_password(user: User, current: str, new_password: str, *, ip: str = "") -> None:
    """Change a signed-in user's password; other sessions end (the caller re-issues its own)."""
    if not passwords.verify_password(user.password_hash, current):
        raise AccountError("Your current password is not correct.")
    passwords.check_policy(new_password, email=user.email, name=user.full_name)
    user.password_hash = passwords.hash_password(new_password)
    user.session_version += 1
    record_event(user, "password.change", user, ip=ip)
    db.session.commit()


def set_role(actor: User | None, user: User, role: str, *, ip: str = "") -> None:
    """Change a user's role; sessions end so the new permissions apply at once."""
    if role not in ROLES:
        raise AccountError(f"Unknown role '{role}'. Choose one of: {', '.join(ROLES)}.")
    if user.role == role:
        return
    record_event(actor, "role.change", user, {"from": user.role, "to": role}, ip=ip,
                 actor_label="cli" if actor is None else "")
    user.role = role
    user.session_version += 1
    db.session.commit()


def set_active(actor: User | None, user: User, active: bool, *, ip: str = "") -> None:
    """Deactivate (ending every session) or reactivate an account. Nothing is deleted."""
    if user.active == active:
        return
    user.active = active
    if not active:
        user.session_version += 1
    record_event(actor, "user.reactivate" if active else "user.deactivate", user, ip=ip,
                 actor_label="cli" if actor is None else "")
    db.session.commit()


def create_user(email: str, full_name: str, role: str, password: str, *,
                actor: User | None = None, profile: Profile | None = None) -> User:
    """Create a confirmed account of any role (administrators and the CLI)."""
    email = check_email(email)
    if role not in ROLES:
        raise AccountError(f"Unknown role '{role}'. Choose one of: {', '.join(ROLES)}.")
    if find_user_by_email(email) is not None:
        raise AccountError(f"An account with the email {email} already exists.")
    if not full_name.strip():
        raise AccountError("A full name is required.")
    passwords.check_policy(password, email=email, name=full_name)
    profile = profile or Profile(full_name=full_name)
    user = User(email=email, full_name=full_name.strip(), role=role,
                password_hash=passwords.hash_password(password), email_verified_at=utcnow(),
                credentials=profile.credentials, profession=profile.profession,
                license_number=profile.license_number, license_state=profile.license_state)
    db.session.add(user)
    db.session.flush()
    record_event(actor, "user.create", user, {"role": role}, actor_label="cli" if actor is None else "")
    db.session.commit()
    return user


def set_password_for_demo(user: User, password: str) -> None:
    """Give a demo account a new password (the `demo` command, when its file was lost)."""
    user.password_hash = passwords.hash_password(password)
    user.session_version += 1
    record_event(None, "password.reset", user, {"by": "demo command"}, actor_label="cli")
    db.session.commit()
