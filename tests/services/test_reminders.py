"""Reminders before certificates expire and requirements fall due: thresholds, once only, catch-up."""
import itertools
import json
from datetime import date, timedelta
from decimal import Decimal

import pytest

from academy.admin import reminders
from academy.admin.reminders import due_threshold, send_reminders
from academy.cli_admin import send_reminders_command
from academy.extensions import db
from academy.models import (AuditEvent, Certificate, Course, CourseVersion, Reminder, RequirementAssignment,
                            RequirementCourse, RequirementSet, User)
from academy.models.base import utcnow
from tests.conftest import outbox

TODAY = date(2026, 4, 1)
_numbers = itertools.count(1)


# ---------------------------------------------------------------- factories

def clinician(name: str = "Dana Clinician", **columns) -> User:
    number = next(_numbers)
    user = User(email=f"clinician{number}@example.org", full_name=name, password_hash="unusable",
                profession="LCSW", **columns)
    db.session.add(user)
    db.session.flush()
    return user


def course(slug: str = "medical-screening", title: str = "Medical Screening") -> Course:
    course = Course(slug=slug)
    db.session.add(course)
    db.session.flush()
    version = CourseVersion(course_id=course.id, sequence=1, version="1.0.0", major=1, content_hash="0" * 64,
                            title=title, summary="", settings={"recertification_window_days": 90},
                            overview_html="", ce_hours=Decimal("1.25"), normal_form={})
    db.session.add(version)
    db.session.flush()
    course.current_version_id = version.id
    return course


def certificate(user: User, course: Course, expires_on: date, **columns) -> Certificate:
    code = f"{next(_numbers):026d}"
    held = Certificate(code=code, kind="course", user_id=user.id, course_id=course.id,
                       version_id=course.current_version_id, snapshot={}, expires_on=expires_on, **columns)
    db.session.add(held)
    db.session.flush()
    return held


def requirement(courses: list[Course], user: User, due_on: date) -> RequirementSet:
    requirement_set = RequirementSet(name="KAP clinician clearance")
    db.session.add(requirement_set)
    db.session.flush()
    db.session.add_all([RequirementCourse(requirement_set_id=requirement_set.id, course_id=c.id) for c in courses])
    db.session.add(RequirementAssignment(requirement_set_id=requirement_set.id, target_type="user",
                                         user_id=user.id, due_on=due_on))
    db.session.flush()
    return requirement_set


def sent() -> list[tuple[int, str, str, int]]:
    return db.session.execute(db.select(Reminder.user_id, Reminder.kind, Reminder.subject, Reminder.threshold)
                              .order_by(Reminder.id)).all()


def run(day: date):
    summary = send_reminders(day)
    db.session.expire_all()
    return summary


# ---------------------------------------------------------------- thresholds

@pytest.mark.parametrize("days_left, expected", [
    (91, None), (90, 90), (31, 90), (30, 30), (8, 30), (7, 7), (1, 7), (0, 0), (-400, 0)])
def test_the_most_urgent_threshold_reached_counts(days_left, expected):
    assert due_threshold(days_left, (90, 30, 7, 0)) == expected


def test_certificate_reminders_at_90_30_7_days_and_on_expiry(app):
    user, screening = clinician("Łukasz Nguyễn"), course()
    held = certificate(user, screening, date(2026, 6, 30))
    db.session.commit()
    days = {date(2026, 3, 31): None, date(2026, 4, 1): 90, date(2026, 5, 30): None, date(2026, 5, 31): 30,
            date(2026, 6, 22): None, date(2026, 6, 23): 7, date(2026, 6, 29): None, date(2026, 6, 30): 0,
            date(2026, 9, 1): None}
    for day, threshold in days.items():
        summary = run(day)
        assert summary.sent["certificate_expiry"] == (threshold is not None), day
    assert sent() == [(user.id, "certificate_expiry", str(held.id), t) for t in (90, 30, 7, 0)]

    first, *_, last = outbox(app)
    assert first.startswith(f"To: {user.email}\nSubject: Your certificate for Medical Screening expires on "
                            "2026-06-30\n")
    assert "Hello Łukasz Nguyễn," in first and "expires on 2026-06-30, in 90 days" in first
    assert "you can start now" in first and "http://academy.test/courses/medical-screening" in first
    assert "Subject: Your certificate for Medical Screening expires today (2026-06-30)" in last


def test_a_90_day_reminder_says_when_recertification_opens(app):
    screening = course()
    screening.current_version.settings = {"recertification_window_days": 60}
    certificate(clinician(), screening, TODAY + timedelta(days=90))
    db.session.commit()
    run(TODAY)
    [message] = outbox(app)
    assert f"you can start from {(TODAY + timedelta(days=30)).isoformat()}" in message


def test_running_twice_sends_nothing_twice(app):
    certificate(clinician(), course(), TODAY + timedelta(days=30))
    db.session.commit()
    assert run(TODAY).total == 1
    again = run(TODAY)
    assert again.total == 0 and again.skipped == 0
    assert len(outbox(app)) == 1 and len(sent()) == 1


