"""One-time, expiring, single-use link tokens (email confirmation, password reset)."""
from __future__ import annotations

import hashlib
import secrets
from datetime import timedelta

from sqlalchemy import update

from academy.extensions import db
from academy.models import User, UserToken
from academy.models.base import utcnow


class TokenInvalid(ValueError):
    """The link is unknown, expired or already used; which one is not revealed."""


def _digest(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def issue(user: User, purpose: str, hours: int) -> str:
    """Add a token row (caller commits) and return the secret that goes in the link."""
    secret = secrets.token_urlsafe(32)
    db.session.add(UserToken(user_id=user.id, purpose=purpose, token_hash=_digest(secret),
                             expires_at=utcnow() + timedelta(hours=hours)))
    return secret


def consume(secret: str, purpose: str) -> User:
    """Mark the token used in one conditional update, so two clicks cannot both use it."""
    now = utcnow()
    digest = _digest(secret or "")
    token = db.session.scalar(db.select(UserToken).where(
        UserToken.token_hash == digest, UserToken.purpose == purpose))
    if token is None:
        raise TokenInvalid()
    result = db.session.execute(
        update(UserToken)
        .where(UserToken.id == token.id, UserToken.used_at.is_(None), UserToken.expires_at > now)
        .values(used_at=now)
        .execution_options(synchronize_session=False))
    if result.rowcount != 1:
        raise TokenInvalid()
    return db.session.get(User, token.user_id)


def peek(secret: str, purpose: str) -> User | None:
    """The user a still-valid token belongs to, without using it (to show the form)."""
    token = db.session.scalar(db.select(UserToken).where(
        UserToken.token_hash == _digest(secret or ""), UserToken.purpose == purpose,
        UserToken.used_at.is_(None), UserToken.expires_at > utcnow()))
    return db.session.get(User, token.user_id) if token else None
