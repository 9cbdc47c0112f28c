"""Issuing, looking up, rendering, signing and revoking certificates.

A certificate is issued inside the transaction that records the completion
and is unique per completion (a database constraint). What it shows is
copied into a snapshot at that moment; the PDF, the verification page and
the signed credential are all made from the snapshot, on demand.
"""
from __future__ import annotations

import calendar
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

from flask import current_app
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import joinedload

from academy.audit import record_event
from academy.certificates import codes
from academy.certificates.credential import build_credential, sign
from academy.certificates.keys import KeyRingError, load_keyring
from academy.certificates.pdf import render_pdf
from academy.certificates.snapshot import Snapshot
from academy.extensions import db
from academy.learning.errors import LearningError
from academy.mail import send_mail
from academy.models import (Certificate, Completion, Course, CourseVersion, Program, ProgramCourse,
                            ReissueRequest, User)
from academy.models.base import utcnow


# ---------------------------------------------------------------- settings and dates

def today() -> date:
    """Today in the configured time zone (certificates print local dates)."""
    return datetime.now(ZoneInfo(current_app.config["ACADEMY_TIMEZONE"])).date()


def local_date(moment: datetime) -> date:
    return moment.astimezone(ZoneInfo(current_app.config["ACADEMY_TIMEZONE"])).date()


def add_months(day: date, months: int) -> date:
    """The same day `months` later, clipped to the month's end (31 Jan + 1 month = 28/29 Feb)."""
    month_index = day.month - 1 + months
    year, month = day.year + month_index // 12, month_index % 12 + 1
    return date(year, month, min(day.day, calendar.monthrange(year, month)[1]))


def verify_url(code: str) -> str:
    return f"{current_app.config['ACADEMY_BASE_URL'].rstrip('/')}/verify/{code}"


def keys_dir() -> Path:
    configured = current_app.config.get("ACADEMY_KEYS_DIR")
    return Path(configured) if configured else Path(current_app.instance_path) / "keys"


# ---------------------------------------------------------------- status

@dataclass(frozen=True)
class Status:
    state: str                  # valid | expired | revoked | superseded
    expiring: bool = False      # valid, and inside the recertification window
    earlier_version: bool = False
    recertify_by: date | None = None

    @property
    def label(self) -> str:
        labels = {"valid": "Valid", "expired": "Expired", "revoked": "Revoked", "superseded": "Superseded"}
        label = labels[self.state]
        if self.state == "valid" and self.expiring:
            label = "Valid, expiring soon"
        return label


def status_of(certificate: Certificate, on: date | None = None) -> Status:
    on = on or today()
    earlier = _earlier_version(certificate)
    if certificate.revoked_at is not None:
        return Status("revoked", earlier_version=earlier)
    if certificate.superseded_by_id is not None:
        return Status("superseded", earlier_version=earlier)
    if certificate.expires_on is not None and certificate.expires_on < on:
        return Status("expired", earlier_version=earlier)
    window = timedelta(days=_window_days(certificate))
    expiring = certificate.expires_on is not None and certificate.expires_on - window <= on
    return Status("valid", expiring=expiring, earlier_version=earlier, recertify_by=certificate.recertify_by)


def _window_days(certificate: Certificate) -> int:
    version = certificate.version
    return int((version.settings if version else {}).get("recertification_window_days", 90))


def _earlier_version(certificate: Certificate) -> bool:
    if certificate.kind != "course" or certificate.version is None or certificate.course is None:
        return False
    current = certificate.course.current_version
    return current is not None and current.major > certificate.version.major


# ---------------------------------------------------------------- issuing

def issue_for_completion(completion: Completion, user: User) -> list[Certificate]:
    """Issue the course certificate (and any program certificate it completes). Flushes; the caller commits."""
    version = completion.version
    completed_on = local_date(completion.completed_at)
    validity = version.settings.get("validity_months")
    certificate = _new_certificate(
        user, kind="course", completion_id=completion.id, course_id=completion.course_id, version_id=version.id,
        snapshot=_course_snapshot(user, version, completed_on),
        expires_on=add_months(completed_on, validity) if validity else None)
    _supersede_older(certificate)
    issued = [certificate]
    for program in _programs_with(completion.course_id):
        program_certificate = _issue_program(user, program)
        if program_certificate is not None:
            issued.append(program_certificate)
    return issued


