"""Rosters and reports CE sponsors and licensing boards ask for."""
from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta, timezone
from decimal import Decimal

from sqlalchemy.orm import joinedload

from academy.extensions import db
from academy.learning.certificates import local_date
from academy.learning.completion import LIKERT_ITEMS
from academy.models import Certificate, Completion, Course, CourseVersion, Enrollment, Evaluation, User

CE_BROKER_HEADER = ["Provider number", "Course number", "License number", "First name", "Last name",
                    "Completion date", "State", "Profession", "Hours"]
ROSTER_HEADER = ["Name", "Email", "Credentials", "Profession", "License number", "License state", "Course",
                 "Version", "Hours", "Completion date", "Certificate code"]


def _completions(course: Course, start: date | None, end: date | None, batch: int = 500) -> Iterator[tuple]:
    """(completion, user, version, certificate code) rows for a course and date range, fetched in batches."""
    query = (db.select(Completion, User, CourseVersion, Certificate.code)
             .join(User, Completion.user_id == User.id)
             .join(CourseVersion, Completion.version_id == CourseVersion.id)
             .outerjoin(Certificate, (Certificate.completion_id == Completion.id) & (Certificate.generation == 0))
             .where(Completion.course_id == course.id).order_by(Completion.completed_at, Completion.id))
    if start:
        query = query.where(Completion.completed_at >= datetime.combine(start, time(), timezone.utc))
    if end:
        query = query.where(Completion.completed_at < datetime.combine(end + timedelta(days=1), time(), timezone.utc))
    offset = 0
    while True:
        rows = db.session.execute(query.limit(batch).offset(offset)).all()
        if not rows:
            return
        yield from rows
        offset += batch


def _split_name(full_name: str) -> tuple[str, str]:
    parts = full_name.strip().rsplit(" ", 1)
    return (parts[0], parts[1]) if len(parts) == 2 else (full_name.strip(), "")


def ce_broker_rows(course: Course, start: date | None, end: date | None) -> Iterator[list]:
    """One row per completion; provider and course numbers come from the version's first accreditation entry
    that has them."""
    for completion, user, version, _ in _completions(course, start, end):
        entry = next((a for a in version.settings.get("accreditation") or [] if a.get("provider_number")), {})
        first, last = _split_name(user.full_name)
        yield [entry.get("provider_number", ""), entry.get("course_number", ""), user.license_number, first, last,
               local_date(completion.completed_at).strftime("%m/%d/%Y"), user.license_state, user.profession,
               completion.hours]


def roster_rows(course: Course, start: date | None, end: date | None) -> Iterator[list]:
    for completion, user, version, code in _completions(course, start, end):
        yield [user.full_name, user.email, user.credentials, user.profession, user.license_number,
               user.license_state, version.title, version.version, completion.hours,
               local_date(completion.completed_at).isoformat(), code or ""]


@dataclass
class EvaluationSummary:
    responses: int
    means: dict[str, float | None]
    counts: dict[str, dict[int, int]]
    hours_claimed: Decimal
    comments: list[tuple[date, str]]


def evaluation_summary(course: Course, start: date | None, end: date | None) -> EvaluationSummary:
    query = (db.select(Evaluation).join(Enrollment, Evaluation.enrollment_id == Enrollment.id)
             .where(Enrollment.course_id == course.id).order_by(Evaluation.submitted_at))
    if start:
        query = query.where(Evaluation.submitted_at >= datetime.combine(start, time(), timezone.utc))
    if end:
        query = query.where(Evaluation.submitted_at < datetime.combine(end + timedelta(days=1), time(), timezone.utc))
    evaluations = db.session.scalars(query).all()
    counts = {key: {n: 0 for n in range(1, 6)} for key in LIKERT_ITEMS}
    for evaluation in evaluations:
        for key in LIKERT_ITEMS:
            value = evaluation.ratings.get(key)
            if value in counts[key]:
                counts[key][value] += 1
    means = {key: (round(sum(n * c for n, c in counts[key].items()) / sum(counts[key].values()), 2)
                   if sum(counts[key].values()) else None) for key in LIKERT_ITEMS}
    return EvaluationSummary(len(evaluations), means, counts,
                             sum((e.hours_claimed for e in evaluations), Decimal("0")),
                             [(local_date(e.submitted_at), e.comments) for e in evaluations if e.comments])


def course_by_slug(slug: str) -> Course | None:
    return db.session.scalar(db.select(Course).options(joinedload(Course.current_version)).where(Course.slug == slug))
