"""Two-factor sign-in: a user's authenticator app and their one-time recovery codes."""
from __future__ import annotations

from datetime import datetime

from sqlalchemy import ForeignKey, String
from sqlalchemy.orm import Mapped, mapped_column

from academy.extensions import db
from academy.models.base import UTCDateTime, utcnow


class TotpCredential(db.Model):
    """A confirmed authenticator app (RFC 6238). A row exists only once a code has
    proved the app works, so "has a row" means "two-factor sign-in is on"."""

    __tablename__ = "totp_credentials"

    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), primary_key=True)
    # Encrypted with a key derived from SECRET_KEY (academy.accounts.twofactor), so a
    # copy of the database alone does not let anyone generate codes.
    secret_sealed: Mapped[str] = mapped_column(String(255))
    enabled_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    # The 30-second time step of the last accepted code: a code works only once.
    last_step: Mapped[int] = mapped_column(default=0)


class RecoveryCode(db.Model):
    """A one-time code for when the app is not at hand. Only a salted SHA-256 is stored."""

    __tablename__ = "recovery_codes"

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), index=True)
    code_hash: Mapped[str] = mapped_column(String(100))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    used_at: Mapped[datetime | None] = mapped_column(UTCDateTime())


__all__ = ["TotpCredential", "RecoveryCode"]
