"""Courses and their immutable versions, modules, post-test questions, media and programs.

A course is a stable identity (its slug); what clinicians read and are examined
on lives in a CourseVersion. Versions are never edited: a change to the content
creates a new version, so attempts, completions and certificates stay pinned
to exactly what was studied.
"""
from __future__ import annotations

from datetime import datetime
from decimal import Decimal

from sqlalchemy import JSON, ForeignKey, LargeBinary, Numeric, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from academy.extensions import db
from academy.models.base import UTCDateTime, utcnow


class Course(db.Model):
    __tablename__ = "courses"

    id: Mapped[int] = mapped_column(primary_key=True)
    slug: Mapped[str] = mapped_column(String(100), unique=True)
    # "files": imported from courses/; "browser": created by a trainer in Academy.
    origin: Mapped[str] = mapped_column(String(16), default="files")
    current_version_id: Mapped[int | None] = mapped_column(
        ForeignKey("course_versions.id", use_alter=True, name="fk_courses_current_version"))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    retired_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    # Set when the course is changed in the browser; an import will not
    # overwrite such a course unless forced.
    browser_edited_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    last_imported_at: Mapped[datetime | None] = mapped_column(UTCDateTime())

    current_version: Mapped[CourseVersion | None] = relationship(
        foreign_keys=[current_version_id], post_update=True)

    @property
    def audit_label(self) -> str:
        return self.slug

    @property
    def edited_in_browser_since_import(self) -> bool:
        if self.browser_edited_at is None:
            return False
        return self.last_imported_at is None or self.browser_edited_at > self.last_imported_at


class CourseVersion(db.Model):
    __tablename__ = "course_versions"

    id: Mapped[int] = mapped_column(primary_key=True)
    course_id: Mapped[int] = mapped_column(ForeignKey("courses.id", ondelete="CASCADE"))
    # 1, 2, 3… in order of creation; `version` is the author's semantic version.
    sequence: Mapped[int]
    version: Mapped[str] = mapped_column(String(32))
    major: Mapped[int]
    content_hash: Mapped[str] = mapped_column(String(64))
    title: Mapped[str] = mapped_column(String(300))
    summary: Mapped[str] = mapped_column(Text)
    settings: Mapped[dict] = mapped_column(JSON)
    overview_html: Mapped[str] = mapped_column(Text)
    ce_hours: Mapped[Decimal] = mapped_column(Numeric(5, 2))
    # The whole course as data (academy.content.model.to_normal_form), so that
    # any version can be exported back to files or restored. Deferred: it holds
    # every module and question, and pages that load a version never need it.
    normal_form: Mapped[dict] = mapped_column(JSON, deferred=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)

    course: Mapped[Course] = relationship(foreign_keys=[course_id])
    modules: Mapped[list[Module]] = relationship(order_by="Module.position", back_populates="version",
                                                 cascade="all, delete-orphan")
    questions: Mapped[list[Question]] = relationship(order_by="Question.position", back_populates="version",
                                                     cascade="all, delete-orphan")

    __table_args__ = (UniqueConstraint("course_id", "sequence", name="uq_course_versions_sequence"),)


class Module(db.Model):
    __tablename__ = "modules"

    id: Mapped[int] = mapped_column(primary_key=True)
    version_id: Mapped[int] = mapped_column(ForeignKey("course_versions.id", ondelete="CASCADE"))
    position: Mapped[int]
    slug: Mapped[str] = mapped_column(String(100))
    title: Mapped[str] = mapped_column(String(300))
    minutes: Mapped[int]
    html: Mapped[str] = mapped_column(Text)

    version: Mapped[CourseVersion] = relationship(back_populates="modules")

    __table_args__ = (
        UniqueConstraint("version_id", "position", name="uq_modules_position"),
        UniqueConstraint("version_id", "slug", name="uq_modules_slug"),
    )


class Question(db.Model):
    """A post-test question. What a clinician may see before grading (prompt,
    choices) is kept apart from the key, so a page cannot leak it by accident."""

    __tablename__ = "questions"

    id: Mapped[int] = mapped_column(primary_key=True)
    version_id: Mapped[int] = mapped_column(ForeignKey("course_versions.id", ondelete="CASCADE"))
    qid: Mapped[str] = mapped_column(String(100))  # the author's stable `Id:`
    position: Mapped[int]
    type: Mapped[str] = mapped_column(String(16))
    prompt_html: Mapped[str] = mapped_column(Text)
    # [{"key": "a", "html": "…"}]: safe to show before submission.
    choices: Mapped[list] = mapped_column(JSON)
    # Correct choices / accepted answers / numeric bounds, feedback and rationale.
    answer_key: Mapped[dict] = mapped_column(JSON)

    version: Mapped[CourseVersion] = relationship(back_populates="questions")

    __table_args__ = (UniqueConstraint("version_id", "qid", name="uq_questions_qid"),)


class Media(db.Model):
    """An image stored in the database under its SHA-256, so every app server can serve it."""

    __tablename__ = "media"

    sha256: Mapped[str] = mapped_column(String(64), primary_key=True)
    content_type: Mapped[str] = mapped_column(String(64))
    size: Mapped[int]
    data: Mapped[bytes] = mapped_column(LargeBinary)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)


class Program(db.Model):
    """A bundle of courses, e.g. "Comprehensive KAP Assessment"."""

    __tablename__ = "programs"

    id: Mapped[int] = mapped_column(primary_key=True)
    slug: Mapped[str] = mapped_column(String(100), unique=True)
    title: Mapped[str] = mapped_column(String(300))
    summary: Mapped[str] = mapped_column(Text, default="")
    retired_at: Mapped[datetime | None] = mapped_column(UTCDateTime())

    entries: Mapped[list[ProgramCourse]] = relationship(order_by="ProgramCourse.position",
                                                        cascade="all, delete-orphan")


class ProgramCourse(db.Model):
    __tablename__ = "program_courses"

    program_id: Mapped[int] = mapped_column(ForeignKey("programs.id", ondelete="CASCADE"), primary_key=True)
    course_id: Mapped[int] = mapped_column(ForeignKey("courses.id", ondelete="CASCADE"), primary_key=True)
    position: Mapped[int]

    course: Mapped[Course] = relationship()




class RenderedText(db.Model):
    """The render cache: Markdown rendered at an earlier import, keyed by every input of the
    rendering, so that re-importing unchanged content does not render it again."""

    __tablename__ = "rendered_texts"

    key: Mapped[str] = mapped_column(String(64), primary_key=True)
    value: Mapped[dict] = mapped_column(JSON)
