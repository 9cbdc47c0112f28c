"""Two-factor sign-in: TOTP (RFC 6238) authenticator apps and one-time recovery codes.

Each public function that changes something is one transaction and commits
once; like the other account services, none of them touch the request.

- The TOTP secret is stored encrypted (Fernet) with a key derived from
  SECRET_KEY by HKDF, so a copy of the database alone cannot produce codes.
  Changing SECRET_KEY therefore makes every enrolled app useless: people sign in
  with a recovery code, turn two-factor sign-in off and set it up again.
- A code is accepted for the previous, current and next 30-second step (clocks
  drift), and only for a step later than the last one accepted, so a code seen
  over someone's shoulder cannot be used again.
- Recovery codes carry about 79 random bits, so a salted SHA-256 protects them
  as well as a slow hash would (slowness guards guessable secrets, not these).
"""
from __future__ import annotations

import base64
import hashlib
import hmac
import re
import secrets
from typing import NoReturn

import pyotp
import segno
from cryptography.fernet import Fernet, InvalidToken
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.kdf.hkdf import HKDF
from flask import current_app
from sqlalchemy import delete, func, update
from sqlalchemy.exc import IntegrityError

from academy.accounts import passwords
from academy.audit import record_event
from academy.extensions import db
from academy.mail import send_mail
from academy.models import RecoveryCode, TotpCredential, User
from academy.models.base import utcnow

__all__ = ["TwoFactorError", "CodeRejected", "PasswordIncorrect", "RECOVERY_CODE_COUNT", "new_secret",
           "provisioning_uri", "qr_data_url", "seal", "unseal", "is_enrolled", "required_for", "must_enrol",
           "second_step_required", "recovery_codes_left", "enable", "verify_sign_in", "disable",
           "regenerate_recovery_codes"]

ISSUER = "Academy"
RECOVERY_CODE_COUNT = 10
# No 0/o or 1/l/i, so a code copied from paper is read back correctly.
_RECOVERY_ALPHABET = "23456789abcdefghjkmnpqrstuvwxyz"
_RECOVERY_LENGTH = 16
_APP_CODE = re.compile(r"\d{6}")


class TwoFactorError(ValueError):
    """A two-factor request that cannot be carried out; the message is for the person."""


class CodeRejected(TwoFactorError):
    def __init__(self) -> None:
        super().__init__("That code is not right or has been used; codes change every 30 seconds. "
                         "A recovery code works once.")


class PasswordIncorrect(TwoFactorError):
    def __init__(self) -> None:
        super().__init__("Your password is not correct.")


# Secrets and their encryption

def new_secret() -> str:
    """A fresh random TOTP secret (160 bits, base32), for a person to enrol."""
    return pyotp.random_base32()


def provisioning_uri(user: User, secret: str) -> str:
    """The otpauth:// address an authenticator app reads from the QR code."""
    return pyotp.TOTP(secret).provisioning_uri(name=user.email, issuer_name=ISSUER)


def qr_data_url(uri: str) -> str:
    """The QR code as an SVG data: URL, drawn on the server (the CSP allows data: images only)."""
    # A white background keeps the code readable when the page uses a dark theme.
    return segno.make(uri, error="m").svg_data_uri(scale=5, light="#fff")


def _fernet() -> Fernet:
    key = HKDF(algorithm=hashes.SHA256(), length=32, salt=None,
               info=b"academy two-factor secrets").derive(current_app.config["SECRET_KEY"].encode())
    return Fernet(base64.urlsafe_b64encode(key))


def seal(secret: str) -> str:
    """Encrypt a TOTP secret for the database or the session cookie."""
    return _fernet().encrypt(secret.encode()).decode()


def unseal(sealed: str) -> str | None:
    """Decrypt a sealed secret; None when it was sealed under another SECRET_KEY (or altered)."""
    try:
        return _fernet().decrypt(sealed.encode()).decode()
    except InvalidToken:
        return None


# Who needs what

def is_enrolled(user: User) -> bool:
    return db.session.get(TotpCredential, user.id) is not None


def required_for(user: User) -> bool:
    """True when the user's role must use two-factor sign-in (ACADEMY_2FA_REQUIRED_ROLES)."""
    return user.role in current_app.config["ACADEMY_2FA_REQUIRED_ROLES"]


