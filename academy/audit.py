"""record_event(): the one way any feature writes the audit trail."""
from __future__ import annotations

import json
import re

from academy.extensions import db
from academy.models import AuditEvent, User

# Newlines and other control characters in names could forge what looks like
# a second entry in a log view or export; they are replaced, never stored.
_CONTROL = re.compile(r"[\x00-\x1f\x7f-\x9f\u2028\u2029]")
_SECRET_KEYS = {"password", "token", "secret", "code", "recovery_code"}


def clean(text: object, limit: int = 254) -> str:
    return _CONTROL.sub(" ", str(text or ""))[:limit]


def record_event(actor: User | None, action: str, target: object = None,
                 detail: dict | None = None, *, ip: str = "",
                 actor_label: str = "") -> AuditEvent:
    """Add an audit entry to the current transaction (the caller commits)."""
    detail = {key: value for key, value in (detail or {}).items() if key not in _SECRET_KEYS}
    target_type, target_id, target_label = _describe(target)
    event = AuditEvent(
        actor_id=actor.id if actor is not None else None,
        actor_label=clean(actor.email if actor is not None else actor_label),
        action=clean(action, 64),
        target_type=target_type,
        target_id=target_id,
        target_label=target_label,
        detail=json.dumps(detail, default=str, sort_keys=True),
        ip_address=clean(ip, 45),
    )
    db.session.add(event)
    return event


def _describe(target: object) -> tuple[str, str, str]:
    if target is None:
        return "", "", ""
    if isinstance(target, User):
        return "user", str(target.id), clean(target.email)
    label = getattr(target, "audit_label", None) or str(target)
    return clean(type(target).__name__.lower(), 32), clean(getattr(target, "id", ""), 64), clean(label)
