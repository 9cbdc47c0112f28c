"""The clinician's side: catalog, course pages, modules and progress."""
from __future__ import annotations

from flask import Blueprint, abort, flash, redirect, render_template, url_for
from flask_login import current_user

from academy.forms.auth import ConfirmForm
from academy.learning import attempts, catalog, enrollment
from academy.learning.completion import completion_for
from academy.learning.errors import LearningError, NotFound
from academy.security import signed_in

bp = Blueprint("learn", __name__)


def _user():
    return current_user._get_current_object()


def _course_or_404(slug: str):
    try:
        return enrollment.published_course(slug)
    except NotFound:
        abort(404)


def _course_and_taking(slug: str):
    """The course and the enrollment in force, telling the clinician if a major update moved them."""
    try:
        course, latest = enrollment.course_with_enrollment(_user(), slug)
    except NotFound:
        abort(404)
    taking, moved = enrollment.kept_or_moved(_user(), course, latest)
    _tell_if_moved(moved)
    return course, taking


def _tell_if_moved(moved) -> None:
    if moved is not None:
        flash(moved.message, "info")


@bp.route("/courses")
@signed_in
def catalog_page():
    return render_template("learn/catalog.html", cards=catalog.course_cards(_user()), programs=catalog.programs())


@bp.route("/courses/<slug>")
@signed_in
def course(slug: str):
    course, taking = _course_and_taking(slug)
    version = taking.version if taking else course.current_version
    done_ids = enrollment.completed_module_ids(taking) if taking else set()
    missing = enrollment.missing_prerequisites(_user(), course.current_version)
    state = attempts.policy(taking) if taking else None
    resume = next((m for m in version.modules if m.id not in done_ids), None)
    return render_template("learn/course.html", course=course, version=version, taking=taking,
                           done_ids=done_ids, missing=missing, state=state, resume=resume,
                           completion=completion_for(taking) if taking else None, form=ConfirmForm())


@bp.route("/courses/<slug>/start", methods=["POST"])
@signed_in
def start(slug: str):
    course = _course_or_404(slug)
    if not ConfirmForm().validate_on_submit():
        abort(400)
    try:
        taking = enrollment.start_course(_user(), course)
    except LearningError as exc:
        flash(str(exc), "error")
        return redirect(url_for("learn.course", slug=slug))
    first = next((m for m in taking.version.modules if m.id not in enrollment.completed_module_ids(taking)),
                 taking.version.modules[0])
    return redirect(url_for("learn.module", slug=slug, position=first.position))


@bp.route("/courses/<slug>/modules/<int:position>")
@signed_in
def module(slug: str, position: int):
    try:
        page = enrollment.module_page(_user(), slug, position)
    except NotFound:
        abort(404)
    _tell_if_moved(page.moved)
    if page.enrollment is None:
        flash("Start the course to read its modules.", "info")
        return redirect(url_for("learn.course", slug=slug))
    if page.module is None:
        abort(404)
    return render_template("learn/module.html", course=page.course, version=page.enrollment.version,
                           module=page.module, count=page.count, done=page.done)


@bp.route("/courses/<slug>/m/<module_slug>")
@signed_in
def module_by_slug(slug: str, module_slug: str):
    """Where links between module files point: the module of that name in the version being taken."""
    course = _course_or_404(slug)
    taking = enrollment.current_enrollment(_user(), course)
    version = taking.version if taking else course.current_version
    module = next((m for m in version.modules if m.slug == module_slug), None)
    if module is None:
        abort(404)
    return redirect(url_for("learn.module", slug=slug, position=module.position))


@bp.route("/courses/<slug>/modules/<int:position>/complete", methods=["POST"])
@signed_in
def complete_module(slug: str, position: int):
    if not ConfirmForm().validate_on_submit():
        abort(400)
    try:
        _, taking = enrollment.taken(_user(), slug)
        current = enrollment.module_at(taking, position)
    except NotFound:
        abort(404)
    except enrollment.CourseMoved as exc:
        flash(str(exc), "info")
        return redirect(url_for("learn.course", slug=slug))
    enrollment.complete_module(taking, current)
    if position < len(taking.version.modules):
        return redirect(url_for("learn.module", slug=slug, position=position + 1))
    flash("All modules are complete. You can take the post-test now.", "success")
    return redirect(url_for("learn.course", slug=slug))
