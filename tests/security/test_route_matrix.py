"""Every route × every kind of visitor, generated from the URL map.

A route without an expectation here fails the suite, so a new page cannot
ship without someone deciding who may reach it.
"""
from __future__ import annotations

import re
import shutil
from datetime import date, timedelta
from pathlib import Path

import pytest

from academy.content.sync import Source, import_content
from academy.extensions import db
from academy.models import (Attempt, Certificate, Course, CourseTrainer, Media, ReissueRequest,
                            RequirementAssignment, RequirementSet)
from tests.conftest import Browserless, csrf_from

DATA = Path(__file__).resolve().parents[1] / "data" / "valid"
ACTORS = ("anonymous", "owner", "other_clinician", "trainer_unassigned", "trainer_assigned", "administrator")
SIGNED_IN = set(ACTORS) - {"anonymous"}

# Who may use each endpoint. Everyone else is refused: signed-out visitors are sent to sign in
# (or get 401/400 on POST), signed-in ones get 403 (wrong role) or 404 (not theirs).
EXPECTED: dict[str, set[str]] = {
    **{endpoint: set(ACTORS) for endpoint in (
        "static", "auth.login", "auth.register", "auth.confirm_email", "auth.forgot_password",
        "auth.reset_password", "main.healthz", "certificates.verify_form", "certificates.verify",
        "certificates.credential", "certificates.jwks", "auth.second_factor")},
    **{endpoint: SIGNED_IN for endpoint in (
        "main.home", "auth.change_password", "auth.logout", "auth.resend_confirmation", "account.learning",
        "account.transcript", "account.profile", "account.export", "learn.catalog_page", "learn.course",
        "learn.module", "learn.module_by_slug", "learn.start", "learn.complete_module", "quiz.open_test",
        "account.evaluation", "media.image", "twofactor.status", "twofactor.setup", "twofactor.disable",
        "twofactor.recovery_codes")},
    # A clinician's own records: not even administrators open someone's attempt as if it were theirs.
    **{endpoint: {"owner"} for endpoint in (
        "quiz.attempt", "quiz.save", "quiz.extend", "quiz.submit", "certificates.reissue")},
    "certificates.pdf": {"owner", "administrator"},
    **{endpoint: {"trainer_unassigned", "trainer_assigned", "administrator"} for endpoint in (
        "author.index", "author.create")},
    **{endpoint: {"trainer_assigned", "administrator"} for endpoint in (
        "author.course", "author.edit", "author.live_preview", "author.add_module", "author.module_action",
        "author.upload", "author.publish", "author.diff", "author.restore", "author.evaluations",
        "item_analysis.report")},
    "author.trainers": {"administrator"},
    **{endpoint: {"administrator"} for endpoint in (
        "admin.dashboard", "admin.matrix", "admin.users", "admin.import_users", "admin.user", "admin.change_role",
        "admin.change_active", "admin.reset_two_factor", "admin.grant", "admin.change_groups",
        "admin.assign_to_user", "admin.requirements", "admin.assign", "admin.unassign", "admin.groups", "admin.reports", "admin.ce_broker", "admin.roster",
        "admin.evaluations", "admin.reminders", "admin.audit", "admin.certificate", "admin.revoke",
        "admin.reissues", "admin.decide")},
}
# Requests that would end the visitor's own session are made last, separately.
SESSION_ENDING = {("auth.logout", "POST")}
# What a real request to these endpoints carries besides the path.
QUERY = {"admin.ce_broker": "?course=sample-course", "admin.roster": "?course=sample-course",
         "admin.evaluations": "?course=sample-course", "author.diff": "?from=1&to=1"}