def _course_snapshot(user: User, version: CourseVersion, completed_on: date, code: str | None = None) -> dict:
    config = current_app.config
    snapshot = Snapshot(
        code=code or codes.new_code(), kind="course", holder_name=user.full_name,
        holder_credentials=user.credentials, license_number=user.license_number or None,
        license_state=user.license_state or None, course_title=version.title, course_version=version.version,
        completion_date=completed_on, issue_date=today(), ce_hours=version.ce_hours,
        accreditation=tuple(version.settings.get("accreditation") or ()),
        provider_name=config["ACADEMY_PROVIDER_NAME"], signatory=config["ACADEMY_SIGNATORY"],
        expires_on=None)
    return snapshot.to_json()


def _new_certificate(user: User, *, snapshot: dict, expires_on: date | None, **columns) -> Certificate:
    snapshot = {**snapshot, "expires_on": expires_on.isoformat() if expires_on else None}
    certificate = Certificate(code=snapshot["code"], user_id=user.id, snapshot=snapshot, expires_on=expires_on,
                              **columns)
    db.session.add(certificate)
    db.session.flush()
    record_event(user, "certificate.issue", certificate, {"kind": certificate.kind})
    return certificate


def _supersede_older(certificate: Certificate) -> None:
    """Earlier certificates of the same course stay in the history, marked as superseded."""
    older = db.session.scalars(db.select(Certificate).where(
        Certificate.user_id == certificate.user_id, Certificate.course_id == certificate.course_id,
        Certificate.kind == "course", Certificate.id != certificate.id, Certificate.superseded_by_id.is_(None),
        Certificate.revoked_at.is_(None)))
    for previous in older:
        previous.superseded_by_id = certificate.id
        previous.superseded_at = utcnow()


def _programs_with(course_id: int) -> list[Program]:
    return db.session.scalars(db.select(Program).join(ProgramCourse).where(
        ProgramCourse.course_id == course_id, Program.retired_at.is_(None))).all()


def _issue_program(user: User, program: Program) -> Certificate | None:
    """A program certificate once every course in it has a valid certificate; it expires with the earliest."""
    current = {}
    for entry in program.entries:
        certificate = _current_course_certificate(user.id, entry.course_id)
        if certificate is None or status_of(certificate).state != "valid":
            return None
        current[entry.course_id] = certificate
    basis = ",".join(str(c.id) for c in sorted(current.values(), key=lambda c: c.id))
    if db.session.scalar(db.select(Certificate.id).where(Certificate.user_id == user.id,
                                                         Certificate.program_id == program.id,
                                                         Certificate.basis == basis)):
        return None
    parts = [current[entry.course_id] for entry in program.entries]
    expiries = [c.expires_on for c in parts if c.expires_on is not None]
    hours = sum((Snapshot.from_json(c.snapshot).ce_hours for c in parts))
    config = current_app.config
    snapshot = Snapshot(
        code=codes.new_code(), kind="program", holder_name=user.full_name, holder_credentials=user.credentials,
        license_number=user.license_number or None, license_state=user.license_state or None,
        course_title=program.title, course_version="program", completion_date=today(), issue_date=today(),
        ce_hours=hours, provider_name=config["ACADEMY_PROVIDER_NAME"], signatory=config["ACADEMY_SIGNATORY"],
        program_courses=tuple((c.snapshot["course_title"], c.code) for c in parts))
    older = db.session.scalars(db.select(Certificate).where(
        Certificate.user_id == user.id, Certificate.program_id == program.id,
        Certificate.superseded_by_id.is_(None), Certificate.revoked_at.is_(None))).all()
    certificate = _new_certificate(user, kind="program", program_id=program.id, basis=basis,
                                   snapshot=snapshot.to_json(), expires_on=min(expiries) if expiries else None)
    for previous in older:
        previous.superseded_by_id, previous.superseded_at = certificate.id, utcnow()
    return certificate


