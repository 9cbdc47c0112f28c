"""Reminder emails before certificates expire and requirement sets fall due, each sent at most once.

`send_reminders` is safe to run from cron as often as you like: every run works
out from the records which reminders are due, and the Reminder table says which
went out already. Its unique key (user, kind, subject, threshold) is the guard,
so neither a later run nor one running at the same moment sends a reminder again.

Each reminder is its own short transaction, and its row is committed *before*
the email goes out:

- a concurrent run that tries the same reminder hits the unique key and skips it;
- when the mail server refuses the message, the row is deleted again, so the
  next run retries it;
- a crash between the commit and the send loses that one reminder instead of
  sending it twice ("never twice" wins, and the next threshold still reminds);
- no write lock is held while talking to the mail server (on SQLite that lock
  covers the whole database, so web requests would wait on SMTP).
"""
from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field
from datetime import date, timedelta

from flask import current_app
from sqlalchemy.exc import IntegrityError

from academy.admin.records import iter_clearances, requirement_sets
from academy.admin.status import Clearance
from academy.audit import record_event
from academy.certificates import codes
from academy.database import write_intent
from academy.extensions import db
from academy.mail import send_mail
from academy.models import Certificate, Course, CourseVersion, Reminder, User

CERTIFICATE_EXPIRY = "certificate_expiry"
REQUIREMENT_DUE = "requirement_due"
KIND_LABELS = {CERTIFICATE_EXPIRY: "certificate expiry", REQUIREMENT_DUE: "requirement due"}
# Days before the date; 0 is "on the date, or after it when the run was late".
THRESHOLDS = {CERTIFICATE_EXPIRY: (90, 30, 7, 0), REQUIREMENT_DUE: (30, 7, 0)}
# Failures in a row that mean the mail server is down: stop, and let the next run retry.
MAX_FAILURES_IN_A_ROW = 5
NOT_CLEARED = ("due", "overdue", "lapsed")


@dataclass(frozen=True)
class Due:
    """A reminder to send: its Reminder key and the email."""

    user_id: int
    kind: str
    subject: str        # what it is about: a certificate id, or "<set id>:<due date>"
    threshold: int
    to: str
    message_subject: str
    body: str


@dataclass
class Summary:
    sent: Counter = field(default_factory=Counter)  # kind → reminders sent
    skipped: int = 0     # sent by a concurrent run in the meantime
    failed: int = 0      # refused by the mail server; the next run retries them
    stopped: bool = False  # gave up after MAX_FAILURES_IN_A_ROW

    def count(self, kind: str, outcome: str) -> None:
        if outcome == "sent":
            self.sent[kind] += 1
        elif outcome == "skipped":
            self.skipped += 1
        else:
            self.failed += 1

    @property
    def total(self) -> int:
        return sum(self.sent.values())

    def report(self) -> str:
        """What the command prints, one line per fact."""
        kinds = ", ".join(f"{self.sent[kind]} {label}" for kind, label in KIND_LABELS.items())
        lines = [f"Sent {self.total} reminder{'' if self.total == 1 else 's'} ({kinds})."]
        if self.skipped:
            lines.append(f"{self.skipped} were sent by another run at the same time.")
        if self.failed:
            lines.append(f"{self.failed} could not be sent (mail server error); the next run retries them.")
        if self.stopped:
            lines.append(f"Stopped after {MAX_FAILURES_IN_A_ROW} failures in a row: check the mail settings.")
        return "\n".join(lines)


def due_threshold(days_left: int, thresholds: tuple[int, ...]) -> int | None:
    """The most urgent threshold reached `days_left` days before the date (None: none yet).

    Only the most urgent one counts, so a run after a pause sends one reminder
    rather than every one it missed, and the missed ones never come due again.
    """
    reached = [threshold for threshold in thresholds if days_left <= threshold]
    return min(reached) if reached else None


