"""The course evaluation and time attestation, and completion (recorded exactly once)."""
from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal, InvalidOperation

from sqlalchemy.exc import IntegrityError

from academy.audit import record_event
from academy.extensions import db
from academy.learning.attempts import policy
from academy.learning.certificates import issue_for_completion, notify_issued
from academy.learning.enrollment import modules_done
from academy.learning.errors import LearningError
from academy.models import Attempt, Completion, Enrollment, Evaluation, User

LIKERT_ITEMS = {
    "objectives_met": "The learning objectives were met.",
    "relevance": "The content is relevant to my practice.",
    "quality": "The content was accurate, current and well presented.",
    "bias_free": "The content was free of commercial bias.",
    "recommend": "I would recommend this course to a colleague.",
}


@dataclass(frozen=True)
class EvaluationInput:
    ratings: dict[str, int]
    comments: str
    hours_claimed: str
    attested: bool


def evaluation_for(enrollment: Enrollment) -> Evaluation | None:
    return db.session.scalar(db.select(Evaluation).where(Evaluation.enrollment_id == enrollment.id))


def completion_for(enrollment: Enrollment) -> Completion | None:
    return db.session.scalar(db.select(Completion).where(Completion.enrollment_id == enrollment.id))


def _check(enrollment: Enrollment, data: EvaluationInput) -> Decimal:
    missing = [label for key, label in LIKERT_ITEMS.items() if data.ratings.get(key) not in (1, 2, 3, 4, 5)]
    if missing:
        raise LearningError("Rate every statement from 1 to 5: " + "; ".join(missing))
    if not data.attested:
        raise LearningError("Confirm the attestation of the time you spent.")
    try:
        hours = Decimal(str(data.hours_claimed).strip())
    except InvalidOperation:
        raise LearningError("Enter the hours you spent as a number, e.g. 1.25.") from None
    maximum = enrollment.version.ce_hours
    if hours <= 0 or hours > maximum:
        raise LearningError(f"Claim more than 0 and at most {maximum} hours, the credit this course offers.")
    if (hours * 4) % 1:
        raise LearningError("Claim hours in quarter-hour steps (e.g. 0.75, 1.25).")
    return hours


def submit_evaluation(user: User, enrollment: Enrollment, data: EvaluationInput) -> Completion:
    """Record the evaluation and attestation, and with them the completion (once)."""
    if enrollment.user_id != user.id:
        raise LearningError("This is not your course.")
    done, total = modules_done(enrollment)
    if done < total or not policy(enrollment).passed:
        raise LearningError("Finish the modules and pass the post-test before the evaluation.")
    existing = completion_for(enrollment)
    if existing is not None:
        return existing
    hours = _check(enrollment, data)
    passed = db.session.scalar(db.select(Attempt).where(Attempt.enrollment_id == enrollment.id,
                                                        Attempt.passed.is_(True)).order_by(Attempt.number))
    db.session.add(Evaluation(enrollment_id=enrollment.id, ratings=dict(data.ratings),
                              comments=data.comments.strip()[:5000], hours_claimed=hours))
    completion = Completion(enrollment_id=enrollment.id, user_id=user.id, course_id=enrollment.course_id,
                            version_id=enrollment.version_id, attempt_id=passed.id, hours=hours)
    db.session.add(completion)
    try:
        db.session.flush()
    except IntegrityError:  # submitted twice at once: the first one counts
        db.session.rollback()
        return completion_for(enrollment)
    record_event(user, "course.complete", enrollment.course, {"version": enrollment.version.version,
                                                              "hours": str(hours)})
    issued = issue_for_completion(completion, user)
    db.session.commit()
    notify_issued(issued)
    return completion

