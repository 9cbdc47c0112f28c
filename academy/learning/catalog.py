"""The catalog and "my learning": each course with the clinician's status, in a fixed number of queries."""
from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date
from decimal import Decimal

from sqlalchemy import func
from sqlalchemy.orm import joinedload

from academy.extensions import db
from academy.learning.certificates import status_of
from academy.models import (Attempt, Certificate, Completion, Course, CourseVersion, Enrollment, Module, ModuleProgress,
                            Program, User)

STATUS_LABELS = {
    "not_started": "Not started",
    "in_progress": "In progress",
    "passed": "Post-test passed",
    "completed": "Completed",
    "certified": "Certified",
    "expiring": "Certified, expiring soon",
    "expired": "Certificate expired",
}


@dataclass
class CourseCard:
    course: Course
    version: CourseVersion               # the current version
    status: str = "not_started"
    percent: int = 0
    taking_version: str | None = None    # the version the clinician is enrolled in
    missing: list[str] = field(default_factory=list)  # titles of unmet prerequisites

    certified_until: date | None = None

    @property
    def label(self) -> str:
        label = STATUS_LABELS[self.status]
        if self.status in ("certified", "expiring") and self.certified_until:
            label += f" until {self.certified_until.isoformat()}"
        return label

    @property
    def minutes(self) -> int:
        modules = sum(m["minutes"] for m in self.version.normal_form["modules"])
        quiz = self.version.normal_form.get("quiz") or {}
        return modules + int(quiz.get("minutes", 0))

    @property
    def ce_hours(self) -> Decimal:
        return self.version.ce_hours


def course_cards(user: User) -> list[CourseCard]:
    """Every published course with the clinician's status on it."""
    courses = db.session.scalars(
        db.select(Course).options(joinedload(Course.current_version).undefer(CourseVersion.normal_form))  # minutes
        .where(Course.retired_at.is_(None), Course.current_version_id.is_not(None))).all()
    latest = _latest_enrollments(user)
    module_totals = dict(db.session.execute(
        db.select(Module.version_id, func.count(Module.id))
        .where(Module.version_id.in_([e.version_id for e in latest.values()] or [0]))
        .group_by(Module.version_id)).all())
    enrollment_ids = [e.id for e in latest.values()] or [0]
    done = dict(db.session.execute(
        db.select(ModuleProgress.enrollment_id, func.count())
        .where(ModuleProgress.enrollment_id.in_(enrollment_ids)).group_by(ModuleProgress.enrollment_id)).all())
    passed = set(db.session.scalars(db.select(Attempt.enrollment_id).where(
        Attempt.enrollment_id.in_(enrollment_ids), Attempt.passed.is_(True))))
    completed = set(db.session.scalars(db.select(Completion.enrollment_id).where(
        Completion.enrollment_id.in_(enrollment_ids))))
    ever_completed = set(db.session.scalars(db.select(Completion.course_id).where(Completion.user_id == user.id)))
    titles = {c.slug: c.current_version.title for c in courses}
    held = {c.course_id: c for c in db.session.scalars(db.select(Certificate).options(
        joinedload(Certificate.version)).where(
        Certificate.user_id == user.id, Certificate.kind == "course", Certificate.superseded_by_id.is_(None),
        Certificate.revoked_at.is_(None)))}

    cards = []
    for course in sorted(courses, key=lambda c: c.current_version.title):
        card = CourseCard(course, course.current_version)
        card.missing = [titles.get(slug, slug) for slug in course.current_version.settings.get("prerequisites", [])
                        if slug not in {c.slug for c in courses if c.id in ever_completed}]
        enrollment = latest.get(course.id)
        if enrollment is not None:
            card.taking_version = enrollment.version.version
            total = module_totals.get(enrollment.version_id, 0) or 1
            card.percent = round(100 * done.get(enrollment.id, 0) / total)
            if enrollment.id in completed:
                card.status, card.percent = "completed", 100
            elif enrollment.id in passed:
                card.status = "passed"
            else:
                card.status = "in_progress"
        if course.id in held and card.status in ("completed", "not_started", "in_progress"):
            certificate = held[course.id]
            state = status_of(certificate)
            if card.status == "completed" or state.state in ("valid", "expired"):
                card.status = {"valid": "expiring" if state.expiring else "certified",
                               "expired": "expired"}.get(state.state, card.status)
                card.certified_until = certificate.expires_on
        cards.append(card)
    return cards


def _latest_enrollments(user: User) -> dict[int, Enrollment]:
    newest = (db.select(Enrollment.course_id, func.max(Enrollment.cycle).label("cycle"))
              .where(Enrollment.user_id == user.id).group_by(Enrollment.course_id).subquery())
    rows = db.session.scalars(
        db.select(Enrollment).options(joinedload(Enrollment.version))
        .join(newest, (Enrollment.course_id == newest.c.course_id) & (Enrollment.cycle == newest.c.cycle))
        .where(Enrollment.user_id == user.id)).all()
    return {e.course_id: e for e in rows}


def programs() -> list[Program]:
    return db.session.scalars(db.select(Program).where(Program.retired_at.is_(None)).order_by(Program.title)).all()


@dataclass(frozen=True)
class TranscriptRow:
    completion: Completion
    title: str
    version: str


def transcript(user: User) -> tuple[list[TranscriptRow], dict[int, Decimal], Decimal]:
    """Completed courses (newest first), hours claimed per year, and the total."""
    completions = db.session.scalars(
        db.select(Completion).options(joinedload(Completion.version))
        .where(Completion.user_id == user.id).order_by(Completion.completed_at.desc())).all()
    rows = [TranscriptRow(c, c.version.title, c.version.version) for c in completions]
    per_year: dict[int, Decimal] = {}
    for c in completions:
        per_year[c.completed_at.year] = per_year.get(c.completed_at.year, Decimal("0")) + c.hours
    return rows, dict(sorted(per_year.items(), reverse=True)), sum((c.hours for c in completions), Decimal("0"))
