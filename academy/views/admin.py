"""Administration: dashboard, status matrix, people, requirements, certificates, reports, reminders, audit."""
from __future__ import annotations

from datetime import date, datetime, time, timedelta, timezone

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


# ---------------------------------------------------------------- helpers

def _admin():
    return current_user._get_current_object()


def _date_arg(name: str):
    value = request.args.get(name, "").strip()
    if not value:
        return None
    try:
        return date.fromisoformat(value)
    except ValueError:
        flash(f"'{value}' is not a date: use YYYY-MM-DD.", "error")
        return None


def _int_arg(name: str):
    value = request.args.get(name, "").strip()
    return int(value) if value.isdigit() else None


def _confirmed() -> bool:
    """Every administrative action needs its confirmation box ticked (and a valid CSRF token)."""
    if not ConfirmForm().validate_on_submit():
        abort(400)
    if request.form.get("confirm") != "yes":
        flash("Tick the confirmation box to carry out this action.", "error")
        return False
    return True


def _csv_response(name: str, header, rows, action: str, detail: dict):
    from flask import Response, stream_with_context

    from academy.admin.csvsafe import stream
    from academy.audit import record_event

    record_event(_admin(), action, None, detail, ip=client_ip())
    db.session.commit()
    return Response(stream_with_context(stream(header, rows)), mimetype="text/csv",
                    headers={"Content-Disposition": f'attachment; filename="{name}"'})


# ---------------------------------------------------------------- dashboard and matrix

@bp.route("/")
@admin_only
def dashboard():
    from academy.admin.dashboard import build, chart_svg
    from academy.admin.status import CLEARANCE_LABELS

    figures = build(certificates.today())
    return render_template("admin/dashboard.html", d=figures, chart=chart_svg(figures.months),
                           clearance_labels=CLEARANCE_LABELS)


def _filters():
    from academy.admin.matrix import Filters

    return Filters(course=request.args.get("course", ""), program=request.args.get("program", ""),
                   requirement=_int_arg("requirement"), status=request.args.get("status", ""),
                   group=_int_arg("group"), profession=request.args.get("profession", ""),
                   state=request.args.get("state", ""), search=request.args.get("q", ""),
                   completed_from=_date_arg("from"), completed_to=_date_arg("to"),
                   sort=request.args.get("sort", "name"), descending=request.args.get("dir") == "desc",
                   page=_int_arg("page") or 1)


@bp.route("/matrix")
@admin_only
def matrix():
    from academy.admin import matrix as status_matrix
    from academy.admin.records import published_courses, requirement_sets
    from academy.admin.status import CELL_LABELS
    from academy.models import Group, Program

    filters = _filters()
    if request.args.get("export") == "csv":
        header, rows = status_matrix.export_rows(filters, certificates.today())
        return _csv_response("status-matrix.csv", header, rows, "export.matrix",
                             {k: str(v) for k, v in vars(filters).items() if v not in ("", None)})
    result = status_matrix.page(filters, certificates.today())
    return render_template("admin/matrix.html", result=result, filters=filters, statuses=CELL_LABELS,
                           courses=published_courses(), requirement_sets=requirement_sets(),
                           programs=db.session.scalars(db.select(Program).order_by(Program.title)).all(),
                           groups=db.session.scalars(db.select(Group).order_by(Group.name)).all(),
                           args=request.args.to_dict())


# ---------------------------------------------------------------- people

@bp.route("/users", methods=["GET", "POST"])
@admin_only
def users():
    from academy.accounts.service import AccountError, Profile
    from academy.admin import people
    from academy.models import ROLES

    if request.method == "POST" and _confirmed():
        form = request.form
        try:
            user = people.invite(_admin(), form.get("email", ""), Profile(
                full_name=form.get("full_name", ""), credentials=form.get("credentials", ""),
                profession=form.get("profession", ""), license_number=form.get("license_number", ""),
                license_state=form.get("license_state", "")), form.get("role", "clinician")
                if form.get("role") in ROLES else "clinician", ip=client_ip())
        except AccountError as exc:
            flash(str(exc), "error")
        else:
            flash(f"{user.email} is invited: a link to set a password has been emailed.", "success")
            return redirect(url_for("admin.user", user_id=user.id))
    search = request.args.get("q", "").strip().lower()
    query = db.select(User).order_by(User.full_name, User.id)
    if search:
        query = query.where(db.or_(db.func.lower(User.full_name).like(f"%{search}%"), User.email.like(f"%{search}%")))
    page = max(1, _int_arg("page") or 1)
    found = db.session.scalars(query.limit(51).offset((page - 1) * 50)).all()
    return render_template("admin/users.html", users=found[:50], more=len(found) > 50, page=page, search=search,
                           roles=ROLES, form=ConfirmForm())