@pytest.fixture
def world(app, tmp_path, make_user):
    """One of everything the routes refer to, owned by `owner`."""
    app.config["ACADEMY_LOGIN_LIMIT"] = "100 per minute"  # this test signs in many times from one address
    root = tmp_path / "content"
    shutil.copytree(DATA, root)
    assert not import_content([Source(root / "courses", root / "quizzes")]).errors
    course = db.session.scalar(db.select(Course).where(Course.slug == "sample-course"))
    users = {name: make_user(role) for name, role in (
        ("owner", "clinician"), ("other_clinician", "clinician"), ("trainer_unassigned", "trainer"),
        ("trainer_assigned", "trainer"), ("administrator", "administrator"))}
    db.session.add(CourseTrainer(course_id=course.id, user_id=users["trainer_assigned"].id))
    db.session.commit()
    owner = Browserless(app.test_client())
    owner.login(users["owner"].email)
    owner.form_post("/courses/sample-course/start", {}, form_url="/courses/sample-course")
    for position in (1, 2):
        owner.form_post(f"/courses/sample-course/modules/{position}/complete", {},
                        form_url=f"/courses/sample-course/modules/{position}")
    owner.form_post("/courses/sample-course/test", {}, form_url="/courses/sample-course")
    from tests.web.test_admin import certify
    certify(users["owner"], db.session.scalar(db.select(Course).where(Course.slug == "follow-up-course")),
            expires_on=date.today() + timedelta(days=100))
    certificate = db.session.scalar(db.select(Certificate))
    request = ReissueRequest(certificate_id=certificate.id, user_id=users["owner"].id)
    requirement = RequirementSet(name="Clearance")
    db.session.add_all([request, requirement])
    db.session.flush()
    assignment = RequirementAssignment(requirement_set_id=requirement.id, target_type="user",
                                       user_id=users["owner"].id, due_on=date.today())
    db.session.add(assignment)
    db.session.commit()
    from academy.certificates.keys import init_keys
    from academy.learning.certificates import keys_dir
    init_keys(keys_dir())
    values = {
        "slug": "sample-course", "position": "1", "module_slug": "reading-tables", "token": "not-a-token",
        "public_id": db.session.scalar(db.select(Attempt.public_id)), "code": certificate.code,
        "user_id": str(users["owner"].id), "request_id": str(request.id), "assignment_id": str(assignment.id),
        "sequence": "1", "name": "01-reading-tables.md", "action": "down",
        "sha256": db.session.scalar(db.select(Media.sha256)), "filename": "academy.css",
        "trainer": str(users["trainer_assigned"].id),
    }
    return users, values


def url_for_rule(rule, values) -> str:
    return re.sub(r"<(?:[a-z]+:)?([a-z_0-9]+)>", lambda m: values[m.group(1)], rule.rule)


def sign_in(app, users, actor):
    """A client for the actor, enrolled in the sample course (so course pages apply to them)."""
    web = Browserless(app.test_client())
    if actor != "anonymous":
        web.login(users[actor].email)
        web.form_post("/courses/sample-course/start", {}, form_url="/courses/sample-course")
    return web


def refused(status: int, actor: str, method: str) -> bool:
    if actor == "anonymous":
        return status in ((302, 401) if method == "GET" else (400, 401))
    return status in (403, 404)


def test_every_route_has_a_declared_expectation(app):
    missing = sorted({rule.endpoint for rule in app.url_map.iter_rules()} - set(EXPECTED))
    assert not missing, f"routes without an expectation in the security route matrix: {missing}"


def test_route_matrix(app, world):
    users, values = world
    failures, checked, later = [], 0, []
    for actor in ACTORS:
        web = sign_in(app, users, actor)
        token = csrf_from(web.client.get("/login" if actor == "anonymous" else "/account/password")
                          .get_data(as_text=True))
        for rule in sorted(app.url_map.iter_rules(), key=lambda r: r.rule):
            allowed = actor in EXPECTED[rule.endpoint]
            for method in sorted(rule.methods - {"HEAD", "OPTIONS"}):
                if (rule.endpoint, method) in SESSION_ENDING:
                    later.append((actor, rule, method))
                    continue
                data = {"csrf_token": token, "trainer": values["trainer"]} if method == "POST" else None
                response = web.client.open(url_for_rule(rule, values) + QUERY.get(rule.endpoint, ""),
                                           method=method, data=data)
                checked += 1
                status = response.status_code
                if allowed and (status in (401, 403, 404) or status >= 500):
                    failures.append(f"{actor} {method} {rule.rule}: expected access, got {status}")
                if not allowed and not refused(status, actor, method):
                    failures.append(f"{actor} {method} {rule.rule}: expected refusal, got {status}")
    assert checked > 300
    assert not failures, "\n".join(failures)
    for actor, rule, method in later:
        web = sign_in(app, users, actor)
        token = csrf_from(web.client.get("/login" if actor == "anonymous" else "/account/password")
                          .get_data(as_text=True))
        status = web.client.open(url_for_rule(rule, values), method=method, data={"csrf_token": token}).status_code
        assert (actor in EXPECTED[rule.endpoint]) != refused(status, actor, method), (actor, rule.rule, status)