def send_reminders(today: date) -> Summary:
    """Send every reminder due on `today` that was not sent before, and audit-log the run."""
    summary = Summary()
    with write_intent():
        due = _certificate_reminders(today) + _requirement_reminders(today)
        db.session.rollback()  # end the reading transaction: each reminder gets its own
        failures_in_a_row = 0
        for reminder in due:
            outcome = _send_once(reminder)
            summary.count(reminder.kind, outcome)
            failures_in_a_row = failures_in_a_row + 1 if outcome == "failed" else 0
            if failures_in_a_row == MAX_FAILURES_IN_A_ROW:
                summary.stopped = True
                break
        record_event(None, "reminders.send", None,
                     {"today": today.isoformat(), "sent": dict(summary.sent), "skipped": summary.skipped,
                      "failed": summary.failed}, actor_label="cli")
        db.session.commit()
    return summary


def _send_once(reminder: Due) -> str:
    """Claim the reminder's row, then send: "sent", "skipped" (claimed already) or "failed"."""
    row = Reminder(user_id=reminder.user_id, kind=reminder.kind, subject=reminder.subject,
                   threshold=reminder.threshold, detail=f"{reminder.message_subject} (to {reminder.to})")
    db.session.add(row)
    try:
        db.session.commit()
    except IntegrityError:
        db.session.rollback()
        return "skipped"
    try:
        send_mail(reminder.to, reminder.message_subject, reminder.body)
    except OSError:  # smtplib's errors, refused connections, an unwritable outbox
        current_app.logger.exception("reminder to user %s not sent", reminder.user_id)
        db.session.delete(row)
        db.session.commit()
        return "failed"
    return "sent"


def _already_sent(kind: str) -> set[tuple[int, str, int]]:
    """(user id, subject, threshold) of the reminders of a kind sent before.

    The unique key would refuse them anyway; filtering first keeps a frequent
    cron run from trying (and rolling back) every one of them again.
    """
    return {tuple(row) for row in db.session.execute(
        db.select(Reminder.user_id, Reminder.subject, Reminder.threshold).where(Reminder.kind == kind))}


# ---------------------------------------------------------------- certificates

@dataclass(frozen=True)
class Expiring:
    """A current course certificate near or past its expiry date."""

    code: str
    expires_on: date
    title: str
    window_days: int    # the course's recertification window
    slug: str


def _certificate_reminders(today: date) -> list[Due]:
    """Current course certificates (not superseded, not revoked) of active accounts near or past expiry."""
    thresholds = THRESHOLDS[CERTIFICATE_EXPIRY]
    horizon = today + timedelta(days=max(thresholds))
    rows = db.session.execute(
        db.select(Certificate.id, Certificate.code, Certificate.expires_on, CourseVersion.title,
                  CourseVersion.settings, Course.slug, User)
        .join(User, User.id == Certificate.user_id).join(Course, Course.id == Certificate.course_id)
        .join(CourseVersion, CourseVersion.id == Certificate.version_id)
        .where(Certificate.kind == "course", Certificate.superseded_by_id.is_(None),
               Certificate.revoked_at.is_(None), Certificate.expires_on <= horizon, User.active.is_(True))
        .order_by(Certificate.expires_on, Certificate.id)).all()
    sent = _already_sent(CERTIFICATE_EXPIRY)
    due = []
    for certificate_id, code, expires_on, title, settings, slug, user in rows:
        days_left = (expires_on - today).days
        threshold = due_threshold(days_left, thresholds)
        if threshold is None or (user.id, str(certificate_id), threshold) in sent:
            continue
        certificate = Expiring(code, expires_on, title, int(settings.get("recertification_window_days", 90)), slug)
        message_subject, body = _certificate_message(certificate, user, days_left, today)
        due.append(Due(user.id, CERTIFICATE_EXPIRY, str(certificate_id), threshold, user.email,
                       message_subject, body))
    return due


