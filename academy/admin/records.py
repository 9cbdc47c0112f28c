"""Loading what the administration views compute statuses from, in a fixed number of queries."""
from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable
from datetime import date

from sqlalchemy import func

from academy.admin.status import Clearance, HeldCertificate, clearance
from academy.extensions import db
from academy.models import (Attempt, Certificate, Course, Enrollment, GroupMembership, RequirementAssignment,
                            RequirementCourse, RequirementSet, User)


def held_certificates(user_ids: Iterable[int] | None, course_ids: Iterable[int] | None = None
                      ) -> dict[tuple[int, int], HeldCertificate]:
    """(user id, course id) → the current course certificate (newest not superseded, revoked included)."""
    query = (db.select(Certificate.user_id, Certificate.course_id, Certificate.expires_on, Certificate.revoked_at)
             .where(Certificate.kind == "course", Certificate.superseded_by_id.is_(None))
             .order_by(Certificate.issued_at))
    if user_ids is not None:
        query = query.where(Certificate.user_id.in_(list(user_ids) or [0]))
    if course_ids is not None:
        query = query.where(Certificate.course_id.in_(list(course_ids) or [0]))
    return {(user_id, course_id): HeldCertificate(expires_on, revoked_at is not None)
            for user_id, course_id, expires_on, revoked_at in db.session.execute(query)}


def progress(user_ids: list[int]) -> tuple[set[tuple[int, int]], set[tuple[int, int]]]:
    """(user, course) pairs with an enrollment, and with a passed post-test in the latest enrollment."""
    latest = (db.select(Enrollment.user_id, Enrollment.course_id, func.max(Enrollment.cycle).label("cycle"))
              .where(Enrollment.user_id.in_(user_ids or [0]))
              .group_by(Enrollment.user_id, Enrollment.course_id).subquery())
    rows = db.session.execute(
        db.select(Enrollment.user_id, Enrollment.course_id, func.count(Attempt.id))
        .join(latest, (Enrollment.user_id == latest.c.user_id) & (Enrollment.course_id == latest.c.course_id)
              & (Enrollment.cycle == latest.c.cycle))
        .outerjoin(Attempt, (Attempt.enrollment_id == Enrollment.id) & Attempt.passed.is_(True))
        .group_by(Enrollment.user_id, Enrollment.course_id)).all()
    enrolled = {(u, c) for u, c, _ in rows}
    passed = {(u, c) for u, c, p in rows if p}
    return enrolled, passed


def requirement_sets() -> list[RequirementSet]:
    return db.session.scalars(db.select(RequirementSet).order_by(RequirementSet.name)).all()


def set_courses() -> dict[int, list[int]]:
    courses = defaultdict(list)
    for set_id, course_id in db.session.execute(db.select(RequirementCourse.requirement_set_id,
                                                          RequirementCourse.course_id)):
        courses[set_id].append(course_id)
    return courses


def due_dates(users: list[User] | None = None) -> dict[int, dict[int, date]]:
    """user id → {requirement set id: due date} from profession, group and individual assignments.

    With several assignments of one set, the earliest due date counts. `users`
    None means every active clinician.
    """
    assignments = db.session.scalars(db.select(RequirementAssignment)).all()
    if not assignments:
        return {}
    if users is None:
        rows = db.session.execute(db.select(User.id, User.profession).where(
            User.role == "clinician", User.active.is_(True))).all()
    else:
        rows = [(u.id, u.profession) for u in users]
    ids = [user_id for user_id, _ in rows]
    groups = defaultdict(set)
    membership_query = db.select(GroupMembership.user_id, GroupMembership.group_id)
    if users is not None:
        membership_query = membership_query.where(GroupMembership.user_id.in_(ids or [0]))
    for user_id, group_id in db.session.execute(membership_query):
        groups[user_id].add(group_id)
    by_profession, by_group, by_user = defaultdict(list), defaultdict(list), defaultdict(list)
    for a in assignments:
        if a.target_type == "profession":
            by_profession[(a.profession or "").strip().lower()].append(a)
        elif a.target_type == "group":
            by_group[a.group_id].append(a)
        else:
            by_user[a.user_id].append(a)
    result: dict[int, dict[int, date]] = {}
    for user_id, profession in rows:
        applicable = by_profession.get((profession or "").strip().lower(), []) + by_user.get(user_id, [])
        for group_id in groups.get(user_id, ()):
            applicable += by_group.get(group_id, [])
        if applicable:
            due: dict[int, date] = {}
            for a in applicable:
                due[a.requirement_set_id] = min(due.get(a.requirement_set_id, a.due_on), a.due_on)
            result[user_id] = due
    return result


def clearances(users: list[User] | None, today: date) -> dict[int, dict[int, Clearance]]:
    """user id → {requirement set id: Clearance} for the users given (None: every active clinician)."""
    due = due_dates(users)
    if not due:
        return {}
    sets = {s.id: s for s in requirement_sets()}
    courses = set_courses()
    all_courses = {c for ids in courses.values() for c in ids}
    held = held_certificates(None if users is None else list(due), all_courses)
    result: dict[int, dict[int, Clearance]] = {}
    for user_id, per_set in due.items():
        result[user_id] = {
            set_id: clearance(courses.get(set_id, []),
                              {c: held[(user_id, c)] for c in courses.get(set_id, []) if (user_id, c) in held},
                              due_on, today, sets[set_id].window_days)
            for set_id, due_on in per_set.items() if set_id in sets}
    return result


def published_courses() -> list[Course]:
    from sqlalchemy.orm import joinedload

    return db.session.scalars(db.select(Course).options(joinedload(Course.current_version))
                              .where(Course.retired_at.is_(None), Course.current_version_id.is_not(None))
                              .order_by(Course.slug)).all()