def must_enrol(user: User) -> bool:
    """True when the user's role requires two-factor sign-in and it is not set up yet."""
    return required_for(user) and not is_enrolled(user)


def second_step_required(user: User) -> bool:
    """True when a correct password alone must not sign this user in."""
    return required_for(user) or is_enrolled(user)


def recovery_codes_left(user: User) -> int:
    return db.session.scalar(db.select(func.count(RecoveryCode.id)).where(
        RecoveryCode.user_id == user.id, RecoveryCode.used_at.is_(None)))


# Checking codes. Helpers only flush (except _refuse, which says why); the public
# functions below commit.

def _matching_step(secret: str, code: str) -> int | None:
    """The time step (previous, current or next) whose code this is, or None."""
    totp = pyotp.TOTP(secret)
    now = totp.timecode(utcnow())
    for step in (now - 1, now, now + 1):
        if hmac.compare_digest(totp.generate_otp(step), code):
            return step
    return None


def _app_secret(user: User) -> str | None:
    credential = db.session.get(TotpCredential, user.id)
    if credential is None:
        return None
    secret = unseal(credential.secret_sealed)
    if secret is None:
        current_app.logger.warning("the two-factor secret of user %s cannot be decrypted: "
                                   "was SECRET_KEY changed?", user.id)
    return secret


def _use_app_code(user: User, code: str) -> bool:
    secret = _app_secret(user)
    step = _matching_step(secret, code) if secret else None
    if step is None:
        return False
    # One conditional update, so two requests with the same code cannot both pass.
    result = db.session.execute(
        update(TotpCredential)
        .where(TotpCredential.user_id == user.id, TotpCredential.last_step < step)
        .values(last_step=step)
        .execution_options(synchronize_session=False))
    return result.rowcount == 1


def _normalise_recovery(code: str) -> str:
    return re.sub(r"[^0-9a-z]", "", code.lower())


def _hash_recovery(code: str, salt: str | None = None) -> str:
    salt = salt or secrets.token_hex(16)
    digest = hashlib.sha256((salt + _normalise_recovery(code)).encode()).hexdigest()
    return f"{salt}${digest}"


def _use_recovery_code(user: User, code: str) -> bool:
    unused = db.session.scalars(db.select(RecoveryCode).where(
        RecoveryCode.user_id == user.id, RecoveryCode.used_at.is_(None))).all()
    for row in unused:
        salt = row.code_hash.partition("$")[0]
        if hmac.compare_digest(row.code_hash, _hash_recovery(code, salt)):
            result = db.session.execute(
                update(RecoveryCode).where(RecoveryCode.id == row.id, RecoveryCode.used_at.is_(None))
                .values(used_at=utcnow()).execution_options(synchronize_session=False))
            return result.rowcount == 1
    return False


def _compact(code: str) -> str:
    """What was typed, without the spaces and hyphens people add to read codes back."""
    return re.sub(r"[\s-]", "", code or "")


def _accept(user: User, code: str, *, ip: str) -> str | None:
    """Check an app code or an unused recovery code, using it up when it is right.
    Returns which kind it was ("app" or "recovery"), or None."""
    code = _compact(code)
    if _APP_CODE.fullmatch(code):
        return "app" if _use_app_code(user, code) else None
    if not _use_recovery_code(user, code):
        return None
    record_event(user, "2fa.recovery_used", user, {"left": recovery_codes_left(user)}, ip=ip)
    return "recovery"


def _refuse(user: User, during: str, error: TwoFactorError, *, ip: str) -> NoReturn:
    """Audit-log a failed check and raise. The entry is committed first: the failure
    is the whole transaction, and the exception must not take the entry with it."""
    record_event(user, "2fa.failure", user, {"during": during, "reason": type(error).__name__}, ip=ip)
    db.session.commit()
    raise error


