"""The status matrix: clinicians × courses, filtered, sorted and paginated, and its CSV export."""
from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta, timezone

from sqlalchemy import and_, func, not_, or_, select

from academy.admin.records import held_certificates, progress, published_courses, set_courses
from academy.admin.status import CELL_LABELS, Cell, cell_status
from academy.extensions import db
from academy.models import (Attempt, Certificate, Completion, Course, Enrollment, GroupMembership, User)

PAGE_SIZE = 50
SORTS = {"name": User.full_name, "email": User.email, "profession": User.profession,
         "state": User.license_state, "joined": User.created_at}
EXPIRING_DAYS = 60


@dataclass(frozen=True)
class Filters:
    course: str = ""           # course slug: one column (and what status filters on)
    program: str = ""          # program slug: its courses
    requirement: int | None = None  # requirement set id: its courses
    status: str = ""           # a CELL_LABELS key
    group: int | None = None
    profession: str = ""
    state: str = ""
    search: str = ""           # name or email contains
    completed_from: date | None = None
    completed_to: date | None = None
    sort: str = "name"
    descending: bool = False
    page: int = 1


@dataclass
class Row:
    user: User
    cells: list[Cell] = field(default_factory=list)


@dataclass
class Page:
    courses: list[Course]
    rows: list[Row]
    total: int
    page: int
    pages: int


def _columns(filters: Filters) -> list[Course]:
    courses = published_courses()
    if filters.course:
        return [c for c in courses if c.slug == filters.course]
    if filters.program:
        from academy.models import Program

        program = db.session.scalar(db.select(Program).where(Program.slug == filters.program))
        wanted = {e.course_id for e in program.entries} if program else set()
        return [c for c in courses if c.id in wanted]
    if filters.requirement:
        wanted = set(set_courses().get(filters.requirement, []))
        return [c for c in courses if c.id in wanted]
    return courses


def _status_condition(status: str, course_ids: list[int], today: date):
    """SQL for "the clinician has this status in one of these courses".

    Written as uncorrelated IN subqueries: each runs once, instead of once
    per clinician (which the planner chose for EXISTS, walking the expiry
    index for all 10,000 rows).
    """
    current = (Certificate.course_id.in_(course_ids), Certificate.kind == "course",
               Certificate.superseded_by_id.is_(None))
    holders = lambda *conditions: User.id.in_(select(Certificate.user_id).where(*current, *conditions))  # noqa: E731
    soon = today + timedelta(days=EXPIRING_DAYS)
    if status == "revoked":
        return holders(Certificate.revoked_at.is_not(None))
    if status == "expired":
        return holders(Certificate.revoked_at.is_(None), Certificate.expires_on < today)
    if status == "expiring":
        return holders(Certificate.revoked_at.is_(None), Certificate.expires_on >= today,
                       Certificate.expires_on <= soon)
    if status == "certified":
        return holders(Certificate.revoked_at.is_(None), or_(Certificate.expires_on.is_(None),
                                                             Certificate.expires_on > soon))
    has_certificate = holders()
    enrolled = User.id.in_(select(Enrollment.user_id).where(Enrollment.course_id.in_(course_ids)))
    passed = User.id.in_(select(Attempt.user_id).join(Enrollment, Attempt.enrollment_id == Enrollment.id)
                         .where(Attempt.passed.is_(True), Enrollment.course_id.in_(course_ids)))
    if status == "passed":
        return and_(passed, not_(has_certificate))
    if status == "in_progress":
        return and_(enrolled, not_(passed), not_(has_certificate))
    if status == "not_started":
        return and_(not_(enrolled), not_(has_certificate))
    raise ValueError(f"unknown status {status!r}")


def _clinicians(filters: Filters, course_ids: list[int], today: date):
    query = select(User).where(User.role == "clinician")
    if filters.search:
        pattern = f"%{filters.search.strip().lower()}%"
        query = query.where(or_(func.lower(User.full_name).like(pattern), User.email.like(pattern)))
    if filters.profession:
        query = query.where(func.lower(User.profession) == filters.profession.strip().lower())
    if filters.state:
        query = query.where(func.lower(User.license_state) == filters.state.strip().lower())
    if filters.group:
        query = query.where(User.id.in_(select(GroupMembership.user_id)
                                        .where(GroupMembership.group_id == filters.group)))
    if filters.status in CELL_LABELS:
        query = query.where(_status_condition(filters.status, course_ids, today))
    if filters.completed_from or filters.completed_to:
        window = [Completion.course_id.in_(course_ids)]
        if filters.completed_from:
            window.append(Completion.completed_at >= datetime.combine(filters.completed_from, time(), timezone.utc))
        if filters.completed_to:
            window.append(Completion.completed_at < datetime.combine(filters.completed_to + timedelta(days=1), time(),
                                                                      timezone.utc))
        query = query.where(User.id.in_(select(Completion.user_id).where(*window)))
    return query


def _ordered(query, filters: Filters):
    column = SORTS.get(filters.sort, User.full_name)
    return query.order_by(column.desc() if filters.descending else column.asc(), User.id)


@dataclass(frozen=True)
class Column:
    """What a course column needs, as plain values (an export outlives the session's objects)."""

    course_id: int
    title: str
    window_days: int


def _plain(courses: list[Course]) -> list[Column]:
    return [Column(c.id, c.current_version.title,
                   int(c.current_version.settings.get("recertification_window_days", EXPIRING_DAYS)))
            for c in courses]


def _cells(users: list[User], columns: list[Column], today: date) -> list[Row]:
    ids = [u.id for u in users]
    held = held_certificates(ids, [c.course_id for c in columns])
    enrolled, passed = progress(ids)
    rows = []
    for user in users:
        row = Row(user)
        for column in columns:
            key = (user.id, column.course_id)
            row.cells.append(cell_status(held.get(key), key in enrolled, key in passed, today, column.window_days))
        rows.append(row)
    return rows


def page(filters: Filters, today: date) -> Page:
    """One page of the matrix: a constant number of queries whatever the number of clinicians."""
    courses = _columns(filters)
    course_ids = [c.id for c in courses]
    query = _clinicians(filters, course_ids, today)
    total = db.session.scalar(select(func.count()).select_from(query.subquery()))
    pages = max(1, -(-total // PAGE_SIZE))
    number = min(max(1, filters.page), pages)
    users = db.session.scalars(_ordered(query, filters).limit(PAGE_SIZE).offset((number - 1) * PAGE_SIZE)).all()
    return Page(courses, _cells(users, _plain(courses), today), total, number, pages)


def export_rows(filters: Filters, today: date, batch: int = 500) -> tuple[list[str], Iterator[list[str]]]:
    """The same filtered data as CSV rows, fetched in batches so memory stays flat."""
    columns = _plain(_columns(filters))
    header = ["Name", "Email", "Credentials", "Profession", "License number", "License state"] + \
             [c.title for c in columns]
    query = _ordered(_clinicians(filters, [c.course_id for c in columns], today), filters)

    def rows() -> Iterator[list[str]]:
        offset = 0
        while True:
            users = db.session.scalars(query.limit(batch).offset(offset)).all()
            if not users:
                return
            for row in _cells(users, columns, today):
                u = row.user
                yield [u.full_name, u.email, u.credentials, u.profession, u.license_number, u.license_state,
                       *[cell.label for cell in row.cells]]
            offset += batch
            for user in users:  # keep the identity map from growing with the export
                db.session.expunge(user)
    return header, rows()