@bp.route("/users/import", methods=["GET", "POST"])
@admin_only
def import_users():
    from academy.admin import people

    errors = []
    if request.method == "POST" and _confirmed():
        upload = request.files.get("file")
        if upload is None or not upload.filename:
            errors = ["Choose a CSV file to import."]
        else:
            try:
                text = upload.read().decode("utf-8-sig")
            except UnicodeDecodeError:
                errors = ["The file is not UTF-8 text: save the spreadsheet as 'CSV UTF-8'."]
            else:
                created, errors = people.bulk_import(_admin(), text, ip=client_ip())
                if not errors:
                    flash(f"{created} clinicians imported and invited by email.", "success")
                    return redirect(url_for("admin.users"))
    return render_template("admin/import.html", errors=errors, columns=people.IMPORT_COLUMNS, form=ConfirmForm())


def _user_or_404(user_id: int) -> User:
    user = db.session.get(User, user_id)
    if user is None:
        abort(404)
    return user


@bp.route("/users/<int:user_id>")
@admin_only
def user(user_id: int):
    from academy.accounts import twofactor
    from academy.admin.records import clearances, requirement_sets
    from academy.learning import catalog
    from academy.models import Attempt, AttemptGrant, Group, GroupMembership, ROLES

    person = _user_or_404(user_id)
    rows, per_year, total = catalog.transcript(person)
    held = [(c, certificates.status_of(c)) for c in certificates.certificates_of(person)]
    attempts = db.session.scalars(db.select(Attempt).where(Attempt.user_id == person.id)
                                  .order_by(Attempt.started_at.desc()).limit(100)).all()
    member_of = set(db.session.scalars(db.select(GroupMembership.group_id).where(GroupMembership.user_id == person.id)))
    grants = db.session.scalars(db.select(AttemptGrant).where(AttemptGrant.user_id == person.id)).all()
    sets = {s.id: s for s in requirement_sets()}
    return render_template("admin/user.html", person=person, rows=rows, per_year=per_year, total=total,
                           held=held, attempts=attempts, groups=db.session.scalars(db.select(Group).order_by(Group.name)).all(),
                           member_of=member_of, grants=grants, roles=ROLES,
                           clearance=clearances([person], certificates.today()).get(person.id, {}), sets=sets,
                           courses=catalog.course_cards(person), display=codes.display, form=ConfirmForm(),
                           two_factor=twofactor.is_enrolled(person))


@bp.route("/users/<int:user_id>/role", methods=["POST"])
@admin_only
def change_role(user_id: int):
    from academy.accounts.service import AccountError, set_role

    person = _user_or_404(user_id)
    if _confirmed():
        if person.id == _admin().id:
            flash("You cannot change your own role; ask another administrator.", "error")
        else:
            try:
                set_role(_admin(), person, request.form.get("role", ""), ip=client_ip())
                flash(f"{person.email} is now {person.role}; their sessions have ended.", "success")
            except AccountError as exc:
                flash(str(exc), "error")
    return redirect(url_for("admin.user", user_id=user_id))


@bp.route("/users/<int:user_id>/active", methods=["POST"])
@admin_only
def change_active(user_id: int):
    from academy.accounts.service import set_active

    person = _user_or_404(user_id)
    if _confirmed():
        active = request.form.get("active") == "1"
        if person.id == _admin().id and not active:
            flash("You cannot deactivate your own account.", "error")
        else:
            set_active(_admin(), person, active, ip=client_ip())
            flash(f"{person.email} is {'active' if active else 'deactivated; every session has ended'}.", "success")
    return redirect(url_for("admin.user", user_id=user_id))


@bp.route("/users/<int:user_id>/two-factor/reset", methods=["POST"])
@admin_only
def reset_two_factor(user_id: int):
    from academy.accounts import twofactor

    person = _user_or_404(user_id)
    if _confirmed():
        if person.id == _admin().id:
            flash("Turn your own two-factor sign-in off from your Two-factor page.", "error")
        else:
            try:
                twofactor.reset(_admin(), person, ip=client_ip())
                flash(f"Two-factor sign-in is off for {person.email}; their sessions have ended and they "
                      "have been told by email.", "success")
            except twofactor.TwoFactorError as exc:
                flash(str(exc), "error")
    return redirect(url_for("admin.user", user_id=user_id))


