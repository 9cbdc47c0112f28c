"""Starting a course, the version a clinician studies, and module progress."""
from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import bindparam, func, select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import joinedload

from academy.database import write_intent
from academy.extensions import db
from academy.learning.errors import LearningError, NotFound
from academy.models import Completion, Course, CourseVersion, Enrollment, Module, ModuleProgress, User
from academy.models.base import utcnow


def published_course(slug: str) -> Course:
    """A course clinicians may see: not retired and with a version."""
    course = db.session.scalar(db.select(Course).options(joinedload(Course.current_version))
                               .where(Course.slug == slug))
    if course is None or course.retired_at is not None or course.current_version_id is None:
        raise NotFound()
    return course


def current_enrollment(user: User, course: Course) -> Enrollment | None:
    """The clinician's latest enrollment in the course, if any."""
    return db.session.scalar(db.select(Enrollment).options(joinedload(Enrollment.version))
                             .where(Enrollment.user_id == user.id, Enrollment.course_id == course.id)
                             .order_by(Enrollment.cycle.desc()).limit(1))


@dataclass(frozen=True)
class Moved:
    """Told to the clinician when a major update moved them to the new version."""

    from_version: str
    to_version: str

    @property
    def message(self) -> str:
        return (f"This course was updated from version {self.from_version} to {self.to_version}, a major "
                "change: you continue on the new version, and your progress starts again.")


class CourseMoved(LearningError):
    """An action sent from a page of the old version after a major update moved the clinician."""


# The course page and the module page run these on every request. They are
# built once, here, with bound parameters: building a statement costs more
# than running it.
_COURSE_WITH_ENROLLMENT = (
    select(Course, Enrollment)
    .outerjoin(Enrollment, (Enrollment.course_id == Course.id) & (Enrollment.user_id == bindparam("user_id")))
    .options(joinedload(Enrollment.version))
    .where(Course.slug == bindparam("slug")).order_by(Enrollment.cycle.desc()).limit(1))

# ... and, for the module page, the module at a position of the enrolled
# version, how many modules that version has, and whether this one is done.
_MODULE_PAGE = (
    _COURSE_WITH_ENROLLMENT
    .add_columns(
        Module,
        select(func.count(Module.id)).where(Module.version_id == Enrollment.version_id)
        .correlate(Enrollment).scalar_subquery(),
        select(ModuleProgress.module_id).where(ModuleProgress.enrollment_id == Enrollment.id,
                                               ModuleProgress.module_id == Module.id).exists())
    .outerjoin(Module, (Module.version_id == Enrollment.version_id) & (Module.position == bindparam("position"))))


def _published(row):
    if row is None or row[0].retired_at is not None or row[0].current_version_id is None:
        raise NotFound()
    return row


def course_with_enrollment(user: User, slug: str) -> tuple[Course, Enrollment | None]:
    """A published course and the clinician's latest enrollment in it (if any), in one query."""
    course, latest = _published(db.session.execute(_COURSE_WITH_ENROLLMENT, {"user_id": user.id, "slug": slug})
                                .first())
    return course, latest


@dataclass(frozen=True)
class ModulePage:
    """What the module page shows; `module` is None when the version has no module at that position."""

    course: Course
    enrollment: Enrollment | None
    moved: Moved | None
    module: Module | None
    count: int
    done: bool


def module_page(user: User, slug: str, position: int) -> ModulePage:
    """The module page's data in one query, whatever the size of the course
    (a second one only right after a major update moved the clinician)."""
    params = {"user_id": user.id, "slug": slug, "position": position}
    course, latest, module, count, done = _published(db.session.execute(_MODULE_PAGE, params).first())
    taking, moved = kept_or_moved(user, course, latest)
    if moved is not None:
        course, taking, module, count, done = db.session.execute(_MODULE_PAGE, params).first()
    return ModulePage(course, taking, moved, module, count or 0, bool(done))


def taken(user: User, slug: str) -> tuple[Course, Enrollment]:
    """A published course and the enrollment in force; NotFound if either is missing.

    An action (completing a module, opening the post-test, the evaluation) sent
    from a page of a version a major update has replaced must not count on the
    new version: the move is made and CourseMoved says so instead.
    """
    course = published_course(slug)
    enrollment, moved = kept_or_moved(user, course, current_enrollment(user, course))
    if enrollment is None:
        raise NotFound()
    if moved is not None:
        raise CourseMoved(moved.message)
    return course, enrollment


def is_completed(enrollment: Enrollment) -> bool:
    return db.session.scalar(db.select(Completion.id).where(Completion.enrollment_id == enrollment.id)) is not None


def completed_course_ids(user: User) -> set[int]:
    return set(db.session.scalars(db.select(Completion.course_id).where(Completion.user_id == user.id)))


