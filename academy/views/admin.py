"""Administration: certificates (revocation, re-issue approval)."""
from __future__ import annotations

from flask import Blueprint, abort, flash, redirect, render_template, request, url_for
from flask_login import current_user

from academy.certificates import codes
from academy.extensions import db
from academy.forms.auth import ConfirmForm
from academy.learning import certificates
from academy.learning.errors import LearningError
from academy.models import ReissueRequest, User
from academy.security import client_ip, roles

bp = Blueprint("admin", __name__, url_prefix="/admin")
admin_only = roles("administrator")


@bp.route("/certificates/<code>")
@admin_only
def certificate(code: str):
    found = certificates.find(code)
    if found is None:
        abort(404)
    holder = db.session.get(User, found.user_id)
    return render_template("admin/certificate.html", certificate=found, holder=holder,
                           status=certificates.status_of(found), display=codes.display, form=ConfirmForm())


@bp.route("/certificates/<code>/revoke", methods=["POST"])
@admin_only
def revoke(code: str):
    found = certificates.find(code)
    if found is None:
        abort(404)
    if not ConfirmForm().validate_on_submit():
        abort(400)
    try:
        certificates.revoke(current_user._get_current_object(), found, request.form.get("reason", ""),
                            ip=client_ip())
    except LearningError as exc:
        flash(str(exc), "error")
    else:
        flash(f"Certificate {codes.display(found.code)} is revoked; the holder has been told by email.", "success")
    return redirect(url_for("admin.certificate", code=found.code))


@bp.route("/reissues")
@admin_only
def reissues():
    pending = db.session.scalars(db.select(ReissueRequest).where(ReissueRequest.status == "pending")
                                 .order_by(ReissueRequest.requested_at)).all()
    users = {u.id: u for u in db.session.scalars(db.select(User).where(
        User.id.in_([r.user_id for r in pending] or [0])))}
    return render_template("admin/reissues.html", pending=pending, users=users, display=codes.display,
                           form=ConfirmForm())


@bp.route("/reissues/<int:request_id>", methods=["POST"])
@admin_only
def decide(request_id: int):
    found = db.session.get(ReissueRequest, request_id)
    if found is None:
        abort(404)
    if not ConfirmForm().validate_on_submit() or request.form.get("decision") not in ("approve", "decline"):
        abort(400)
    try:
        new = certificates.decide_reissue(current_user._get_current_object(), found,
                                          request.form["decision"] == "approve", ip=client_ip())
    except LearningError as exc:
        flash(str(exc), "error")
    else:
        flash(f"Re-issued as {codes.display(new.code)}." if new else "Request declined.", "success")
    return redirect(url_for("admin.reissues"))