def _certificate_message(certificate: Expiring, user: User, days_left: int, today: date) -> tuple[str, str]:
    title, expires = certificate.title, certificate.expires_on.isoformat()
    named = f"Your certificate for {title} (code {codes.display(certificate.code)})"
    if days_left < 0:
        subject = f"Your certificate for {title} expired on {expires}"
        news = (f"{named} expired on {expires}. It no longer shows you as certified, and it no longer "
                "counts towards any clearance.")
        action = f"To be certified again, take the course again:\n{course_url(certificate.slug)}"
    else:
        subject = f"Your certificate for {title} expires {_when(days_left, expires)}"
        news = f"{named} expires on {expires}, {_relative(days_left)}."
        opens = certificate.expires_on - timedelta(days=certificate.window_days)
        start = "now" if opens <= today else f"from {opens.isoformat()}"
        action = (f"To stay certified, take the course again before then (you can start {start}):\n"
                  f"{course_url(certificate.slug)}")
    return subject, _letter(user, news, action)


# ---------------------------------------------------------------- requirement sets

def _requirement_reminders(today: date) -> list[Due]:
    """Requirement sets assigned to active clinicians who are not cleared, near or past the due date."""
    thresholds, sent = THRESHOLDS[REQUIREMENT_DUE], _already_sent(REQUIREMENT_DUE)
    pending = []  # (user id, set id, clearance, threshold)
    for user_id, per_set in iter_clearances(None, today):
        for set_id, state in sorted(per_set.items()):
            if state.status not in NOT_CLEARED or state.due_on is None:
                continue
            threshold = due_threshold((state.due_on - today).days, thresholds)
            if threshold is not None and (user_id, _set_subject(set_id, state.due_on), threshold) not in sent:
                pending.append((user_id, set_id, state, threshold))
    if not pending:
        return []
    users = {user.id: user for user in db.session.scalars(
        db.select(User).where(User.id.in_({user_id for user_id, *_ in pending})))}
    names = {requirement_set.id: requirement_set.name for requirement_set in requirement_sets()}
    courses = _courses({course_id for _, _, state, _ in pending for course_id in state.missing})
    due = []
    for user_id, set_id, state, threshold in pending:
        user = users[user_id]
        message_subject, body = _requirement_message(user, names[set_id], state, courses, today)
        due.append(Due(user_id, REQUIREMENT_DUE, _set_subject(set_id, state.due_on), threshold, user.email,
                       message_subject, body))
    return due


def _set_subject(set_id: int, due_on: date) -> str:
    """The due date is part of the key: a new due date starts the reminders again."""
    return f"{set_id}:{due_on.isoformat()}"


def _courses(course_ids: set[int]) -> dict[int, tuple[str, str]]:
    """course id → (title of the current version, slug)."""
    rows = db.session.execute(db.select(Course.id, CourseVersion.title, Course.slug)
                              .outerjoin(CourseVersion, CourseVersion.id == Course.current_version_id)
                              .where(Course.id.in_(course_ids)))
    return {course_id: (title or slug, slug) for course_id, title, slug in rows}


def _requirement_message(user: User, set_name: str, state: Clearance, courses: dict[int, tuple[str, str]],
                         today: date) -> tuple[str, str]:
    due, days_left = state.due_on.isoformat(), (state.due_on - today).days
    if days_left < 0:
        subject = f"{set_name} was due on {due}"
        news = f"{set_name} was due on {due}, and you are not cleared yet."
    else:
        subject = f"{set_name} is due {_when(days_left, due)}"
        news = f"You need {set_name} by {due}, {_relative(days_left)}."
    listed = "\n".join(f"- {courses[course_id][0]}: {course_url(courses[course_id][1])}"
                       for course_id in state.missing if course_id in courses)
    action = ("For it you still need a current certificate in:\n\n"
              f"{listed}\n\nYour dashboard in Academy shows your requirements and their due dates.")
    return subject, _letter(user, news, action)


# ---------------------------------------------------------------- wording

def course_url(slug: str) -> str:
    return f"{current_app.config['ACADEMY_BASE_URL'].rstrip('/')}/courses/{slug}"


def _when(days_left: int, day: str) -> str:
    return f"today ({day})" if days_left == 0 else f"on {day}"


def _relative(days_left: int) -> str:
    if days_left == 0:
        return "today"
    return "tomorrow" if days_left == 1 else f"in {days_left} days"


def _letter(user: User, news: str, action: str) -> str:
    return (f"Hello {user.full_name},\n\n{news}\n\n{action}\n\n"
            "This is an automatic reminder from Academy; you get each reminder once.")
