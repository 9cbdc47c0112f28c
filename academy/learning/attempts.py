"""Post-test attempts: opening (the draw), saving answers, extending time, submitting.

The server holds everything that matters: which questions were drawn and in
what order, the answers saved so far, the deadline, and the key. Whatever
the browser sends is checked against the draw; score, pass and user fields
are never read from it.
"""
from __future__ import annotations

import random
import secrets
from dataclasses import dataclass
from datetime import datetime, timedelta
from decimal import Decimal

from sqlalchemy import func, update
from sqlalchemy.exc import IntegrityError

from academy.extensions import db
from academy.learning.enrollment import modules_done
from academy.learning.errors import LearningError, NotFound
from academy.learning.grading import Graded, grade, score_percent
from academy.models import Attempt, AttemptGrant, Enrollment, Question, User
from academy.models.base import utcnow

GRACE = timedelta(seconds=60)   # network and clock slack after the deadline
MAX_EXTENSIONS = 10             # WCAG 2.2.1 asks for at least ten


@dataclass(frozen=True)
class Policy:
    """Where a clinician stands with a course version's post-test."""

    used: int
    allowed: int | None          # None: unlimited
    passed: bool
    open_attempt: Attempt | None
    next_at: datetime | None     # when the next attempt may start, if waiting

    @property
    def left(self) -> int | None:
        return None if self.allowed is None else max(0, self.allowed - self.used)


def _settings(enrollment: Enrollment) -> dict:
    return enrollment.version.settings


def _grants(enrollment: Enrollment) -> tuple[int, int]:
    row = db.session.execute(
        db.select(func.coalesce(func.sum(AttemptGrant.extra_attempts), 0),
                  func.coalesce(func.sum(AttemptGrant.extra_minutes), 0))
        .where(AttemptGrant.user_id == enrollment.user_id, AttemptGrant.course_id == enrollment.course_id)).one()
    return int(row[0]), int(row[1])


def policy(enrollment: Enrollment, now: datetime | None = None) -> Policy:
    now = now or utcnow()
    attempts = db.session.scalars(db.select(Attempt).where(Attempt.enrollment_id == enrollment.id)
                                  .order_by(Attempt.number)).all()
    settings = _settings(enrollment)
    extra_attempts, _ = _grants(enrollment)
    allowed = settings.get("attempts_allowed")
    allowed = None if allowed is None else allowed + extra_attempts
    open_attempt = next((a for a in attempts if a.status == "open"), None)
    passed = any(a.passed for a in attempts)
    next_at = None
    submitted = [a for a in attempts if a.status == "submitted"]
    if submitted and not passed and open_attempt is None:
        wait = timedelta(hours=float(settings.get("attempt_wait_hours") or 0))
        ready = submitted[-1].submitted_at + wait
        next_at = ready if ready > now else None
    return Policy(len(attempts), allowed, passed, open_attempt, next_at)


def open_attempt(user: User, enrollment: Enrollment, *, now: datetime | None = None,
                 rng: random.Random | None = None) -> Attempt:
    """Start an attempt (or return the one already open), drawing its questions on the server."""
    now = now or utcnow()
    if enrollment.user_id != user.id:
        raise NotFound()
    done, total = modules_done(enrollment)
    if done < total:
        raise LearningError(f"Finish the modules first: {done} of {total} are complete.")
    state = policy(enrollment, now)
    if state.open_attempt is not None:
        return state.open_attempt
    if state.passed:
        raise LearningError("You have passed the post-test already.")
    if state.left == 0:
        raise LearningError("You have used all your attempts at this post-test. An administrator can grant "
                            "another attempt if appropriate.")
    if state.next_at is not None:
        raise LearningError(f"You can start your next attempt after {state.next_at:%Y-%m-%d %H:%M} UTC.")
    settings = _settings(enrollment)
    _, extra_minutes = _grants(enrollment)
    limit = settings.get("time_limit_minutes")
    attempt = Attempt(
        public_id=secrets.token_urlsafe(16), enrollment_id=enrollment.id, user_id=user.id,
        version_id=enrollment.version_id, number=state.used + 1, status="open", started_at=now,
        deadline_at=now + timedelta(minutes=limit + extra_minutes) if limit else None,
        draw=_draw(enrollment, settings, rng or random.SystemRandom()), answers={})
    db.session.add(attempt)
    try:
        db.session.commit()
    except IntegrityError:  # a second tab opened the same attempt number first
        db.session.rollback()
        existing = policy(enrollment, now).open_attempt
        if existing is None:
            raise LearningError("Another attempt was started at the same moment; reload the page.") from None
        return existing
    return attempt