def _new_recovery_codes(user: User) -> list[str]:
    """Replace the user's recovery codes; return the new ones (shown once, stored hashed)."""
    db.session.execute(delete(RecoveryCode).where(RecoveryCode.user_id == user.id))
    codes = []
    for _ in range(RECOVERY_CODE_COUNT):
        raw = "".join(secrets.choice(_RECOVERY_ALPHABET) for _ in range(_RECOVERY_LENGTH))
        codes.append("-".join(raw[i:i + 4] for i in range(0, _RECOVERY_LENGTH, 4)))
    db.session.add_all(RecoveryCode(user_id=user.id, code_hash=_hash_recovery(code)) for code in codes)
    return codes


# Public operations

def enable(user: User, secret: str, code: str, *, ip: str = "") -> list[str]:
    """Turn two-factor sign-in on once a code proves the app holds the secret; return the recovery codes."""
    if is_enrolled(user):
        raise TwoFactorError("Two-factor sign-in is already on for your account.")
    step = _matching_step(secret, _compact(code))
    if step is None:
        raise CodeRejected()
    db.session.add(TotpCredential(user_id=user.id, secret_sealed=seal(secret), last_step=step))
    codes = _new_recovery_codes(user)
    record_event(user, "2fa.enrol", user, ip=ip)
    try:
        db.session.commit()
    except IntegrityError:  # the same form sent twice at once: the first one won
        db.session.rollback()
        raise TwoFactorError("Two-factor sign-in is already on for your account.") from None
    return codes


def verify_sign_in(user: User, code: str, *, ip: str = "") -> str:
    """The second step of signing in: accept an app code ("app") or an unused recovery
    code ("recovery"), or raise CodeRejected."""
    method = _accept(user, code, ip=ip)
    if method is None:
        _refuse(user, "sign-in", CodeRejected(), ip=ip)
    record_event(user, "2fa.success", user, {"method": method}, ip=ip)
    db.session.commit()
    return method


def disable(user: User, password: str, code: str, *, ip: str = "") -> None:
    """Turn two-factor sign-in off; needs the password and a current (or recovery) code."""
    if not passwords.verify_password(user.password_hash, password):
        _refuse(user, "disable", PasswordIncorrect(), ip=ip)
    if not _accept(user, code, ip=ip):
        _refuse(user, "disable", CodeRejected(), ip=ip)
    db.session.execute(delete(TotpCredential).where(TotpCredential.user_id == user.id))
    db.session.execute(delete(RecoveryCode).where(RecoveryCode.user_id == user.id))
    record_event(user, "2fa.disable", user, ip=ip)
    db.session.commit()


def reset(actor: User | None, user: User, *, ip: str = "") -> None:
    """Turn someone else's two-factor sign-in off: for a person who lost both their app and their
    recovery codes (an administrator's page, or `flask academy reset-2fa` when no administrator can
    sign in). Their sessions end, and they are told by email, so a reset they did not ask for is
    noticed. A role that requires two-factor sign-in sets it up again at the next sign-in.
    """
    if not is_enrolled(user):
        raise TwoFactorError(f"{user.email} does not use two-factor sign-in; there is nothing to turn off.")
    db.session.execute(delete(TotpCredential).where(TotpCredential.user_id == user.id))
    db.session.execute(delete(RecoveryCode).where(RecoveryCode.user_id == user.id))
    user.session_version += 1
    record_event(actor, "2fa.reset", user, ip=ip, actor_label="cli" if actor is None else "")
    db.session.commit()
    send_mail(user.email, "Two-factor sign-in was turned off on your Academy account",
              f"Hello {user.full_name},\n\nAn administrator turned off two-factor sign-in on your Academy "
              "account, and every session you had open has ended. You can set it up again from the "
              "Two-factor page after you sign in.\n\nIf you did not ask for this, tell your administrator "
              "and change your password now.")


def regenerate_recovery_codes(user: User, code: str, *, ip: str = "") -> list[str]:
    """Replace every recovery code (the old ones stop working); needs a current (or recovery) code."""
    if not is_enrolled(user):
        raise TwoFactorError("Two-factor sign-in is off, so there are no recovery codes to replace.")
    if not _accept(user, code, ip=ip):
        _refuse(user, "recovery codes", CodeRejected(), ip=ip)
    codes = _new_recovery_codes(user)
    record_event(user, "2fa.recovery_codes", user, ip=ip)
    db.session.commit()
    return codes
