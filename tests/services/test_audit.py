"""The audit trail: append-only, no secrets, no forged lines."""
import json

import pytest

from academy.audit import record_event
from academy.extensions import db
from academy.models import AuditEvent
from academy.models.audit import AuditTrailIsAppendOnly


def test_entries_cannot_be_changed_or_deleted(app, make_user):
    user = make_user()
    event = record_event(user, "test.action", user)
    db.session.commit()
    event.action = "something else"
    with pytest.raises(AuditTrailIsAppendOnly):
        db.session.commit()
    db.session.rollback()
    db.session.delete(db.session.get(AuditEvent, event.id))
    with pytest.raises(AuditTrailIsAppendOnly):
        db.session.commit()


def test_control_characters_cannot_forge_entries(app, make_user):
    user = make_user(full_name="Eve")
    user.email = "eve@example.org\n2026-01-01 admin login.success"
    record_event(user, "login.success\r\nrole.change", user, {"note": "x"})
    db.session.flush()
    event = db.session.scalars(db.select(AuditEvent).order_by(AuditEvent.id.desc())).first()
    for value in (event.actor_label, event.action, event.target_label):
        assert "\n" not in value and "\r" not in value


def test_secrets_are_dropped_from_details(app, make_user):
    user = make_user()
    event = record_event(user, "test", user, {"password": "hunter2 hunter2", "token": "abc", "kept": 1})
    db.session.commit()
    assert json.loads(event.detail) == {"kept": 1}


def test_timestamps_are_timezone_aware_utc(app, make_user):
    user = make_user()
    db.session.expire_all()
    assert user.created_at.utcoffset().total_seconds() == 0
