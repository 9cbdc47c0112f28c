"""Administration through the real routes: access, dashboard, matrix, CSV, people, requirements, reports, audit."""
import re
import shutil
from collections import Counter
from datetime import date, datetime, timedelta, timezone
from decimal import Decimal
from pathlib import Path

import pytest

from academy.certificates import codes
from academy.content.sync import Source, import_content
from academy.extensions import db
from academy.models import (AuditEvent, Completion, Course, Enrollment, Evaluation, Group,
                            GroupMembership, User)
from tests.conftest import Browserless, csrf_from, outbox, statements_of

DATA = Path(__file__).resolve().parents[1] / "data" / "valid"


@pytest.fixture
def courses(app, tmp_path):
    root = tmp_path / "content"
    shutil.copytree(DATA, root)
    assert not import_content([Source(root / "courses", root / "quizzes")]).errors
    return {c.slug: c for c in db.session.scalars(db.select(Course))}


@pytest.fixture
def admin(app, make_user):
    web = Browserless(app.test_client())
    web.user = make_user("administrator", email="admin@example.org")
    web.login(web.user.email)
    return web


def certify(user, course, *, expires_on, completed=None, hours="0.25", revoked=False, ratings=None, comments=""):
    """A completion with its evaluation and course certificate, written directly."""
    completed = completed or datetime.now(timezone.utc) - timedelta(days=3)
    cycle = 1 + (db.session.scalar(db.select(db.func.max(Enrollment.cycle)).where(
        Enrollment.user_id == user.id, Enrollment.course_id == course.id)) or 0)
    enrollment = Enrollment(user_id=user.id, course_id=course.id, version_id=course.current_version_id, cycle=cycle)
    db.session.add(enrollment)
    db.session.flush()
    from academy.models import Attempt
    attempt = Attempt(public_id=codes.new_code(), enrollment_id=enrollment.id, user_id=user.id,
                      version_id=course.current_version_id, number=1, status="submitted", draw=[], answers={},
                      submitted_at=completed, score=Decimal("100"), passed=True)
    db.session.add(attempt)
    db.session.flush()
    db.session.add(Evaluation(enrollment_id=enrollment.id, ratings=ratings or {
        "objectives_met": 5, "relevance": 4, "quality": 4, "bias_free": 5, "recommend": 3},
        comments=comments, hours_claimed=Decimal(hours), submitted_at=completed))
    completion = Completion(enrollment_id=enrollment.id, user_id=user.id, course_id=course.id,
                            version_id=course.current_version_id, attempt_id=attempt.id, hours=Decimal(hours),
                            completed_at=completed)
    db.session.add(completion)
    db.session.flush()
    from academy.learning.certificates import issue_for_completion
    [certificate, *_] = issue_for_completion(completion, user)
    certificate.expires_on, certificate.issued_at = expires_on, completed
    certificate.revoked_at = completed if revoked else None
    db.session.commit()


def post(web, url, data, form_url):
    return web.form_post(url, {"confirm": "yes", **data}, form_url=form_url)


def test_every_admin_route_is_refused_to_clinicians_and_trainers(app, make_user):
    for role in ("clinician", "trainer"):
        web = Browserless(app.test_client())
        web.login(make_user(role).email)
        token = csrf_from(web.client.get("/account/password").get_data(as_text=True))
        for rule in app.url_map.iter_rules():
            if not rule.endpoint.startswith("admin."):
                continue
            url = re.sub(r"<(?:int:)?[^>]+>", lambda m: "1" if m.group(0).startswith("<int:") else "x", rule.rule)
            for method in rule.methods - {"HEAD", "OPTIONS"}:
                response = web.client.open(url, method=method, data={"csrf_token": token, "confirm": "yes"})
                assert response.status_code == 403, (role, method, url, response.status_code)


