"""Password policy (NIST SP 800-63B style) and hashing.

Length is what makes a password strong, so there are no composition rules: at
least 12 characters, up to 256, and not one of the commonly used passwords.
The common list ships inside the zxcvbn package (30,000 leaked passwords), so
nothing is fetched at run time.
"""
from __future__ import annotations

from functools import lru_cache

from werkzeug.security import check_password_hash, generate_password_hash

MIN_LENGTH = 12
MAX_LENGTH = 256


class PasswordRejected(ValueError):
    """The password breaks the policy; the message says how to fix it."""


@lru_cache(maxsize=1)
def _common_passwords() -> frozenset[str]:
    from zxcvbn.frequency_lists import FREQUENCY_LISTS

    return frozenset(FREQUENCY_LISTS["passwords"])


def check_policy(password: str, *, email: str = "", name: str = "") -> None:
    """Raise PasswordRejected with a specific message when the password is unacceptable."""
    if len(password) < MIN_LENGTH:
        raise PasswordRejected(f"Use at least {MIN_LENGTH} characters (a few unrelated words work well).")
    if len(password) > MAX_LENGTH:
        raise PasswordRejected(f"Use at most {MAX_LENGTH} characters.")
    lowered = password.lower()
    if lowered in _common_passwords():
        raise PasswordRejected("This password is on a list of commonly used passwords; choose another.")
    if email and lowered == email.lower():
        raise PasswordRejected("Your password must not be your email address.")
    if name and lowered == name.lower():
        raise PasswordRejected("Your password must not be your name.")


def hash_password(password: str) -> str:
    # scrypt is memory-hard; werkzeug hashes the whole string (no 72-byte cut as in bcrypt).
    return generate_password_hash(password, method="scrypt")


def verify_password(password_hash: str, password: str) -> bool:
    return check_password_hash(password_hash, password)


# Compared against when the account does not exist, so that an unknown email
# costs the same time as a wrong password and reveals nothing.
_DUMMY_HASH: list[str] = []


def burn_time(password: str) -> None:
    if not _DUMMY_HASH:
        _DUMMY_HASH.append(hash_password("dummy password for timing"))
    check_password_hash(_DUMMY_HASH[0], password)
