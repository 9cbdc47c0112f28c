"""A clinician's own records: profile changes and the download of everything kept about them."""
from __future__ import annotations

from academy.accounts.service import Profile
from academy.audit import record_event
from academy.extensions import db
from academy.models import Attempt, Certificate, Completion, Enrollment, Evaluation, User


def update_profile(user: User, profile: Profile, *, ip: str = "") -> None:
    """Change what future certificates will show; certificates already issued keep their snapshot."""
    before = {"full_name": user.full_name, "credentials": user.credentials, "profession": user.profession,
              "license_number": user.license_number, "license_state": user.license_state}
    after = {"full_name": profile.full_name.strip(), "credentials": profile.credentials.strip(),
             "profession": profile.profession.strip(), "license_number": profile.license_number.strip(),
             "license_state": profile.license_state.strip()}
    changed = sorted(key for key in after if after[key] != before[key])
    if not changed:
        return
    for key in changed:
        setattr(user, key, after[key])
    record_event(user, "profile.update", user, {"fields": changed}, ip=ip)
    db.session.commit()


def export_user_data(user: User) -> dict:
    """Everything Academy keeps about the clinician, as plain data (no password hash, no tokens)."""
    enrollments = db.session.scalars(db.select(Enrollment).where(Enrollment.user_id == user.id)).all()
    by_enrollment = {e.id: e for e in enrollments}
    attempts = db.session.scalars(db.select(Attempt).where(Attempt.user_id == user.id)
                                  .order_by(Attempt.started_at)).all()
    evaluations = db.session.scalars(db.select(Evaluation).where(
        Evaluation.enrollment_id.in_(list(by_enrollment) or [0]))).all()
    completions = db.session.scalars(db.select(Completion).where(Completion.user_id == user.id)).all()
    certificates = db.session.scalars(db.select(Certificate).where(Certificate.user_id == user.id)
                                      .order_by(Certificate.issued_at)).all()
    return {
        "profile": {"email": user.email, "full_name": user.full_name, "credentials": user.credentials,
                    "profession": user.profession, "license_number": user.license_number,
                    "license_state": user.license_state, "role": user.role, "created_at": user.created_at,
                    "email_verified_at": user.email_verified_at},
        "enrollments": [{"course": e.course.slug, "version": e.version.version, "started_at": e.started_at}
                        for e in enrollments],
        "attempts": [{"course": by_enrollment[a.enrollment_id].course.slug, "version": a.version.version,
                      "number": a.number, "status": a.status, "started_at": a.started_at,
                      "submitted_at": a.submitted_at, "score": a.score, "passed": a.passed, "answers": a.answers}
                     for a in attempts],
        "evaluations": [{"course": by_enrollment[v.enrollment_id].course.slug, "ratings": v.ratings,
                         "comments": v.comments, "hours_claimed": v.hours_claimed,
                         "submitted_at": v.submitted_at} for v in evaluations],
        "completions": [{"course": c.course.slug, "version": c.version.version, "hours": c.hours,
                         "completed_at": c.completed_at} for c in completions],
        # With the snapshot: what each certificate certified, as issued, whatever the profile says now.
        "certificates": [{"code": c.code, "kind": c.kind, "course": c.course.slug if c.course else None,
                          "program": c.program.slug if c.program else None, "issued_at": c.issued_at,
                          "expires_on": c.expires_on, "revoked_at": c.revoked_at,
                          "revoked_reason": c.revoked_reason, "superseded_at": c.superseded_at,
                          "certified": c.snapshot} for c in certificates],
    }
