"""Certificates: the holder's PDF and re-issue requests, public verification, the signed credential."""
from __future__ import annotations

from flask import Blueprint, Response, abort, current_app, flash, redirect, render_template, request, url_for
from flask_login import current_user

from academy.certificates import codes
from academy.certificates.keys import KeyRingError, load_keyring
from academy.extensions import limiter
from academy.forms.auth import ConfirmForm
from academy.learning import certificates
from academy.learning.errors import LearningError
from academy.security import public, signed_in

bp = Blueprint("certificates", __name__)


def _verify_limit() -> str:
    return current_app.config["ACADEMY_VERIFY_LIMIT"]


def _own_or_admin(code: str):
    certificate = certificates.find(code)
    if certificate is None or (certificate.user_id != current_user.id and current_user.role != "administrator"):
        abort(404)
    return certificate


@bp.route("/certificates/<code>.pdf")
@signed_in
def pdf(code: str):
    certificate = _own_or_admin(code)
    filename = f"certificate-{codes.display(certificate.code)}.pdf"
    return Response(certificates.pdf_of(certificate), mimetype="application/pdf",
                    headers={"Content-Disposition": f'attachment; filename="{filename}"'})


@bp.route("/certificates/<code>/reissue", methods=["POST"])
@signed_in
def reissue(code: str):
    certificate = certificates.find(code)
    if certificate is None or certificate.user_id != current_user.id:
        abort(404)
    if not ConfirmForm().validate_on_submit():
        abort(400)
    try:
        certificates.request_reissue(current_user._get_current_object(), certificate)
    except LearningError as exc:
        flash(str(exc), "error")
    else:
        flash("Your request is with the administrators. You will get an email with the new certificate.", "success")
    return redirect(url_for("account.learning"))


@bp.route("/verify")
@public
def verify_form():
    code = request.args.get("code", "").strip()
    if code:
        return redirect(url_for("certificates.verify", code=code))
    return render_template("certificates/verify_form.html")


@bp.route("/verify/<code>")
@public
@limiter.limit(_verify_limit)
def verify(code: str):
    certificate = certificates.find(code)
    if certificate is None:
        return render_template("certificates/verify_missing.html"), 404
    return render_template("certificates/verify.html", certificate=certificate,
                           snapshot=certificates.snapshot_of(certificate),
                           status=certificates.status_of(certificate), display=codes.display)


@bp.route("/verify/<code>.json")
@public
@limiter.limit(_verify_limit)
def credential(code: str):
    certificate = certificates.find(code)
    if certificate is None:
        return {"error": "not found"}, 404
    try:
        document, token = certificates.signed_credential(certificate)
    except certificates.SigningUnavailable:
        return {"error": "signing keys are not set up on this server"}, 503
    status = certificates.status_of(certificate)
    if request.accept_mimetypes.best == "application/vc+jwt" or request.args.get("format") == "jwt":
        return Response(token, mimetype="application/vc+jwt")
    # The signed credential cannot change; its current status can (revocation, supersession).
    return {"status": status.state, "status_checked_at": certificates.today().isoformat(),
            "verify_url": certificates.verify_url(certificate.code), "credential": document, "jwt": token}


@bp.route("/.well-known/jwks.json")
@public
def jwks():
    try:
        keyring = load_keyring(certificates.keys_dir())
    except KeyRingError:
        return {"keys": []}
    return keyring.jwks()