@bp.route("/users/<int:user_id>/grant", methods=["POST"])
@admin_only
def grant(user_id: int):
    from academy.learning.attempts import grant as grant_allowance
    from academy.learning.enrollment import published_course
    from academy.learning.errors import NotFound

    person = _user_or_404(user_id)
    if _confirmed():
        try:
            course = published_course(request.form.get("course", ""))
            attempts_n = int(request.form.get("attempts") or 0)
            minutes = int(request.form.get("minutes") or 0)
            grant_allowance(_admin(), person, course.id, attempts=attempts_n, minutes=minutes,
                            reason=request.form.get("reason", ""))
        except NotFound:
            flash("Choose a course.", "error")
        except ValueError:
            flash("Attempts and minutes are whole numbers.", "error")
        except LearningError as exc:
            flash(str(exc), "error")
        else:
            flash("Granted.", "success")
    return redirect(url_for("admin.user", user_id=user_id))


@bp.route("/users/<int:user_id>/groups", methods=["POST"])
@admin_only
def change_groups(user_id: int):
    from academy.admin.people import set_groups

    person = _user_or_404(user_id)
    if _confirmed():
        set_groups(_admin(), person, {int(g) for g in request.form.getlist("group") if g.isdigit()}, ip=client_ip())
        flash("Groups saved.", "success")
    return redirect(url_for("admin.user", user_id=user_id))


@bp.route("/users/<int:user_id>/requirements", methods=["POST"])
@admin_only
def assign_to_user(user_id: int):
    person = _user_or_404(user_id)
    if _confirmed():
        _assign(request.form.get("requirement", ""), user_id=person.id)
    return redirect(url_for("admin.user", user_id=user_id))


# ---------------------------------------------------------------- groups and requirements

def _assign(requirement_id: str, **target) -> None:
    from academy.accounts.service import AccountError
    from academy.admin.people import assign_requirement
    from academy.models import RequirementSet

    requirement = db.session.get(RequirementSet, int(requirement_id)) if requirement_id.isdigit() else None
    if requirement is None:
        flash("Choose a requirement set.", "error")
        return
    try:
        due = date.fromisoformat(request.form.get("due_on", ""))
    except ValueError:
        flash("Give the due date as YYYY-MM-DD.", "error")
        return
    try:
        assign_requirement(_admin(), requirement, due, ip=client_ip(), **target)
    except AccountError as exc:
        flash(str(exc), "error")
    else:
        flash(f"{requirement.name} assigned, due {due.isoformat()}.", "success")


@bp.route("/requirements", methods=["GET", "POST"])
@admin_only
def requirements():
    from academy.accounts.service import AccountError
    from academy.admin.people import create_requirement_set
    from academy.admin.records import published_courses
    from academy.models import Group, RequirementAssignment, RequirementSet

    if request.method == "POST" and _confirmed():
        try:
            window = int(request.form.get("window_days") or 60)
            create_requirement_set(_admin(), request.form.get("name", ""),
                                   [int(c) for c in request.form.getlist("course") if c.isdigit()], window,
                                   request.form.get("description", ""), ip=client_ip())
        except ValueError:
            flash("The expiry window is a whole number of days.", "error")
        except AccountError as exc:
            flash(str(exc), "error")
        else:
            flash("Requirement set created. Assign it below.", "success")
            return redirect(url_for("admin.requirements"))
    sets = db.session.scalars(db.select(RequirementSet).order_by(RequirementSet.name)).all()
    assignments = db.session.scalars(db.select(RequirementAssignment).order_by(RequirementAssignment.due_on)).all()
    groups = db.session.scalars(db.select(Group).order_by(Group.name)).all()
    users = {u.id: u for u in db.session.scalars(db.select(User).where(
        User.id.in_([a.user_id for a in assignments if a.user_id] or [0])))}
    return render_template("admin/requirements.html", sets=sets, assignments=assignments, groups=groups,
                           group_names={g.id: g.name for g in groups}, users=users, courses=published_courses(),
                           form=ConfirmForm())


@bp.route("/requirements/assign", methods=["POST"])
@admin_only
def assign():
    if _confirmed():
        target = request.form.get("target")
        if target == "profession":
            _assign(request.form.get("requirement", ""), profession=request.form.get("profession", ""))
        elif target == "group" and request.form.get("group", "").isdigit():
            _assign(request.form.get("requirement", ""), group_id=int(request.form["group"]))
        else:
            flash("Choose a profession or a group to assign to.", "error")
    return redirect(url_for("admin.requirements"))