def _draw(enrollment: Enrollment, settings: dict, rng: random.Random) -> list[dict]:
    questions = db.session.scalars(db.select(Question).where(Question.version_id == enrollment.version_id)
                                   .order_by(Question.position)).all()
    count = settings.get("questions_per_attempt") or len(questions)
    chosen = rng.sample(questions, count) if count < len(questions) else list(questions)
    if settings.get("shuffle", True):
        rng.shuffle(chosen)
    else:
        chosen.sort(key=lambda q: q.position)
    draw = []
    for question in chosen:
        keys = [choice["key"] for choice in question.choices]
        # True/False keeps its natural order; other choices are shuffled when the course says so.
        if settings.get("shuffle", True) and question.type in ("single", "multiple"):
            rng.shuffle(keys)
        draw.append({"qid": question.qid, "choices": keys})
    return draw


def attempt_for(user: User, public_id: str) -> Attempt:
    """The clinician's own attempt; someone else's is indistinguishable from a missing one."""
    attempt = db.session.scalar(db.select(Attempt).where(Attempt.public_id == public_id))
    if attempt is None or attempt.user_id != user.id:
        raise NotFound()
    return attempt


def drawn_questions(attempt: Attempt) -> list[Question]:
    """The attempt's questions in the order drawn (one query)."""
    qids = [item["qid"] for item in attempt.draw]
    by_qid = {q.qid: q for q in db.session.scalars(
        db.select(Question).where(Question.version_id == attempt.version_id, Question.qid.in_(qids)))}
    return [by_qid[qid] for qid in qids]


def clean_answers(attempt: Attempt, raw: dict) -> dict:
    """Check answers against the draw; raise LearningError for anything that was not offered."""
    allowed = {item["qid"]: set(item["choices"]) for item in attempt.draw}
    types = {q.qid: q.type for q in drawn_questions(attempt)}
    cleaned = {}
    for qid, response in raw.items():
        if qid not in allowed:
            raise LearningError("Your answers include a question that is not part of this attempt; "
                                "reload the page and try again.")
        kind = types[qid]
        if kind in ("single", "true_false"):
            if response in (None, ""):
                continue
            if not isinstance(response, str) or response not in allowed[qid]:
                raise LearningError("One answer is not one of the question's choices; reload the page.")
        elif kind == "multiple":
            response = [response] if isinstance(response, str) else list(response or [])
            if not set(response) <= allowed[qid]:
                raise LearningError("One answer is not one of the question's choices; reload the page.")
            response = sorted(set(response))
        else:
            response = str(response or "")[:500]
        cleaned[qid] = response
    return cleaned


def _deadline_passed(attempt: Attempt, now: datetime) -> bool:
    return attempt.deadline_at is not None and now > attempt.deadline_at + GRACE


def save_answers(user: User, attempt: Attempt, raw: dict, *, now: datetime | None = None) -> None:
    """Keep the answers given so far on the server (each change, or the Save button)."""
    now = now or utcnow()
    if attempt.user_id != user.id:
        raise NotFound()
    if attempt.status != "open":
        raise LearningError("This attempt has been submitted; its answers can no longer change.")
    if _deadline_passed(attempt, now):
        raise LearningError("The time for this attempt has run out; your answers saved before then count.")
    attempt.answers = {**attempt.answers, **clean_answers(attempt, raw)}
    db.session.commit()