def test_dashboard_figures(app, admin, courses, make_user):
    today = date.today()
    sample = courses["sample-course"]
    a, b, c = make_user(), make_user(), make_user()
    certify(a, sample, expires_on=today + timedelta(days=10))
    certify(b, sample, expires_on=today + timedelta(days=45))
    certify(c, sample, expires_on=today - timedelta(days=1))
    html = admin.client.get("/admin/").get_data(as_text=True)
    assert re.search(r'<p class="big">3</p><p>active clinicians', html)
    assert re.search(r'<p class="big">2</p><p>certifications in force', html)
    assert "1 / 2 / 2</p><p>expiring within 30 / 60 / 90 days" in html
    assert re.search(r'<p class="big">1</p><p>expired', html)
    assert "<svg" in html and "Completions per month, last 12 months" in html
    assert re.search(rf"<td>{today:%Y-%m}</td><td>3</td>", html)


def test_requirement_statuses_on_the_dashboard_and_clinician_page(app, admin, courses, make_user):
    today = date.today()
    sample, follow = courses["sample-course"], courses["follow-up-course"]
    post(admin, "/admin/requirements", {"name": "KAP clearance", "course": [str(sample.id), str(follow.id)],
                                        "window_days": "30"}, "/admin/requirements")
    post(admin, "/admin/groups", {"name": "North clinic"}, "/admin/requirements")
    group = db.session.scalar(db.select(Group))
    cleared, expiring, lapsed, due, overdue = (make_user(profession="Psychologist") for _ in range(5))
    db.session.add(GroupMembership(user_id=overdue.id, group_id=group.id))
    db.session.commit()
    for user in (cleared, expiring, lapsed):
        certify(user, sample, expires_on=today + timedelta(days=400))
    certify(cleared, follow, expires_on=today + timedelta(days=400))
    certify(expiring, follow, expires_on=today + timedelta(days=5))
    certify(lapsed, follow, expires_on=today - timedelta(days=5))
    from academy.models import RequirementSet
    requirement = db.session.scalar(db.select(RequirementSet))
    post(admin, "/admin/requirements/assign", {"requirement": str(requirement.id), "target": "profession",
                                               "profession": "psychologist",
                                               "due_on": (today + timedelta(days=20)).isoformat()},
         "/admin/requirements")
    post(admin, "/admin/requirements/assign", {"requirement": str(requirement.id), "target": "group",
                                               "group": str(group.id),
                                               "due_on": (today - timedelta(days=2)).isoformat()},
         "/admin/requirements")
    html = admin.client.get("/admin/").get_data(as_text=True)
    row = re.search(r"KAP clearance</a></th>(.*?)</tr>", html, re.S).group(1)
    assert re.findall(r"<td>(\d+)</td>", row) == ["1", "1", "1", "1", "1"]  # cleared, expiring, due, overdue, lapsed
    page = admin.client.get(f"/admin/users/{overdue.id}").get_data(as_text=True)
    assert "KAP clearance</strong>: Overdue" in page
    own = Browserless(app.test_client())
    own.login(overdue.email)
    assert "KAP clearance</strong>: Overdue" in own.client.get("/").get_data(as_text=True)
    assert "requirement.assign" in db.session.scalars(db.select(AuditEvent.action)).all()


def test_clearance_counts_agree_with_each_clinicians_own_clearance(app, admin, courses, make_user):
    """The dashboard walks certificates in clinician order past clinicians the sets do not apply to;
    each count must still match what the clinician's own page says."""
    from academy.admin.records import clearance_counts, clearances
    from academy.models import RequirementSet

    today = date.today()
    sample, follow = courses["sample-course"], courses["follow-up-course"]
    post(admin, "/admin/requirements", {"name": "KAP clearance", "course": [str(sample.id), str(follow.id)],
                                        "window_days": "30"}, "/admin/requirements")
    requirement = db.session.scalar(db.select(RequirementSet))
    # Alternate clinicians the set applies to (psychologists) with others who hold certificates.
    people = []
    for index in range(8):
        person = make_user(profession="Psychologist" if index % 2 else "Nurse")
        if index % 3:
            certify(person, sample, expires_on=today + timedelta(days=400))
        if index % 4 == 1:
            certify(person, follow, expires_on=today + timedelta(days=10 if index == 5 else 400))
        people.append(person)
    reissued = people[3]  # revoked, then certified again: the newer certificate counts
    certify(reissued, sample, expires_on=today + timedelta(days=400))
    certify(reissued, follow, expires_on=today - timedelta(days=1), revoked=True,
            completed=datetime.now(timezone.utc) - timedelta(days=9))
    certify(reissued, follow, expires_on=today + timedelta(days=400))
    post(admin, "/admin/requirements/assign", {"requirement": str(requirement.id), "target": "profession",
                                               "profession": "psychologist",
                                               "due_on": (today + timedelta(days=20)).isoformat()},
         "/admin/requirements")
    one_by_one = Counter(clearances([p], today)[p.id][requirement.id].status
                         for p in people if p.profession == "Psychologist")
    assert clearance_counts(today)[requirement.id] == one_by_one
    assert one_by_one == {"cleared": 2, "expiring": 1, "due": 1}