@bp.route("/requirements/assignments/<int:assignment_id>/remove", methods=["POST"])
@admin_only
def unassign(assignment_id: int):
    from academy.admin.people import remove_assignment
    from academy.models import RequirementAssignment

    assignment = db.session.get(RequirementAssignment, assignment_id)
    if assignment is None:
        abort(404)
    if _confirmed():
        remove_assignment(_admin(), assignment, ip=client_ip())
        flash("Assignment removed.", "success")
    return redirect(url_for("admin.requirements"))


@bp.route("/groups", methods=["POST"])
@admin_only
def groups():
    from academy.accounts.service import AccountError
    from academy.admin.people import create_group

    if _confirmed():
        try:
            group = create_group(_admin(), request.form.get("name", ""), ip=client_ip())
            flash(f"Group {group.name} created.", "success")
        except AccountError as exc:
            flash(str(exc), "error")
    return redirect(url_for("admin.requirements"))


# ---------------------------------------------------------------- reports, reminders, audit

@bp.route("/reports")
@admin_only
def reports():
    from academy.admin.records import published_courses

    return render_template("admin/reports.html", courses=published_courses())


def _report_course():
    from academy.admin.reports import course_by_slug

    course = course_by_slug(request.args.get("course", ""))
    if course is None or course.current_version is None:
        abort(404)
    return course


@bp.route("/reports/ce-broker.csv")
@admin_only
def ce_broker():
    from academy.admin.reports import CE_BROKER_HEADER, ce_broker_rows

    course, start, end = _report_course(), _date_arg("from"), _date_arg("to")
    return _csv_response(f"ce-broker-{course.slug}.csv", CE_BROKER_HEADER, ce_broker_rows(course, start, end),
                         "export.ce_broker", {"course": course.slug, "from": str(start), "to": str(end)})


@bp.route("/reports/roster.csv")
@admin_only
def roster():
    from academy.admin.reports import ROSTER_HEADER, roster_rows

    course, start, end = _report_course(), _date_arg("from"), _date_arg("to")
    return _csv_response(f"roster-{course.slug}.csv", ROSTER_HEADER, roster_rows(course, start, end),
                         "export.roster", {"course": course.slug, "from": str(start), "to": str(end)})


@bp.route("/reports/evaluations")
@admin_only
def evaluations():
    from academy.admin.reports import evaluation_summary
    from academy.learning.completion import LIKERT_ITEMS

    course, start, end = _report_course(), _date_arg("from"), _date_arg("to")
    return render_template("admin/evaluations.html", course=course, summary=evaluation_summary(course, start, end),
                           items=LIKERT_ITEMS, start=start, end=end)


@bp.route("/reminders")
@admin_only
def reminders():
    from academy.models import Reminder

    page = max(1, _int_arg("page") or 1)
    sent = db.session.execute(db.select(Reminder, User.email).join(User, Reminder.user_id == User.id)
                              .order_by(Reminder.sent_at.desc(), Reminder.id.desc()).limit(101).offset((page - 1) * 100)).all()
    return render_template("admin/reminders.html", sent=sent[:100], more=len(sent) > 100, page=page)


@bp.route("/audit")
@admin_only
def audit():
    from academy.models import AuditEvent

    query = db.select(AuditEvent).order_by(AuditEvent.id.desc())
    action, actor, target = (request.args.get(k, "").strip() for k in ("action", "actor", "target"))
    if action:
        query = query.where(AuditEvent.action.like(f"{action}%"))
    if actor:
        query = query.where(AuditEvent.actor_label.like(f"%{actor.lower()}%"))
    if target:
        query = query.where(db.or_(AuditEvent.target_label.like(f"%{target}%"), AuditEvent.target_id == target))
    start, end = _date_arg("from"), _date_arg("to")
    if start:
        query = query.where(AuditEvent.created_at >= datetime.combine(start, time(), timezone.utc))
    if end:
        query = query.where(AuditEvent.created_at < datetime.combine(end + timedelta(days=1), time(), timezone.utc))
    page = max(1, _int_arg("page") or 1)
    events = db.session.scalars(query.limit(101).offset((page - 1) * 100)).all()
    return render_template("admin/audit.html", events=events[:100], more=len(events) > 100, page=page,
                           args=request.args.to_dict())