def _current_course_certificate(user_id: int, course_id: int) -> Certificate | None:
    return db.session.scalar(db.select(Certificate).where(
        Certificate.user_id == user_id, Certificate.course_id == course_id, Certificate.kind == "course",
        Certificate.superseded_by_id.is_(None), Certificate.revoked_at.is_(None))
        .order_by(Certificate.issued_at.desc()).limit(1))


def notify_issued(certificates: list[Certificate]) -> None:
    """Email the holder a verification link for each new certificate (after the commit)."""
    for certificate in certificates:
        user = db.session.get(User, certificate.user_id)
        send_mail(user.email, f"Your certificate: {certificate.snapshot['course_title']}",
                  f"Hello {user.full_name},\n\nYour certificate for {certificate.snapshot['course_title']} has been "
                  f"issued.\n\nCertificate code: {codes.display(certificate.code)}\nVerify it or share it: "
                  f"{verify_url(certificate.code)}\n\nYou can download the PDF from My learning in Academy.")


# ---------------------------------------------------------------- looking up and showing

def find(text: str) -> Certificate | None:
    """The certificate for a typed or scanned code (any case, grouped or not); one indexed query."""
    code = codes.normalise(text or "")
    if code is None:
        return None
    # Everything the status needs comes in the same query (joined), so a lookup is one query.
    return db.session.scalar(db.select(Certificate).options(
        joinedload(Certificate.version), joinedload(Certificate.course).joinedload(Course.current_version),
        joinedload(Certificate.superseded_by), joinedload(Certificate.program))
        .where(Certificate.code == code))


def certificates_of(user: User) -> list[Certificate]:
    return db.session.scalars(db.select(Certificate).where(Certificate.user_id == user.id)
                              .order_by(Certificate.issued_at.desc())).all()


def snapshot_of(certificate: Certificate) -> Snapshot:
    return Snapshot.from_json(certificate.snapshot)


def pdf_of(certificate: Certificate) -> bytes:
    return render_pdf(snapshot_of(certificate), verify_url(certificate.code))


class SigningUnavailable(LearningError):
    """No signing key has been created (flask academy keys init)."""


def signed_credential(certificate: Certificate) -> tuple[dict, str]:
    """The Open Badges 3.0 credential and its VC-JWT, signed with the active key."""
    try:
        keyring = load_keyring(keys_dir())
    except KeyRingError as exc:
        raise SigningUnavailable(f"Signing keys are not set up: {exc}") from None
    base = current_app.config["ACADEMY_BASE_URL"].rstrip("/")
    snapshot = snapshot_of(certificate)
    achievement = (f"{base}/courses/{certificate.course.slug}" if certificate.course is not None
                   else f"{base}/programs/{certificate.program.slug}")
    credential = build_credential(snapshot, issuer_id=base, issuer_name=current_app.config["ACADEMY_PROVIDER_NAME"],
                                  verify_url=verify_url(certificate.code), achievement_id=achievement)
    return credential, sign(credential, keyring.private_key(keyring.active_kid), keyring.active_kid)


# ---------------------------------------------------------------- lifecycle

def revoke(admin: User, certificate: Certificate, reason: str, *, ip: str = "") -> None:
    """Revoke with a reason; the verify page and credential status then say revoked."""
    reason = (reason or "").strip()
    if not reason:
        raise LearningError("Give the reason for the revocation; it is kept in the audit trail.")
    if certificate.revoked_at is not None:
        raise LearningError("This certificate is already revoked.")
    certificate.revoked_at, certificate.revoked_reason, certificate.revoked_by_id = utcnow(), reason[:2000], admin.id
    record_event(admin, "certificate.revoke", certificate, {"reason": reason[:500]}, ip=ip)
    db.session.commit()
    holder = db.session.get(User, certificate.user_id)
    send_mail(holder.email, f"Certificate revoked: {certificate.snapshot['course_title']}",
              f"Hello {holder.full_name},\n\nYour certificate {codes.display(certificate.code)} for "
              f"{certificate.snapshot['course_title']} has been revoked by an administrator.\n\nReason: {reason}\n\n"
              "If you believe this is a mistake, contact your Academy administrator.")


