"""The clinician's own records: evaluation, my learning and transcript, profile, data export."""
from __future__ import annotations

import json

from flask import Blueprint, Response, abort, flash, redirect, render_template, url_for
from flask_login import current_user

from academy.accounts.service import Profile
from academy.forms.learning import EvaluationForm, ProfileForm
from academy.certificates import codes
from academy.learning import catalog, certificates, enrollment
from academy.learning.completion import LIKERT_ITEMS, EvaluationInput, completion_for, submit_evaluation
from academy.learning.errors import LearningError, NotFound
from academy.learning.records import export_user_data, update_profile
from academy.security import client_ip, signed_in

bp = Blueprint("account", __name__)


def _user():
    return current_user._get_current_object()


@bp.route("/courses/<slug>/evaluation", methods=["GET", "POST"])
@signed_in
def evaluation(slug: str):
    try:
        course, taking = enrollment.taken(_user(), slug)
    except NotFound:
        abort(404)
    except enrollment.CourseMoved as exc:
        flash(str(exc), "info")
        return redirect(url_for("learn.course", slug=slug))
    if completion_for(taking) is not None:
        flash("You have completed this course already.", "info")
        return redirect(url_for("learn.course", slug=slug))
    form = EvaluationForm()
    if form.validate_on_submit():
        data = EvaluationInput(ratings={key: int(getattr(form, key).data) for key in LIKERT_ITEMS},
                               comments=form.comments.data or "", hours_claimed=form.hours_claimed.data,
                               attested=form.attest.data)
        try:
            submit_evaluation(_user(), taking, data)
        except LearningError as exc:
            flash(str(exc), "error")
        else:
            flash("Thank you. The course is complete.", "success")
            return redirect(url_for("account.learning"))
    elif not form.is_submitted():
        form.hours_claimed.data = str(taking.version.ce_hours)
    return render_template("account/evaluation.html", form=form, course=course, version=taking.version,
                           items=list(LIKERT_ITEMS))


@bp.route("/learning")
@signed_in
def learning():
    rows, per_year, total = catalog.transcript(_user())
    cards = [c for c in catalog.course_cards(_user()) if c.status != "not_started"]
    owned = [(c, certificates.status_of(c)) for c in certificates.certificates_of(_user())]
    return render_template("account/learning.html", rows=rows, per_year=per_year, total=total, cards=cards,
                           certificates=owned, display=codes.display)


@bp.route("/learning/transcript")
@signed_in
def transcript():
    rows, per_year, total = catalog.transcript(_user())
    return render_template("account/transcript.html", rows=rows, per_year=per_year, total=total)


@bp.route("/profile", methods=["GET", "POST"])
@signed_in
def profile():
    user = _user()
    form = ProfileForm(obj=user)
    if form.validate_on_submit():
        update_profile(user, Profile(full_name=form.full_name.data, credentials=form.credentials.data or "",
                                     profession=form.profession.data or "",
                                     license_number=form.license_number.data or "",
                                     license_state=form.license_state.data or ""), ip=client_ip())
        flash("Your profile is saved. Certificates issued from now on will show these details.", "success")
        return redirect(url_for("account.profile"))
    return render_template("account/profile.html", form=form)


@bp.route("/profile/export.json")
@signed_in
def export():
    body = json.dumps(export_user_data(_user()), indent=2, ensure_ascii=False, default=str)
    return Response(body, mimetype="application/json",
                    headers={"Content-Disposition": 'attachment; filename="academy-my-data.json"'})
