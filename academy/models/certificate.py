"""Certificates: a frozen snapshot of what was certified, under a random code."""
from __future__ import annotations

from datetime import date, datetime

from sqlalchemy import JSON, Date, ForeignKey, Index, String, Text, UniqueConstraint, text
from sqlalchemy.orm import Mapped, mapped_column, relationship

from academy.extensions import db
from academy.models.base import UTCDateTime, utcnow
from academy.models.course import Course, CourseVersion, Program

# The rows that say what a clinician holds now: a course certificate nothing has superseded.
# Queries that should read ix_certificates_current use this text itself: SQLite uses a partial
# index only when the query repeats its condition with literal values, not bound parameters.
CURRENT_COURSE_CERTIFICATE = text("kind = 'course' AND superseded_by_id IS NULL")


class Certificate(db.Model):
    __tablename__ = "certificates"

    id: Mapped[int] = mapped_column(primary_key=True)
    # 26 Crockford base32 characters, 128 random bits (academy.certificates.codes).
    code: Mapped[str] = mapped_column(String(26), unique=True)
    kind: Mapped[str] = mapped_column(String(16))  # course | program
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id"))
    # Course certificates: the completion they certify. `generation` 0 is the
    # one issued on completion; re-issues (name corrections) count up. The
    # unique pair is what makes "one certificate per completion" a rule of the
    # database rather than of the code.
    completion_id: Mapped[int | None] = mapped_column(ForeignKey("completions.id"))
    generation: Mapped[int] = mapped_column(default=0)
    course_id: Mapped[int | None] = mapped_column(ForeignKey("courses.id"))
    version_id: Mapped[int | None] = mapped_column(ForeignKey("course_versions.id"))
    # Program certificates: the program and the course certificates they stand on.
    program_id: Mapped[int | None] = mapped_column(ForeignKey("programs.id"))
    basis: Mapped[str | None] = mapped_column(String(400))  # sorted course certificate ids
    snapshot: Mapped[dict] = mapped_column(JSON)
    issued_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    expires_on: Mapped[date | None] = mapped_column(Date)
    # Set when a newer major version of the course requires recertification.
    recertify_by: Mapped[date | None] = mapped_column(Date)
    revoked_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    revoked_reason: Mapped[str | None] = mapped_column(Text)
    revoked_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    superseded_by_id: Mapped[int | None] = mapped_column(ForeignKey("certificates.id"))
    superseded_at: Mapped[datetime | None] = mapped_column(UTCDateTime())

    course: Mapped[Course | None] = relationship()
    version: Mapped[CourseVersion | None] = relationship()
    program: Mapped[Program | None] = relationship()
    superseded_by: Mapped[Certificate | None] = relationship(remote_side=[id])

    __table_args__ = (
        UniqueConstraint("completion_id", "generation", name="uq_certificates_completion"),
        UniqueConstraint("user_id", "program_id", "basis", name="uq_certificates_program_basis"),
        Index("ix_certificates_user_course", "user_id", "course_id"),
        Index("ix_certificates_course_expiry", "course_id", "expires_on"),
        # Current course certificates in clinician order, read from the index alone:
        # requirement clearance for every clinician (dashboard, reminders).
        Index("ix_certificates_current", "user_id", "issued_at", "course_id", "expires_on", "revoked_at",
              sqlite_where=CURRENT_COURSE_CERTIFICATE, postgresql_where=CURRENT_COURSE_CERTIFICATE),
    )

    @property
    def audit_label(self) -> str:
        return self.code


class ReissueRequest(db.Model):
    """A clinician's request to re-issue a certificate after correcting their profile."""

    __tablename__ = "reissue_requests"

    id: Mapped[int] = mapped_column(primary_key=True)
    certificate_id: Mapped[int] = mapped_column(ForeignKey("certificates.id"))
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id"))
    note: Mapped[str] = mapped_column(Text, default="")
    requested_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    status: Mapped[str] = mapped_column(String(16), default="pending")  # pending | approved | declined
    decided_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    decided_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    new_certificate_id: Mapped[int | None] = mapped_column(ForeignKey("certificates.id"))

    certificate: Mapped[Certificate] = relationship(foreign_keys=[certificate_id])

    __table_args__ = (Index("ix_reissue_requests_status", "status"),)
