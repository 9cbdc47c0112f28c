"""Authoring pages for trainers (their assigned courses) and administrators (every course)."""
from __future__ import annotations

from flask import Blueprint, abort, flash, jsonify, redirect, render_template, request, url_for
from flask_login import current_user

from academy.author import drafts
from academy.extensions import db
from academy.forms.auth import ConfirmForm
from academy.learning.errors import LearningError, NotFound
from academy.models import User
from academy.security import roles

bp = Blueprint("author", __name__, url_prefix="/author")
authors = roles("trainer", "administrator")


def _user():
    return current_user._get_current_object()


def _course(slug: str):
    try:
        return drafts.course_for(_user(), slug)
    except NotFound:
        abort(404)


def _valid_post() -> None:
    if not ConfirmForm().validate_on_submit():
        abort(400)


@bp.route("/")
@authors
def index():
    return render_template("author/index.html", courses=drafts.courses_for(_user()), form=ConfirmForm())


@bp.route("/courses", methods=["POST"])
@authors
def create():
    _valid_post()
    try:
        course = drafts.create_course(_user(), request.form.get("slug", ""), request.form.get("title", ""))
    except LearningError as exc:
        flash(str(exc), "error")
        return redirect(url_for("author.index"))
    flash("Course created as a draft. Edit its files, then publish it.", "success")
    return redirect(url_for("author.course", slug=course.slug))


@bp.route("/<slug>")
@authors
def course(slug: str):
    course = _course(slug)
    try:
        draft = drafts.draft_for(_user(), course, keep=False)
    except LearningError as exc:
        flash(str(exc), "error")
        return redirect(url_for("author.index"))
    problems = drafts.check(course, draft)
    version = course.current_version
    next_major = (version.major + 1) if version else 1
    trainers = db.session.scalars(db.select(User).where(User.role == "trainer").order_by(User.full_name)).all() \
        if _user().role == "administrator" else []
    from academy.models import CourseTrainer
    assigned = set(db.session.scalars(db.select(CourseTrainer.user_id).where(CourseTrainer.course_id == course.id)))
    return render_template("author/course.html", course=course, draft=draft, modules=drafts.modules(draft),
                           problems=problems, versions=drafts.versions(course), form=ConfirmForm(),
                           errors=sum(p.severity == "error" for found in problems.values() for p in found),
                           affected=drafts.certificates_on_earlier_major(course, next_major) if version else 0,
                           trainers=trainers, assigned=assigned)


@bp.route("/<slug>/files/<name>", methods=["GET", "POST"])
@authors
def edit(slug: str, name: str):
    course = _course(slug)
    draft = drafts.draft_for(_user(), course, keep=request.method == "POST")
    if name not in draft.files:
        abort(404)
    text, revision = draft.files[name], draft.revisions.get(name, 0)
    if request.method == "POST":
        _valid_post()
        text = request.form.get("text", "")
        if request.form.get("action") == "save":
            try:
                drafts.save_file(_user(), course, draft, name, text, int(request.form.get("revision", "-1")))
            except drafts.EditConflict as exc:
                flash(str(exc), "error")
            else:
                flash("Saved to the draft. Clinicians see it once the course is published.", "success")
                return redirect(url_for("author.edit", slug=slug, name=name))
    shown = drafts.preview(course, draft, name, text)
    return render_template("author/edit.html", course=course, name=name, text=text, revision=revision,
                           preview=shown, form=ConfirmForm(), is_quiz=name == drafts.QUIZ)


@bp.route("/<slug>/files/<name>/preview", methods=["POST"])
@authors
def live_preview(slug: str, name: str):
    """The live preview (JSON) for the editor's script: the same renderer and checks as saving."""
    course = _course(slug)
    draft = drafts.draft_for(_user(), course)
    try:
        shown = drafts.preview(course, draft, name, request.form.get("text", ""))
    except NotFound:
        abort(404)
    html = shown.html if shown.quiz is None else render_template("author/_quiz_preview.html", quiz=shown.quiz)
    return jsonify(html=html, problems=[{"line": p.line, "severity": p.severity, "message": p.message}
                                        for p in shown.problems])