def test_matrix_filters_pages_and_csv(app, admin, courses, make_user):
    sample = courses["sample-course"]
    evil = make_user(full_name="=HYPERLINK(\"http://evil\")", profession="Nurse", license_state="WA")
    certify(evil, sample, expires_on=date.today() + timedelta(days=400))
    for n in range(55):
        make_user(full_name=f"Clinician {n:02d}", profession="Psychologist", license_state="OR")
    first = admin.client.get("/admin/matrix").get_data(as_text=True)
    assert "56 clinicians match. Page 1 of 2." in first
    certified = admin.client.get("/admin/matrix?course=sample-course&status=certified").get_data(as_text=True)
    assert "1 clinicians match" in certified and "Certified until" in certified
    assert "55 clinicians match" in admin.client.get("/admin/matrix?status=not_started&course=sample-course").get_data(as_text=True)
    assert "1 clinicians match" in admin.client.get("/admin/matrix?state=wa").get_data(as_text=True)
    assert "1 clinicians match" in admin.client.get("/admin/matrix?q=clinician%2007").get_data(as_text=True)
    response = admin.client.get("/admin/matrix?course=sample-course&export=csv")
    text = response.get_data(as_text=True)
    assert response.mimetype == "text/csv" and len(text.strip().splitlines()) == 57
    assert "'=HYPERLINK" in text and '\n=HYPERLINK' not in text
    assert db.session.scalar(db.select(AuditEvent).where(AuditEvent.action == "export.matrix")) is not None


def test_dashboard_and_matrix_queries_do_not_grow_with_data(app, admin, courses, make_user):
    sample = courses["sample-course"]

    def add(n):
        for _ in range(n):
            user = make_user()
            certify(user, sample, expires_on=date.today() + timedelta(days=100))
    add(3)
    small = [len(statements_of(admin.client, url)) for url in ("/admin/", "/admin/matrix")]
    add(30)
    large = [len(statements_of(admin.client, url)) for url in ("/admin/", "/admin/matrix")]
    assert small == large, (small, large)


def test_user_actions_are_confirmed_and_audited(app, admin, courses, make_user):
    person = make_user()
    page = f"/admin/users/{person.id}"
    unconfirmed = admin.form_post(f"{page}/role", {"role": "trainer"}, form_url=page, follow=True)
    assert "Tick the confirmation box" in unconfirmed.get_data(as_text=True)
    db.session.expire_all()
    assert person.role == "clinician"
    post(admin, f"{page}/role", {"role": "trainer"}, page)
    post(admin, f"{page}/active", {"active": "0"}, page)
    post(admin, f"{page}/grant", {"course": "sample-course", "attempts": "1", "minutes": "10"}, page)
    post(admin, "/admin/groups", {"name": "South site"}, "/admin/requirements")
    group = db.session.scalar(db.select(Group))
    post(admin, f"{page}/groups", {"group": str(group.id)}, page)
    db.session.expire_all()
    assert (person.role, person.active) == ("trainer", False)
    actions = db.session.scalars(db.select(AuditEvent.action).where(AuditEvent.actor_id == admin.user.id)).all()
    assert {"role.change", "user.deactivate", "attempt.grant", "group.create", "user.groups"} <= set(actions)
    own = admin.form_post(f"/admin/users/{admin.user.id}/active", {"active": "0", "confirm": "yes"},
                          form_url=f"/admin/users/{admin.user.id}", follow=True)
    assert "cannot deactivate your own account" in own.get_data(as_text=True)