def extend(user: User, attempt: Attempt, *, now: datetime | None = None) -> None:
    """Give more time (WCAG 2.2.1): a quarter of the limit, at least 5 minutes, up to ten times."""
    now = now or utcnow()
    if attempt.user_id != user.id:
        raise NotFound()
    if attempt.status != "open" or attempt.deadline_at is None or _deadline_passed(attempt, now):
        raise LearningError("This attempt cannot be extended.")
    if attempt.extensions >= MAX_EXTENSIONS:
        raise LearningError("This attempt has been extended as often as allowed.")
    limit = attempt.version.settings.get("time_limit_minutes") or 20
    attempt.deadline_at = max(attempt.deadline_at, now) + timedelta(minutes=max(5, limit // 4))
    attempt.extensions += 1
    db.session.commit()


@dataclass(frozen=True)
class Submission:
    attempt: Attempt
    late: bool  # the time ran out: only answers saved before the deadline were graded


def submit(user: User, attempt: Attempt, raw: dict, *, now: datetime | None = None) -> Submission:
    """Grade the attempt once; a repeated submit (double click, retry, second tab) returns the same result."""
    now = now or utcnow()
    if attempt.user_id != user.id:
        raise NotFound()
    if attempt.status == "submitted":
        return Submission(attempt, late=False)
    late = _deadline_passed(attempt, now)
    answers = dict(attempt.answers) if late else {**attempt.answers, **clean_answers(attempt, raw)}
    # The conditional update is the one place an attempt leaves "open": only one request can win it.
    won = db.session.execute(
        update(Attempt).where(Attempt.id == attempt.id, Attempt.status == "open")
        .values(status="submitted", submitted_at=now).execution_options(synchronize_session=False)).rowcount
    if won != 1:
        db.session.rollback()
        db.session.refresh(attempt)
        return Submission(attempt, late=False)
    partial = bool(attempt.version.settings.get("partial_credit"))
    results = {}
    for question in drawn_questions(attempt):
        graded = grade(question.type, question.answer_key, answers.get(question.qid), partial_credit=partial)
        results[question.qid] = {"score": graded.score, "correct": graded.correct}
    score = score_percent([Graded(r["score"], r["correct"]) for r in results.values()])
    db.session.execute(update(Attempt).where(Attempt.id == attempt.id).values(
        answers=answers, results=results, score=Decimal(str(score)),
        passed=score >= float(attempt.version.settings.get("pass_mark", 80))))
    db.session.commit()
    db.session.refresh(attempt)
    return Submission(attempt, late=late)


def review_allowed(attempt: Attempt, state: Policy) -> bool:
    """Whether keys and rationales may be shown for this submitted attempt (the course's review policy)."""
    review = attempt.version.settings.get("review", "after_passing")
    if review == "after_each_attempt":
        return True
    if review == "after_passing":
        return bool(attempt.passed)
    if review == "after_last_attempt":
        return bool(attempt.passed) or state.left == 0
    return False


def grant(admin: User, user: User, course_id: int, *, attempts: int = 0, minutes: int = 0,
          reason: str = "") -> AttemptGrant:
    """An administrator allows a clinician extra attempts or extra minutes on a course."""
    from academy.audit import record_event

    if attempts < 0 or minutes < 0 or (attempts == 0 and minutes == 0):
        raise LearningError("Grant at least one extra attempt or some extra minutes.")
    allowance = AttemptGrant(user_id=user.id, course_id=course_id, extra_attempts=attempts,
                             extra_minutes=minutes, granted_by_id=admin.id if admin else None, reason=reason)
    db.session.add(allowance)
    # Extra minutes also apply to an attempt already under way.
    if minutes:
        for attempt in db.session.scalars(db.select(Attempt).join(Enrollment).where(
                Attempt.user_id == user.id, Attempt.status == "open", Enrollment.course_id == course_id,
                Attempt.deadline_at.is_not(None))):
            attempt.deadline_at = attempt.deadline_at + timedelta(minutes=minutes)
    record_event(admin, "attempt.grant", user, {"course_id": course_id, "attempts": attempts,
                                                "minutes": minutes, "reason": reason},
                 actor_label="" if admin else "cli")
    db.session.commit()
    return allowance


def time_is_up(attempt: Attempt, now: datetime | None = None) -> bool:
    return attempt.status == "open" and _deadline_passed(attempt, now or utcnow())


def history(enrollment: Enrollment) -> list[Attempt]:
    """The clinician's attempts on this enrollment, oldest first."""
    return db.session.scalars(db.select(Attempt).where(Attempt.enrollment_id == enrollment.id)
                              .order_by(Attempt.number)).all()
