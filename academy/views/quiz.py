"""The post-test: opening an attempt, answering (saved on the server), extending, submitting, results."""
from __future__ import annotations

from flask import Blueprint, abort, flash, jsonify, redirect, render_template, request, url_for
from flask_login import current_user

from academy.forms.auth import ConfirmForm
from academy.learning import attempts, enrollment
from academy.learning.errors import LearningError, NotFound
from academy.security import signed_in

bp = Blueprint("quiz", __name__)


def _user():
    return current_user._get_current_object()


def _attempt_or_404(public_id: str):
    try:
        return attempts.attempt_for(_user(), public_id)
    except NotFound:
        abort(404)


def _answers_from_form(attempt) -> dict:
    """Read only the drawn questions' fields; anything else in the form is ignored."""
    answers = {}
    for question in attempts.drawn_questions(attempt):
        name = f"q-{question.qid}"
        if question.type == "multiple":
            if name in request.form or f"{name}-present" in request.form:
                answers[question.qid] = request.form.getlist(name)
        elif name in request.form:
            answers[question.qid] = request.form.get(name, "")
    unknown = [key for key in request.form if key.startswith("q-") and key.removesuffix("-present")[2:]
               not in {item["qid"] for item in attempt.draw}]
    if unknown:
        raise LearningError("Your answers include a question that is not part of this attempt; reload the page.")
    return answers


@bp.route("/courses/<slug>/test", methods=["POST"])
@signed_in
def open_test(slug: str):
    if not ConfirmForm().validate_on_submit():
        abort(400)
    try:
        _, taking = enrollment.taken(_user(), slug)
    except NotFound:
        abort(404)
    except enrollment.CourseMoved as exc:
        flash(str(exc), "info")
        return redirect(url_for("learn.course", slug=slug))
    try:
        attempt = attempts.open_attempt(_user(), taking)
    except LearningError as exc:
        flash(str(exc), "error")
        return redirect(url_for("learn.course", slug=slug))
    return redirect(url_for("quiz.attempt", public_id=attempt.public_id))


@bp.route("/attempts/<public_id>")
@signed_in
def attempt(public_id: str):
    attempt = _attempt_or_404(public_id)
    questions = attempts.drawn_questions(attempt)
    course = attempt.enrollment.course
    if attempt.status == "submitted":
        state = attempts.policy(attempt.enrollment)
        return render_template("quiz/result.html", attempt=attempt, questions=questions, course=course,
                               state=state, review=attempts.review_allowed(attempt, state),
                               history=attempts.history(attempt.enrollment))
    order = {item["qid"]: item["choices"] for item in attempt.draw}
    return render_template("quiz/attempt.html", attempt=attempt, questions=questions, order=order,
                           course=course, form=ConfirmForm(),
                           time_up=attempts.time_is_up(attempt))


@bp.route("/attempts/<public_id>/save", methods=["POST"])
@signed_in
def save(public_id: str):
    attempt = _attempt_or_404(public_id)
    wants_json = request.accept_mimetypes.best == "application/json"
    try:
        attempts.save_answers(_user(), attempt, _answers_from_form(attempt))
    except LearningError as exc:
        if wants_json:
            return jsonify(saved=False, message=str(exc)), 409
        flash(str(exc), "error")
    else:
        if wants_json:
            return jsonify(saved=True)
        flash("Your answers are saved.", "success")
    return redirect(url_for("quiz.attempt", public_id=public_id))


@bp.route("/attempts/<public_id>/extend", methods=["POST"])
@signed_in
def extend(public_id: str):
    attempt = _attempt_or_404(public_id)
    if not ConfirmForm().validate_on_submit():
        abort(400)
    try:
        attempts.extend(_user(), attempt)
    except LearningError as exc:
        flash(str(exc), "error")
    else:
        flash("You have more time: the new end time is shown above the questions.", "success")
    return redirect(url_for("quiz.attempt", public_id=public_id))


@bp.route("/attempts/<public_id>/submit", methods=["POST"])
@signed_in
def submit(public_id: str):
    attempt = _attempt_or_404(public_id)
    try:
        result = attempts.submit(_user(), attempt, _answers_from_form(attempt))
    except LearningError as exc:
        flash(str(exc), "error")
        return redirect(url_for("quiz.attempt", public_id=public_id))
    if result.late:
        flash("The time ran out before you submitted: the answers saved before then were graded.", "info")
    return redirect(url_for("quiz.attempt", public_id=public_id))