@bp.route("/<slug>/modules", methods=["POST"])
@authors
def add_module(slug: str):
    course = _course(slug)
    _valid_post()
    try:
        name = drafts.add_module(_user(), course, drafts.draft_for(_user(), course), request.form.get("title", ""))
    except LearningError as exc:
        flash(str(exc), "error")
        return redirect(url_for("author.course", slug=slug))
    return redirect(url_for("author.edit", slug=slug, name=name))


@bp.route("/<slug>/modules/<name>/<action>", methods=["POST"])
@authors
def module_action(slug: str, name: str, action: str):
    course = _course(slug)
    _valid_post()
    draft = drafts.draft_for(_user(), course)
    try:
        if action == "remove":
            drafts.remove_module(_user(), course, draft, name)
        elif action in ("up", "down"):
            drafts.move_module(_user(), course, draft, name, -1 if action == "up" else 1)
        else:
            abort(404)
    except NotFound:
        abort(404)
    except LearningError as exc:
        flash(str(exc), "error")
    return redirect(url_for("author.course", slug=slug))


@bp.route("/<slug>/images", methods=["POST"])
@authors
def upload(slug: str):
    course = _course(slug)
    _valid_post()
    upload = request.files.get("image")
    if upload is None or not upload.filename:
        flash("Choose an image file.", "error")
    else:
        try:
            snippet = drafts.upload_image(_user(), course, drafts.draft_for(_user(), course), upload.filename,
                                          upload.read(drafts.MAX_IMAGE_BYTES + 1))
        except LearningError as exc:
            flash(str(exc), "error")
        else:
            flash(f"Image stored. Put this line in a module where it belongs: {snippet}", "success")
    return redirect(url_for("author.course", slug=slug))


@bp.route("/<slug>/publish", methods=["POST"])
@authors
def publish(slug: str):
    course = _course(slug)
    _valid_post()
    if request.form.get("confirm") != "yes":
        flash("Tick the confirmation box to publish.", "error")
        return redirect(url_for("author.course", slug=slug))
    try:
        version = drafts.publish(_user(), course, drafts.draft_for(_user(), course), request.form.get("level", ""))
    except LearningError as exc:
        flash(str(exc), "error")
        return redirect(url_for("author.course", slug=slug))
    flash(f"Published version {version.version}. Clinicians see it now.", "success")
    return redirect(url_for("author.course", slug=slug))


@bp.route("/<slug>/diff")
@authors
def diff(slug: str):
    course = _course(slug)
    try:
        old = drafts.version_at(course, int(request.args.get("from", "0")))
        new = drafts.version_at(course, int(request.args.get("to", "0")))
    except (NotFound, ValueError):
        abort(404)
    return render_template("author/diff.html", course=course, old=old, new=new, changes=drafts.diff(old, new))


@bp.route("/<slug>/restore/<int:sequence>", methods=["POST"])
@authors
def restore(slug: str, sequence: int):
    course = _course(slug)
    _valid_post()
    try:
        version = drafts.version_at(course, sequence)
    except NotFound:
        abort(404)
    drafts.restore(_user(), course, version)
    flash(f"The draft now holds version {version.version}. Publish it to restore it for clinicians.", "success")
    return redirect(url_for("author.course", slug=slug))


@bp.route("/<slug>/evaluations")
@authors
def evaluations(slug: str):
    from academy.admin.reports import evaluation_summary
    from academy.learning.completion import LIKERT_ITEMS

    course = _course(slug)
    if course.current_version is None:
        abort(404)
    return render_template("admin/evaluations.html", course=course, summary=evaluation_summary(course, None, None),
                           items=LIKERT_ITEMS, start=None, end=None)


@bp.route("/<slug>/trainers", methods=["POST"])
@roles("administrator")
def trainers(slug: str):
    course = _course(slug)
    _valid_post()
    trainer = db.session.get(User, int(request.form.get("trainer", "0") or 0))
    if trainer is None or trainer.role != "trainer":
        abort(404)
    drafts.assign_trainer(_user(), course, trainer, request.form.get("assigned") == "1")
    return redirect(url_for("author.course", slug=slug))