def missing_prerequisites(user: User, version: CourseVersion) -> list[Course]:
    """Prerequisite courses the clinician has not completed (in any version)."""
    slugs = version.settings.get("prerequisites") or []
    if not slugs:
        return []
    courses = db.session.scalars(db.select(Course).where(Course.slug.in_(slugs))).all()
    done = completed_course_ids(user)
    return [course for course in courses if course.id not in done]


def enrollment_in_force(user: User, course: Course) -> tuple[Enrollment | None, Moved | None]:
    """The enrollment the clinician works in now (see `kept_or_moved`)."""
    return kept_or_moved(user, course, current_enrollment(user, course))


def kept_or_moved(user: User, course: Course, enrollment: Enrollment | None) -> tuple[Enrollment | None, Moved | None]:
    """The latest enrollment, or its successor when a major update moved the clinician.

    A clinician finishes the version they began, unless the course has since
    had a new major version: then an unfinished enrollment moves to the
    current version (progress starts again) and the caller tells them why.
    """
    if enrollment is None or enrollment.version_id == course.current_version_id:
        return enrollment, None  # the common case, decided without loading the current version
    current = course.current_version
    if current.major <= enrollment.version.major or is_completed(enrollment):
        return enrollment, None
    moved = Moved(enrollment.version.version, current.version)
    return _move(user, course, enrollment, current), moved


def _move(user: User, course: Course, enrollment: Enrollment, current: CourseVersion) -> Enrollment:
    """Write the move to the current version in a write transaction of its own.

    Moves happen on page views (GETs), whose transactions only read (on SQLite
    they do not hold the write lock, and upgrading mid-transaction can fail),
    and two tabs may move the same clinician at once: the second finds the
    enrollment the first created and takes it.
    """
    user_id, course_id, enrollment_id, cycle = user.id, course.id, enrollment.id, enrollment.cycle
    db.session.commit()  # end the read transaction; the move gets one of its own
    with write_intent():
        db.session.execute(update(Enrollment).where(Enrollment.id == enrollment_id,
                                                    Enrollment.superseded_at.is_(None)).values(superseded_at=utcnow()))
        fresh = Enrollment(user_id=user_id, course_id=course_id, version_id=current.id, cycle=cycle + 1)
        db.session.add(fresh)
        try:
            db.session.commit()
        except IntegrityError:  # another request moved them first
            db.session.rollback()
            return current_enrollment(user, course)
    return fresh


def start_course(user: User, course: Course) -> Enrollment:
    """Enroll the clinician in the course's current version (or return the enrollment in force)."""
    if not user.is_verified:
        raise LearningError("Confirm your email address before you start a course: use the link we sent you.")
    missing = missing_prerequisites(user, course.current_version)
    if missing:
        titles = ", ".join(c.current_version.title for c in missing)
        raise LearningError(f"Complete these courses first: {titles}.")
    enrollment, _ = enrollment_in_force(user, course)
    if enrollment is not None and not is_completed(enrollment):
        return enrollment
    if enrollment is not None and not _may_recertify(user, course):
        raise LearningError("You have completed this course; you can take it again when your certificate "
                            "is due for renewal.")
    cycle = (enrollment.cycle + 1) if enrollment else 1
    fresh = Enrollment(user_id=user.id, course_id=course.id, version_id=course.current_version_id, cycle=cycle)
    db.session.add(fresh)
    try:
        db.session.commit()
    except IntegrityError:  # another tab started it at the same moment
        db.session.rollback()
        return current_enrollment(user, course)
    return fresh


def _may_recertify(user: User, course: Course) -> bool:
    """Whether a completed course may be taken again (recertification; see certificates.may_retake)."""
    from academy.learning.certificates import may_retake

    return may_retake(user, course)


def module_at(enrollment: Enrollment, position: int) -> Module:
    module = next((m for m in enrollment.version.modules if m.position == position), None)
    if module is None:
        raise NotFound()
    return module


def completed_module_ids(enrollment: Enrollment) -> set[int]:
    return set(db.session.scalars(db.select(ModuleProgress.module_id)
                                  .where(ModuleProgress.enrollment_id == enrollment.id)))


def complete_module(enrollment: Enrollment, module: Module) -> None:
    """Record a module as read, once; marking it again changes nothing."""
    if module.version_id != enrollment.version_id:
        raise NotFound()
    db.session.add(ModuleProgress(enrollment_id=enrollment.id, module_id=module.id))
    try:
        db.session.commit()
    except IntegrityError:
        db.session.rollback()


def modules_done(enrollment: Enrollment) -> tuple[int, int]:
    """(modules completed, modules in the version)."""
    total = db.session.scalar(db.select(func.count(Module.id)).where(Module.version_id == enrollment.version_id))
    done = db.session.scalar(db.select(func.count()).select_from(ModuleProgress)
                             .where(ModuleProgress.enrollment_id == enrollment.id))
    return done, total
