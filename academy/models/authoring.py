"""Authoring in the browser: which trainers maintain which courses, and each course's draft."""
from __future__ import annotations

from datetime import datetime

from sqlalchemy import JSON, ForeignKey
from sqlalchemy.orm import Mapped, mapped_column

from academy.extensions import db
from academy.models.base import UTCDateTime, utcnow


class CourseTrainer(db.Model):
    __tablename__ = "course_trainers"

    course_id: Mapped[int] = mapped_column(ForeignKey("courses.id", ondelete="CASCADE"), primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), primary_key=True)


class Draft(db.Model):
    """Unpublished edits of a course, kept as the very files the file format describes.

    Keeping the draft as files means the browser and git go through the same
    checks, renderer and importer. `revisions` counts saves per file so that
    a second trainer's save of a stale copy is detected instead of silently
    overwriting the first.
    """

    __tablename__ = "drafts"

    id: Mapped[int] = mapped_column(primary_key=True)
    course_id: Mapped[int] = mapped_column(ForeignKey("courses.id", ondelete="CASCADE"), unique=True)
    base_version_id: Mapped[int | None] = mapped_column(ForeignKey("course_versions.id"))
    files: Mapped[dict] = mapped_column(JSON)       # {"course.md": text, "01-x.md": text, "quiz.md": text}
    images: Mapped[dict] = mapped_column(JSON)      # {"images/x.png": sha256}
    revisions: Mapped[dict] = mapped_column(JSON)   # {"01-x.md": 3}
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    updated_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