def request_reissue(user: User, certificate: Certificate, note: str = "") -> ReissueRequest:
    """Ask for a certificate to be issued again with the (corrected) profile details."""
    if certificate.user_id != user.id:
        raise LearningError("This is not your certificate.")
    if certificate.kind != "course" or status_of(certificate).state in ("revoked", "superseded"):
        raise LearningError("Only a current course certificate can be re-issued.")
    if certificate.snapshot["holder_name"] == user.full_name and \
            certificate.snapshot["holder_credentials"] == user.credentials and \
            (certificate.snapshot["license_number"] or "") == user.license_number and \
            (certificate.snapshot["license_state"] or "") == user.license_state:
        raise LearningError("Your profile matches this certificate already: correct your profile first.")
    pending = db.session.scalar(db.select(ReissueRequest).where(ReissueRequest.certificate_id == certificate.id,
                                                                ReissueRequest.status == "pending"))
    if pending is not None:
        return pending
    request = ReissueRequest(certificate_id=certificate.id, user_id=user.id, note=(note or "").strip()[:1000])
    db.session.add(request)
    record_event(user, "certificate.reissue_request", certificate)
    db.session.commit()
    return request


def decide_reissue(admin: User, request: ReissueRequest, approve: bool, *, ip: str = "") -> Certificate | None:
    """Approve (a new certificate with today's profile supersedes the old) or decline a re-issue request."""
    if request.status != "pending":
        raise LearningError("This request has been decided already.")
    old = request.certificate
    request.status, request.decided_by_id, request.decided_at = (
        "approved" if approve else "declined"), admin.id, utcnow()
    new = None
    if approve:
        user = db.session.get(User, old.user_id)
        snapshot = {**_course_snapshot(user, old.version, date.fromisoformat(old.snapshot["completion_date"]))}
        generation = 1 + max(db.session.scalars(db.select(Certificate.generation).where(
            Certificate.completion_id == old.completion_id)))
        new = _new_certificate(user, kind="course", completion_id=old.completion_id, generation=generation,
                               course_id=old.course_id, version_id=old.version_id, snapshot=snapshot,
                               expires_on=old.expires_on)
        new.recertify_by = old.recertify_by
        old.superseded_by_id, old.superseded_at = new.id, utcnow()
        request.new_certificate_id = new.id
    record_event(admin, "certificate.reissue_" + ("approve" if approve else "decline"), old, ip=ip)
    try:
        db.session.commit()
    except IntegrityError:
        db.session.rollback()
        raise LearningError("This request was decided at the same moment by someone else.") from None
    if new is not None:
        notify_issued([new])
    return new


def mark_earlier_version(version: CourseVersion) -> int:
    """After a new major version: certificates on older majors need recertification if the course says so.

    Returns how many certificates were given a recertification date. Flushes; the caller commits.
    """
    settings = version.settings
    if not settings.get("major_requires_recertification"):
        return 0
    due = today() + timedelta(days=int(settings.get("recertification_window_days", 90)))
    affected = db.session.scalars(db.select(Certificate).join(CourseVersion, Certificate.version_id == CourseVersion.id)
                                  .where(Certificate.course_id == version.course_id, CourseVersion.major < version.major,
                                         Certificate.revoked_at.is_(None), Certificate.superseded_by_id.is_(None),
                                         Certificate.recertify_by.is_(None))).all()
    for certificate in affected:
        certificate.recertify_by = min(due, certificate.expires_on) if certificate.expires_on else due
    return len(affected)


def may_retake(user: User, course: Course) -> bool:
    """A completed course may be taken again inside the recertification window, after expiry,
    or when a new major version requires recertification."""
    certificate = _current_course_certificate(user.id, course.id)
    if certificate is None:
        return True
    state = status_of(certificate)
    return state.state == "expired" or state.expiring or certificate.recertify_by is not None

