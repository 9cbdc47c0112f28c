"""A clinician's status on one course, and on a requirement set: the rules, as pure functions."""
from __future__ import annotations

from dataclasses import dataclass
from datetime import date, timedelta

CELL_LABELS = {
    "not_started": "Not started",
    "in_progress": "In progress",
    "passed": "Passed",
    "certified": "Certified",
    "expiring": "Expiring",
    "expired": "Expired",
    "revoked": "Revoked",
}
CLEARANCE_LABELS = {
    "cleared": "Cleared",
    "expiring": "Cleared, expiring",
    "due": "Due",
    "overdue": "Overdue",
    "lapsed": "Lapsed",
}


@dataclass(frozen=True)
class HeldCertificate:
    """The clinician's current certificate for a course (the newest not superseded)."""

    expires_on: date | None
    revoked: bool


@dataclass(frozen=True)
class Cell:
    status: str
    until: date | None = None

    @property
    def label(self) -> str:
        label = CELL_LABELS[self.status]
        if self.status in ("certified", "expiring") and self.until:
            label += f" until {self.until.isoformat()}"
        if self.status == "expired" and self.until:
            label += f" on {self.until.isoformat()}"
        return label


def cell_status(certificate: HeldCertificate | None, enrolled: bool, passed: bool, today: date,
                window_days: int) -> Cell:
    """What the status matrix shows for one clinician and one course."""
    if certificate is not None:
        if certificate.revoked:
            return Cell("revoked")
        if certificate.expires_on is not None and certificate.expires_on < today:
            return Cell("expired", certificate.expires_on)
        if certificate.expires_on is not None and certificate.expires_on <= today + timedelta(days=window_days):
            return Cell("expiring", certificate.expires_on)
        return Cell("certified", certificate.expires_on)
    if passed:
        return Cell("passed")
    if enrolled:
        return Cell("in_progress")
    return Cell("not_started")


@dataclass(frozen=True)
class Clearance:
    status: str
    due_on: date | None = None
    missing: tuple[int, ...] = ()   # course ids without a current certificate
    until: date | None = None       # when clearance ends (the earliest expiry), if cleared

    @property
    def label(self) -> str:
        label = CLEARANCE_LABELS[self.status]
        if self.status in ("due", "overdue") and self.due_on:
            label += f" ({self.due_on.isoformat()})"
        if self.status in ("cleared", "expiring") and self.until:
            label += f" until {self.until.isoformat()}"
        return label


def clearance(course_ids: list[int], held: dict[int, HeldCertificate], due_on: date | None, today: date,
              window_days: int) -> Clearance:
    """A clinician's status on a requirement set.

    cleared   every course has a valid certificate (none expiring within the window)
    expiring  cleared, but a certificate expires within the window
    lapsed    not cleared, and a certificate the set needs has expired or been revoked
    overdue   not cleared, never held, and the due date has passed
    due       not cleared, never held, due date still ahead
    """
    valid_until, missing, lapsed = [], [], False
    for course_id in course_ids:
        certificate = held.get(course_id)
        if certificate is None:
            missing.append(course_id)
        elif certificate.revoked or (certificate.expires_on is not None and certificate.expires_on < today):
            missing.append(course_id)
            lapsed = True
        elif certificate.expires_on is not None:
            valid_until.append(certificate.expires_on)
    if not missing:
        until = min(valid_until) if valid_until else None
        expiring = until is not None and until <= today + timedelta(days=window_days)
        return Clearance("expiring" if expiring else "cleared", due_on, (), until)
    if lapsed:
        return Clearance("lapsed", due_on, tuple(missing))
    if due_on is not None and due_on < today:
        return Clearance("overdue", due_on, tuple(missing))
    return Clearance("due", due_on, tuple(missing))
