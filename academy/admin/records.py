"""Loading what the administration views compute statuses from, in a fixed number of queries."""
from __future__ import annotations

from collections import Counter, defaultdict
from collections.abc import Iterable, Iterator
from datetime import date
from itertools import groupby
from operator import itemgetter

from sqlalchemy import func

from academy.admin.status import Clearance, HeldCertificate, clearance
from academy.extensions import db
from academy.models.certificate import CURRENT_COURSE_CERTIFICATE
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
    None means every active clinician. Users under the same assignments share
    one (read-only) dict, so 10,000 clinicians cost a few dicts, not 10,000.
    """
    assignments = db.session.scalars(db.select(RequirementAssignment)).all()
    if not assignments:
        return {}
    if users is None:
        rows = db.session.execute(db.select(User.id, User.profession).where(
            User.role == "clinician", User.active.is_(True)))
        membership_query = db.select(GroupMembership.user_id, GroupMembership.group_id)
    else:
        rows = [(u.id, u.profession) for u in users]
        membership_query = db.select(GroupMembership.user_id, GroupMembership.group_id).where(
            GroupMembership.user_id.in_([u.id for u in users] or [0]))
    groups = defaultdict(list)
    for user_id, group_id in db.session.execute(membership_query):
        groups[user_id].append(group_id)
    by_profession, by_group, by_user = defaultdict(list), defaultdict(list), defaultdict(list)
    for a in assignments:
        if a.target_type == "profession":
            by_profession[(a.profession or "").strip().lower()].append(a)
        elif a.target_type == "group":
            by_group[a.group_id].append(a)
        else:
            by_user[a.user_id].append(a)
    result: dict[int, dict[int, date]] = {}
    shared: dict[tuple[int, ...], dict[int, date]] = {}
    for user_id, profession in rows:
        applicable = by_profession.get((profession or "").strip().lower(), []) + by_user.get(user_id, [])
        for group_id in groups.get(user_id, ()):
            applicable += by_group.get(group_id, [])
        if not applicable:
            continue
        key = tuple(sorted(a.id for a in applicable))
        due = shared.get(key)
        if due is None:
            due = shared[key] = {}
            for a in applicable:
                due[a.requirement_set_id] = min(due.get(a.requirement_set_id, a.due_on), a.due_on)
        result[user_id] = due
    return result


def iter_clearances(users: list[User] | None, today: date) -> Iterator[tuple[int, dict[int, Clearance]]]:
    """(user id, {requirement set id: Clearance}) in user id order, for the users given (None: every active clinician).

    Certificates are read in user order and dropped once each user is done, so
    counting over 10,000 clinicians keeps one clinician's certificates in memory
    rather than all of them (which kept the dashboard busy collecting garbage).
    """
    due = due_dates(users)
    if not due:
        return
    sets = {s.id: s for s in requirement_sets()}
    courses = set_courses()
    # Every current certificate, not only those of the sets' courses: filtering on the
    # course would lead SQLite to the course index and a sort of every row.
    query = (db.select(Certificate.user_id, Certificate.course_id, Certificate.expires_on, Certificate.revoked_at)
             .where(CURRENT_COURSE_CERTIFICATE).order_by(Certificate.user_id, Certificate.issued_at))
    if users is not None:
        query = query.where(Certificate.user_id.in_(list(due) or [0]))
    by_user = groupby(db.session.execute(query), key=itemgetter(0))
    certificates_user, rows = next(by_user, (None, ()))
    for user_id in sorted(due):
        while certificates_user is not None and certificates_user < user_id:
            certificates_user, rows = next(by_user, (None, ()))
        held = {}
        if certificates_user == user_id:
            # Newest last, so the newest current certificate of a course wins.
            held = {course_id: HeldCertificate(expires_on, revoked_at is not None)
                    for _, course_id, expires_on, revoked_at in rows}
        yield user_id, {set_id: clearance(courses.get(set_id, []), held, due_on, today, sets[set_id].window_days)
                        for set_id, due_on in due[user_id].items() if set_id in sets}


def clearances(users: list[User], today: date) -> dict[int, dict[int, Clearance]]:
    """user id → {requirement set id: Clearance} for a few users (a page about one clinician)."""
    return dict(iter_clearances(users, today))


def clearance_counts(today: date) -> dict[int, Counter]:
    """requirement set id → how many active clinicians have each clearance status."""
    counts: dict[int, Counter] = defaultdict(Counter)
    for _, per_set in iter_clearances(None, today):
        for set_id, state in per_set.items():
            counts[set_id][state.status] += 1
    return counts


def published_courses() -> list[Course]:
    from sqlalchemy.orm import joinedload

    return db.session.scalars(db.select(Course).options(joinedload(Course.current_version))
                              .where(Course.retired_at.is_(None), Course.current_version_id.is_not(None))
                              .order_by(Course.slug)).all()