def test_a_late_run_sends_only_the_most_urgent_reminder(app):
    user, screening = clinician(), course()
    soon = certificate(user, screening, TODAY + timedelta(days=5))
    lapsed = certificate(user, course("risk", "Suicide Risk Assessment"), TODAY - timedelta(days=20))
    db.session.commit()
    run(TODAY)
    for day in range(1, 30):
        run(TODAY + timedelta(days=day))
    assert sorted(sent()) == sorted([(user.id, "certificate_expiry", str(soon.id), 7),
                                     (user.id, "certificate_expiry", str(soon.id), 0),
                                     (user.id, "certificate_expiry", str(lapsed.id), 0)])
    expired = [m for m in outbox(app) if "Suicide Risk" in m]
    assert len(expired) == 1
    assert "expired on 2026-03-12" in expired[0] and "take the course again" in expired[0]


def test_superseded_revoked_and_inactive_holders_get_nothing(app):
    screening, soon = course(), TODAY + timedelta(days=7)
    renewed = clinician()
    newer = certificate(renewed, screening, TODAY + timedelta(days=700))
    certificate(renewed, screening, soon, superseded_by_id=newer.id, superseded_at=utcnow())
    certificate(clinician(), screening, soon, revoked_at=utcnow(), revoked_reason="test")
    certificate(clinician(active=False), screening, soon)
    db.session.commit()
    summary = run(TODAY)
    assert summary.total == 0 and sent() == [] and outbox(app) == []


def test_requirement_reminders_until_the_clinician_is_cleared(app):
    user, screening, risk = clinician(), course(), course("risk", "Suicide Risk Assessment")
    due = TODAY + timedelta(days=30)
    clearance = requirement([screening, risk], user, due)
    db.session.commit()
    assert run(TODAY).sent["requirement_due"] == 1
    [message] = outbox(app)
    assert "Subject: KAP clinician clearance is due on 2026-05-01" in message
    assert "You need KAP clinician clearance by 2026-05-01, in 30 days." in message
    assert "- Medical Screening: http://academy.test/courses/medical-screening" in message
    assert "- Suicide Risk Assessment: http://academy.test/courses/risk" in message

    certificate(user, screening, TODAY + timedelta(days=700))
    certificate(user, risk, TODAY + timedelta(days=700))
    db.session.commit()
    for day in (23, 30, 31):
        assert run(TODAY + timedelta(days=day)).total == 0
    assert sent() == [(user.id, "requirement_due", f"{clearance.id}:2026-05-01", 30)]


def test_an_overdue_requirement_is_reminded_once_and_a_new_due_date_starts_again(app):
    user, screening = clinician(), course()
    clearance = requirement([screening], user, TODAY - timedelta(days=3))
    db.session.commit()
    run(TODAY)
    run(TODAY + timedelta(days=1))
    [message] = outbox(app)
    assert "KAP clinician clearance was due on 2026-03-29, and you are not cleared yet." in message
    db.session.scalar(db.select(RequirementAssignment)).due_on = TODAY + timedelta(days=7)
    db.session.commit()
    assert run(TODAY + timedelta(days=1)).sent["requirement_due"] == 1
    assert [row.subject for row in db.session.scalars(db.select(Reminder))] == \
        [f"{clearance.id}:2026-03-29", f"{clearance.id}:2026-04-08"]


def test_a_refused_message_is_not_recorded_and_the_next_run_retries(app, monkeypatch):
    certificate(clinician(), course(), TODAY + timedelta(days=7))
    db.session.commit()

    def refuse(to, subject, body):
        raise ConnectionRefusedError("mail server down")

    with monkeypatch.context() as patched:
        patched.setattr(reminders, "send_mail", refuse)
        failed = run(TODAY)
    assert (failed.total, failed.failed) == (0, 1) and sent() == []
    assert run(TODAY).total == 1 and len(outbox(app)) == 1


def test_many_refusals_in_a_row_stop_the_run(app, monkeypatch):
    screening = course()
    for _ in range(reminders.MAX_FAILURES_IN_A_ROW + 2):
        certificate(clinician(), screening, TODAY)
    db.session.commit()
    monkeypatch.setattr(reminders, "send_mail", lambda *args: (_ for _ in ()).throw(OSError("down")))
    summary = run(TODAY)
    assert summary.stopped and summary.failed == reminders.MAX_FAILURES_IN_A_ROW


def test_a_reminder_claimed_by_a_concurrent_run_is_skipped(app, monkeypatch):
    """The other run committed its Reminder row after this run read what was sent: the unique key decides."""
    user, screening = clinician(), course()
    held = certificate(user, screening, TODAY + timedelta(days=7))
    db.session.add(Reminder(user_id=user.id, kind="certificate_expiry", subject=str(held.id), threshold=7))
    db.session.commit()
    monkeypatch.setattr(reminders, "_already_sent", lambda kind: set())
    summary = run(TODAY)
    assert (summary.total, summary.skipped) == (0, 1) and outbox(app) == []


def test_each_run_is_audited_once_with_its_counts(app):
    certificate(clinician(), course(), TODAY)
    db.session.commit()
    run(TODAY)
    run(TODAY)
    events = db.session.scalars(db.select(AuditEvent).where(AuditEvent.action == "reminders.send")
                                .order_by(AuditEvent.id)).all()
    assert [json.loads(event.detail)["sent"] for event in events] == [{"certificate_expiry": 1}, {}]


def test_the_command_prints_the_summary(app):
    certificate(clinician(), course(), date(2026, 6, 30))
    db.session.commit()
    result = app.test_cli_runner().invoke(send_reminders_command, ["--today", "2026-04-01"])
    assert result.exit_code == 0, result.output
    assert result.output == "Sent 1 reminder (1 certificate expiry, 0 requirement due).\n"
