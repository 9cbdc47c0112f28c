"""Administration: groups of clinicians, requirement sets and their assignments, and sent reminders."""
from __future__ import annotations

from datetime import date, datetime

from sqlalchemy import Date, ForeignKey, Index, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from academy.extensions import db
from academy.models.base import UTCDateTime, utcnow
from academy.models.course import Course


class Group(db.Model):
    """A team or site clinicians belong to (several at once)."""

    __tablename__ = "groups"

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(200), unique=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)

    @property
    def audit_label(self) -> str:
        return self.name


class GroupMembership(db.Model):
    __tablename__ = "group_memberships"

    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), primary_key=True)
    group_id: Mapped[int] = mapped_column(ForeignKey("groups.id", ondelete="CASCADE"), primary_key=True)

    __table_args__ = (Index("ix_group_memberships_group", "group_id"),)


class RequirementSet(db.Model):
    """What a clinician must hold to be cleared, e.g. "KAP clinician clearance": current
    certificates in the listed courses."""

    __tablename__ = "requirement_sets"

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(200), unique=True)
    description: Mapped[str] = mapped_column(Text, default="")
    # A certificate expiring within this many days makes a cleared clinician "expiring".
    window_days: Mapped[int] = mapped_column(default=60)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)

    courses: Mapped[list[RequirementCourse]] = relationship(cascade="all, delete-orphan")
    assignments: Mapped[list[RequirementAssignment]] = relationship(cascade="all, delete-orphan")

    @property
    def audit_label(self) -> str:
        return self.name


class RequirementCourse(db.Model):
    __tablename__ = "requirement_courses"

    requirement_set_id: Mapped[int] = mapped_column(ForeignKey("requirement_sets.id", ondelete="CASCADE"),
                                                    primary_key=True)
    course_id: Mapped[int] = mapped_column(ForeignKey("courses.id"), primary_key=True)

    course: Mapped[Course] = relationship()


class RequirementAssignment(db.Model):
    """Who a requirement set applies to: everyone of a profession, a group, or one clinician."""

    __tablename__ = "requirement_assignments"

    id: Mapped[int] = mapped_column(primary_key=True)
    requirement_set_id: Mapped[int] = mapped_column(ForeignKey("requirement_sets.id", ondelete="CASCADE"))
    target_type: Mapped[str] = mapped_column(String(16))  # profession | group | user
    profession: Mapped[str | None] = mapped_column(String(100))
    group_id: Mapped[int | None] = mapped_column(ForeignKey("groups.id", ondelete="CASCADE"))
    user_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"))
    due_on: Mapped[date] = mapped_column(Date)
    created_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)

    __table_args__ = (Index("ix_requirement_assignments_set", "requirement_set_id"),)


class Reminder(db.Model):
    """A reminder email that was sent. The unique key is what makes "never the same reminder twice"."""

    __tablename__ = "reminders"

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id"))
    kind: Mapped[str] = mapped_column(String(32))        # certificate_expiry | requirement_due
    subject: Mapped[str] = mapped_column(String(64))     # certificate id, or requirement set id + due date
    threshold: Mapped[int]                               # days before (0 = on the day)
    sent_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    detail: Mapped[str] = mapped_column(Text, default="")

    __table_args__ = (
        UniqueConstraint("user_id", "kind", "subject", "threshold", name="uq_reminders_once"),
        Index("ix_reminders_sent_at", "sent_at"),
    )
