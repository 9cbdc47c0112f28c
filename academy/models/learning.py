"""A clinician's work on a course version: enrollment, module progress, post-test
attempts, the evaluation and the completion.

Everything is pinned to a CourseVersion, so a later edit of the course never
changes what someone studied, answered or earned.
"""
from __future__ import annotations

from datetime import datetime
from decimal import Decimal

from sqlalchemy import JSON, ForeignKey, Index, Numeric, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from academy.extensions import db
from academy.models.base import UTCDateTime, utcnow
from academy.models.course import Course, CourseVersion


class Enrollment(db.Model):
    """A clinician taking one version of a course.

    `cycle` counts a clinician's enrollments in a course (1, 2, … for
    recertification or a move to a new major version); the latest is current.
    """

    __tablename__ = "enrollments"

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id"))
    course_id: Mapped[int] = mapped_column(ForeignKey("courses.id"))
    version_id: Mapped[int] = mapped_column(ForeignKey("course_versions.id"))
    cycle: Mapped[int] = mapped_column(default=1)
    started_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    # Set when the clinician was moved off this version by a major update.
    superseded_at: Mapped[datetime | None] = mapped_column(UTCDateTime())

    course: Mapped[Course] = relationship()
    version: Mapped[CourseVersion] = relationship()

    __table_args__ = (
        UniqueConstraint("user_id", "course_id", "cycle", name="uq_enrollments_cycle"),
    )


class ModuleProgress(db.Model):
    __tablename__ = "module_progress"

    enrollment_id: Mapped[int] = mapped_column(ForeignKey("enrollments.id", ondelete="CASCADE"), primary_key=True)
    module_id: Mapped[int] = mapped_column(ForeignKey("modules.id"), primary_key=True)
    completed_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)


class Attempt(db.Model):
    """One sitting of a post-test. Its draw (questions and choice order) is fixed
    when it opens; submitting moves it from open to submitted exactly once."""

    __tablename__ = "attempts"

    id: Mapped[int] = mapped_column(primary_key=True)
    # What URLs carry: random, so attempts cannot be guessed or enumerated.
    public_id: Mapped[str] = mapped_column(String(32), unique=True)
    enrollment_id: Mapped[int] = mapped_column(ForeignKey("enrollments.id"))
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id"))
    version_id: Mapped[int] = mapped_column(ForeignKey("course_versions.id"))
    number: Mapped[int]
    status: Mapped[str] = mapped_column(String(16), default="open")  # open | submitted
    started_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    deadline_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    extensions: Mapped[int] = mapped_column(default=0)
    # [{"qid": "...", "choices": ["b", "a", "c"]}, ...] in the order shown.
    draw: Mapped[list] = mapped_column(JSON)
    # {"qid": response} saved as the clinician goes.
    answers: Mapped[dict] = mapped_column(JSON, default=dict)
    submitted_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    score: Mapped[Decimal | None] = mapped_column(Numeric(5, 2))
    passed: Mapped[bool | None]
    # {"qid": {"score": 1.0, "correct": true}}
    results: Mapped[dict | None] = mapped_column(JSON)

    enrollment: Mapped[Enrollment] = relationship()
    version: Mapped[CourseVersion] = relationship()

    __table_args__ = (
        # Two tabs opening "attempt 2" at once cannot both succeed.
        UniqueConstraint("enrollment_id", "number", name="uq_attempts_number"),
        Index("ix_attempts_user", "user_id"),
        Index("ix_attempts_enrollment_passed", "enrollment_id", "passed"),
        # Covers the dashboard's pass rates (counted from the index alone) and item analysis.
        Index("ix_attempts_version_status_passed", "version_id", "status", "passed"),
    )


class AttemptGrant(db.Model):
    """An administrator's allowance for one clinician on one course: extra attempts or extra minutes."""

    __tablename__ = "attempt_grants"

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id"))
    course_id: Mapped[int] = mapped_column(ForeignKey("courses.id"))
    extra_attempts: Mapped[int] = mapped_column(default=0)
    extra_minutes: Mapped[int] = mapped_column(default=0)
    granted_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    reason: Mapped[str] = mapped_column(Text, default="")
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)

    __table_args__ = (Index("ix_attempt_grants_user_course", "user_id", "course_id"),)


class Evaluation(db.Model):
    """The course evaluation and time attestation CE sponsors require before credit."""

    __tablename__ = "evaluations"

    id: Mapped[int] = mapped_column(primary_key=True)
    enrollment_id: Mapped[int] = mapped_column(ForeignKey("enrollments.id"), unique=True)
    # {"objectives_met": 1-5, "relevance": 1-5, "quality": 1-5, "bias_free": 1-5, "recommend": 1-5}
    ratings: Mapped[dict] = mapped_column(JSON)
    comments: Mapped[str] = mapped_column(Text, default="")
    hours_claimed: Mapped[Decimal] = mapped_column(Numeric(5, 2))
    submitted_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)


class Completion(db.Model):
    """A course version completed: modules read, post-test passed, evaluation in. Recorded once."""

    __tablename__ = "completions"

    id: Mapped[int] = mapped_column(primary_key=True)
    enrollment_id: Mapped[int] = mapped_column(ForeignKey("enrollments.id"), unique=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id"))
    course_id: Mapped[int] = mapped_column(ForeignKey("courses.id"))
    version_id: Mapped[int] = mapped_column(ForeignKey("course_versions.id"))
    attempt_id: Mapped[int] = mapped_column(ForeignKey("attempts.id"))
    hours: Mapped[Decimal] = mapped_column(Numeric(5, 2))
    completed_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)

    course: Mapped[Course] = relationship()
    version: Mapped[CourseVersion] = relationship()

    __table_args__ = (
        Index("ix_completions_user", "user_id"),
        # Rosters and the dashboard read completions by course and date.
        Index("ix_completions_course_completed", "course_id", "completed_at"),
        Index("ix_completions_completed", "completed_at"),
    )