def test_invite_and_bulk_import(app, admin):
    post(admin, "/admin/users", {"email": "new.trainer@example.org", "full_name": "New Trainer", "role": "trainer"},
         "/admin/users")
    assert "You are invited to Academy" in outbox(app)[-1] and "/reset-password/" in outbox(app)[-1]
    bad = ("email,full_name,profession,groups\n"
           "ok@example.org,Okay Person,LCSW,North\n"
           "not-an-email,Broken Row,LCSW,\n"
           "ok@example.org,Twice,LCSW,\n"
           "new.trainer@example.org,Exists Already,,\n")
    response = _upload(admin, bad)
    html = response.get_data(as_text=True)
    assert "Nothing was imported" in html and "line 3:" in html and "line 4: ok@example.org also appears on line 2" in html
    assert "line 5: an account with the email new.trainer@example.org already exists" in html
    assert db.session.scalar(db.select(User).where(User.email == "ok@example.org")) is None
    good = "email,full_name,profession,groups\nok@example.org,Okay Person,LCSW,North;South\nb@example.org,Bee Person,,\n"
    assert _upload(admin, good).status_code == 302
    okay = db.session.scalar(db.select(User).where(User.email == "ok@example.org"))
    assert len(db.session.scalars(db.select(GroupMembership).where(GroupMembership.user_id == okay.id)).all()) == 2


def _upload(web, text):
    import io
    token = csrf_from(web.client.get("/admin/users/import").get_data(as_text=True))
    return web.client.post("/admin/users/import", data={"csrf_token": token, "confirm": "yes",
                                                        "file": (io.BytesIO(text.encode()), "people.csv")},
                           content_type="multipart/form-data")


def test_rosters_and_evaluation_summary(app, admin, courses, make_user):
    sample = courses["sample-course"]
    a = make_user(full_name="Ada Lovelace", license_number="L1", license_state="WA", profession="LCSW")
    b = make_user(full_name="Bo Chen", license_number="L2", license_state="OR", profession="PsyD")
    certify(a, sample, expires_on=None, ratings={"objectives_met": 5, "relevance": 4, "quality": 3, "bias_free": 5,
                                                 "recommend": 4}, comments="Clear and practical.")
    certify(b, sample, expires_on=None, ratings={"objectives_met": 4, "relevance": 4, "quality": 5, "bias_free": 5,
                                                 "recommend": 2})
    ce = admin.client.get("/admin/reports/ce-broker.csv?course=sample-course").get_data(as_text=True).splitlines()
    assert ce[0].startswith("Provider number,Course number,License number")
    assert any(line.startswith("0042,SAMPLE-101,L1,Ada,Lovelace,") and ",WA,LCSW,0.25" in line for line in ce)
    roster = admin.client.get("/admin/reports/roster.csv?course=sample-course").get_data(as_text=True)
    assert "Bo Chen" in roster and len(roster.strip().splitlines()) == 3
    future = (date.today() + timedelta(days=1)).isoformat()
    assert len(admin.client.get(f"/admin/reports/roster.csv?course=sample-course&from={future}")
               .get_data(as_text=True).strip().splitlines()) == 1
    summary = admin.client.get("/admin/reports/evaluations?course=sample-course").get_data(as_text=True)
    assert "2 responses" in summary and "Clear and practical." in summary
    assert re.search(r"learning objectives were met.</th><td>4.5</td>", summary)
    assert re.search(r"recommend this course to a colleague.</th><td>3.0</td>", summary)
    assert {"export.ce_broker", "export.roster"} <= set(db.session.scalars(db.select(AuditEvent.action)))


def test_audit_log_filters(app, admin, make_user):
    make_user()
    html = admin.client.get("/admin/audit?action=user.create").get_data(as_text=True)
    assert "user.create" in html and "login.success" not in html
    assert "login.success" in admin.client.get("/admin/audit?actor=admin@").get_data(as_text=True)
