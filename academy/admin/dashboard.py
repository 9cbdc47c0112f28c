"""The administrator's dashboard figures, each from one aggregate query (or a fixed few)."""
from __future__ import annotations

from collections import Counter
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta, timezone

from sqlalchemy import and_, case, func

from academy.admin.records import clearance_counts, published_courses, requirement_sets
from academy.extensions import db
from academy.models import Attempt, Certificate, Completion, CourseVersion, User
from academy.models.certificate import CURRENT_COURSE_CERTIFICATE


@dataclass
class Dashboard:
    clinicians: int
    active_certifications: int
    expiring: dict[int, int]           # within 30 / 60 / 90 days
    expired: int
    requirement_counts: list[tuple[object, Counter]]
    courses: list[dict]                # title, completions, submitted attempts, pass rate
    months: list[tuple[str, int]]      # "2026-11", completions


def _month_key(column):
    """Year-month of a timestamp, in the database's own dialect."""
    if db.engine.dialect.name == "postgresql":
        return func.to_char(func.timezone("UTC", column), "YYYY-MM")
    return func.strftime("%Y-%m", column)


def build(today: date) -> Dashboard:
    clinicians = db.session.scalar(db.select(func.count(User.id)).where(User.role == "clinician",
                                                                         User.active.is_(True)))
    # The partial index's own condition, literally, so the databases read that index.
    current = and_(CURRENT_COURSE_CERTIFICATE, Certificate.revoked_at.is_(None))
    in_days = lambda days: func.sum(case(  # noqa: E731
        ((Certificate.expires_on >= today) & (Certificate.expires_on <= today + timedelta(days=days)), 1), else_=0))
    row = db.session.execute(db.select(
        func.sum(case(((Certificate.expires_on.is_(None)) | (Certificate.expires_on >= today), 1), else_=0)),
        in_days(30), in_days(60), in_days(90),
        func.sum(case((Certificate.expires_on < today, 1), else_=0))).where(current)).one()
    active, d30, d60, d90, expired = (int(value or 0) for value in row)

    by_course = dict(db.session.execute(db.select(Completion.course_id, func.count(Completion.id))
                                        .group_by(Completion.course_id)).all())
    # Counted per version from the attempts index alone, then summed per course:
    # joining versions in the query made PostgreSQL read every (large) attempt row.
    course_of = dict(db.session.execute(db.select(CourseVersion.id, CourseVersion.course_id)).all())
    attempts: dict[int, tuple[int, int]] = {}
    for version_id, total, passed in db.session.execute(
            db.select(Attempt.version_id, func.count(), func.sum(case((Attempt.passed.is_(True), 1), else_=0)))
            .where(Attempt.status == "submitted").group_by(Attempt.version_id)):
        course_total, course_passed = attempts.get(course_of[version_id], (0, 0))
        attempts[course_of[version_id]] = (course_total + total, course_passed + int(passed or 0))
    courses = []
    for course in published_courses():
        total, passed = attempts.get(course.id, (0, 0))
        courses.append({"title": course.current_version.title, "slug": course.slug,
                        "completions": by_course.get(course.id, 0), "attempts": total,
                        "pass_rate": round(100 * passed / total) if total else None})

    start = (today.replace(day=1) - timedelta(days=335)).replace(day=1)
    month = _month_key(Completion.completed_at)
    per_month = dict(db.session.execute(
        db.select(month, func.count(Completion.id))
        .where(Completion.completed_at >= datetime.combine(start, time(), timezone.utc)).group_by(month)).all())
    months, cursor = [], start
    for _ in range(12):
        key = cursor.strftime("%Y-%m")
        months.append((key, int(per_month.get(key, 0))))
        cursor = (cursor.replace(day=28) + timedelta(days=4)).replace(day=1)

    counts = clearance_counts(today)
    requirement_counts = [(rs, counts.get(rs.id, Counter())) for rs in requirement_sets()]
    return Dashboard(clinicians, active, {30: d30, 60: d60, 90: d90}, expired, requirement_counts, courses, months)


def chart_svg(months: list[tuple[str, int]]) -> str:
    """Completions per month as a bar chart in SVG (server-side; the page shows the same figures in a table)."""
    width, height, pad = 600, 200, 30
    peak = max((count for _, count in months), default=0) or 1
    bar = (width - pad) / len(months)
    parts = [f'<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 {width} {height + 20}" role="img" '
             f'aria-labelledby="chart-title"><title id="chart-title">Completions per month, last 12 months</title>']
    for index, (key, count) in enumerate(months):
        h = (height - pad) * count / peak
        x = pad + index * bar
        parts.append(f'<rect class="bar" x="{x + 2:.1f}" y="{height - h:.1f}" width="{bar - 4:.1f}" height="{h:.1f}">'
                     f'<title>{key}: {count}</title></rect>')
        parts.append(f'<text class="label" x="{x + bar / 2:.1f}" y="{height + 14}" text-anchor="middle">{key[5:]}</text>')
        if count:
            parts.append(f'<text class="value" x="{x + bar / 2:.1f}" y="{height - h - 4:.1f}" '
                         f'text-anchor="middle">{count}</text>')
    parts.append("</svg>")
    return "".join(parts)
