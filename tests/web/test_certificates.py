"""Certificates end to end through the routes: issue, PDF, verification, credential, lifecycle."""
import io
import json
import re
from datetime import date, timedelta

import pytest
from pypdf import PdfReader

from academy.certificates import codes
from academy.extensions import db
from academy.models import AuditEvent, Certificate
from tests.conftest import Browserless, outbox, statements_of
from tests.web.test_journey import content, form_answers, read_all_modules  # noqa: F401  (content is a fixture)

RATINGS = {key: "5" for key in ("objectives_met", "relevance", "quality", "bias_free", "recommend")}


def complete(web, slug: str, hours: str = "0.25") -> None:
    """Start (or continue) a course, read it, pass the post-test and submit the evaluation."""
    web.form_post(f"/courses/{slug}/start", {}, form_url=f"/courses/{slug}")
    page = web.client.get(f"/courses/{slug}").get_data(as_text=True)
    count = len(set(re.findall(rf"/courses/{slug}/modules/(\d+)\"", page)))
    read_all_modules(web, slug, count)
    public_id = re.search(r"/attempts/([\w-]+)", web.form_post(
        f"/courses/{slug}/test", {}, form_url=f"/courses/{slug}").headers["Location"]).group(1)
    web.form_post(f"/attempts/{public_id}/submit", form_answers(public_id, correct=True),
                  form_url=f"/attempts/{public_id}")
    response = web.form_post(f"/courses/{slug}/evaluation", {**RATINGS, "hours_claimed": hours, "attest": "y"})
    assert response.status_code == 302, response.get_data(as_text=True)[-2000:]


@pytest.fixture
def keys(runner):
    assert runner.invoke(args=["academy", "keys", "init"]).exit_code == 0


@pytest.fixture
def holder(app, content, make_user):
    user = make_user(full_name="Zoë O'Brien-Åberg", credentials="LCSW", license_number="LIC-77",
                     license_state="WA")
    web = Browserless(app.test_client())
    web.login(user.email)
    complete(web, "sample-course")
    web.user = user
    return web


def only_certificate(kind="course") -> Certificate:
    [certificate] = db.session.scalars(db.select(Certificate).where(Certificate.kind == kind)).all()
    return certificate


def test_completion_issues_one_certificate_with_a_snapshot_and_an_email(app, holder):
    certificate = only_certificate()
    assert len(certificate.code) == 26 and codes.normalise(codes.display(certificate.code)) == certificate.code
    snap = certificate.snapshot
    assert (snap["holder_name"], snap["license_number"], snap["course_version"]) == \
        ("Zoë O'Brien-Åberg", "LIC-77", "1.2.0")
    assert certificate.expires_on is not None  # sample course: valid 24 months
    mail = outbox(app)[-1]
    assert "Your certificate: Sample Course" in mail and f"/verify/{certificate.code}" in mail
    # The database refuses a second certificate for the same completion.
    from sqlalchemy.exc import IntegrityError
    db.session.add(Certificate(code=codes.new_code(), kind="course", user_id=certificate.user_id,
                               completion_id=certificate.completion_id, snapshot={}))
    with pytest.raises(IntegrityError):
        db.session.flush()
    db.session.rollback()


def test_pdf_for_the_owner_and_administrators_only(app, holder, make_user):
    certificate = only_certificate()
    response = holder.client.get(f"/certificates/{certificate.code}.pdf")
    assert response.status_code == 200 and response.mimetype == "application/pdf"
    text = "".join(page.extract_text() for page in PdfReader(io.BytesIO(response.data)).pages)
    assert "Zoë O'Brien-Åberg" in text and codes.display(certificate.code) in text
    other = Browserless(app.test_client())
    other.login(make_user().email)
    assert other.client.get(f"/certificates/{certificate.code}.pdf").status_code == 404
    admin = Browserless(app.test_client())
    admin.login(make_user("administrator").email)
    assert admin.client.get(f"/certificates/{certificate.code}.pdf").status_code == 200
    # downloading again gives the same certificate, not a new one
    assert holder.client.get(f"/certificates/{certificate.code}.pdf").data == response.data
    assert db.session.scalar(db.select(db.func.count(Certificate.id))) == 1


def test_verify_page_states_and_privacy(app, holder):
    certificate = only_certificate()
    anonymous = app.test_client()
    grouped = codes.display(certificate.code).lower()
    page = anonymous.get(f"/verify/{grouped}")
    html = page.get_data(as_text=True)
    assert page.status_code == 200 and "Valid." in html and "Zoë O&#39;Brien-Åberg" in html
    assert "LIC-77" not in html and holder.user.email not in html
    certificate.expires_on = date.today() - timedelta(days=1)
    db.session.commit()
    assert "Expired" in anonymous.get(f"/verify/{certificate.code}").get_data(as_text=True)
    missing = anonymous.get("/verify/" + codes.new_code())
    assert missing.status_code == 404 and "No certificate matches" in missing.get_data(as_text=True)
    assert anonymous.get("/verify/not-a-code").status_code == 404
    assert anonymous.get(f"/verify?code={grouped}").status_code == 302


def test_verification_is_one_query(app, holder):
    code = only_certificate().code
    db.session.commit()
    selects = [s for s in statements_of(app.test_client(), f"/verify/{code}") if s.lstrip().upper().startswith("SELECT")]
    assert len(selects) == 1, "\n".join(s[:60] + " … " + s[-80:] for s in selects)


def test_lookups_are_rate_limited(make_app):
    app = make_app(ACADEMY_VERIFY_LIMIT="3 per minute")
    client = app.test_client()
    codes_tried = [client.get("/verify/" + codes.new_code()).status_code for _ in range(4)]
    assert codes_tried == [404, 404, 404, 429]


def test_revocation_by_an_administrator(app, holder, make_user):
    certificate = only_certificate()
    admin = Browserless(app.test_client())
    admin.login(make_user("administrator").email)
    refused = admin.form_post(f"/admin/certificates/{certificate.code}/revoke", {"reason": ""},
                              form_url=f"/admin/certificates/{certificate.code}", follow=True)
    assert "Give the reason" in refused.get_data(as_text=True)
    admin.form_post(f"/admin/certificates/{certificate.code}/revoke", {"reason": "Attestation was false"},
                    form_url=f"/admin/certificates/{certificate.code}")
    html = app.test_client().get(f"/verify/{certificate.code}").get_data(as_text=True)
    assert "Revoked" in html
    assert db.session.scalar(db.select(AuditEvent).where(AuditEvent.action == "certificate.revoke")) is not None
    assert "Certificate revoked" in outbox(app)[-1]
    assert holder.client.get(f"/admin/certificates/{certificate.code}").status_code == 403


def test_name_correction_reissue_supersedes(app, holder, make_user):
    old = only_certificate()
    early = holder.form_post(f"/certificates/{old.code}/reissue", {}, form_url="/learning", follow=True)
    assert "correct your profile first" in early.get_data(as_text=True)
    holder.form_post("/profile", {"full_name": "Zoë O'Brien-Åberg Nguyễn", "credentials": "LCSW",
                                  "profession": "", "license_number": "LIC-77", "license_state": "WA"})
    assert old.snapshot["holder_name"] == "Zoë O'Brien-Åberg"  # issued certificates keep their snapshot
    holder.form_post(f"/certificates/{old.code}/reissue", {}, form_url="/learning")
    admin = Browserless(app.test_client())
    admin.login(make_user("administrator").email)
    page = admin.client.get("/admin/reissues").get_data(as_text=True)
    request_id = re.search(r"/admin/reissues/(\d+)", page).group(1)
    admin.form_post(f"/admin/reissues/{request_id}", {"decision": "approve"}, form_url="/admin/reissues")
    db.session.expire_all()
    new = db.session.get(Certificate, old.superseded_by_id)
    assert new.snapshot["holder_name"] == "Zoë O'Brien-Åberg Nguyễn" and new.expires_on == old.expires_on
    html = app.test_client().get(f"/verify/{old.code}").get_data(as_text=True)
    assert "Superseded" in html and new.code in html


def test_credential_signed_verifiable_and_tamper_evident(app, holder, keys, runner, tmp_path):
    certificate = only_certificate()
    response = app.test_client().get(f"/verify/{certificate.code}.json")
    body = response.json
    assert body["status"] == "valid" and body["credential"]["id"].endswith(certificate.code)
    token_file = tmp_path / "credential.json"
    token_file.write_text(json.dumps(body))
    result = runner.invoke(args=["academy", "verify-credential", str(token_file)])
    assert result.exit_code == 0 and "VALID signature" in result.output
    header, payload, signature = body["jwt"].split(".")
    tampered = tmp_path / "tampered.jwt"
    tampered.write_text(".".join([header, payload[:-4] + ("AAAA" if payload[-4:] != "AAAA" else "BBBB"), signature]))
    bad = runner.invoke(args=["academy", "verify-credential", str(tampered)])
    assert bad.exit_code == 1 and "INVALID" in bad.output
    # rotation: the old credential still verifies, new ones use the new key
    assert runner.invoke(args=["academy", "keys", "rotate"]).exit_code == 0
    assert runner.invoke(args=["academy", "verify-credential", str(token_file)]).exit_code == 0
    jwks = app.test_client().get("/.well-known/jwks.json").json
    assert len(jwks["keys"]) == 2
    newer = app.test_client().get(f"/verify/{certificate.code}.json?format=jwt")
    assert newer.mimetype == "application/vc+jwt" and newer.data.decode().count(".") == 2


def test_credential_without_keys_is_a_clear_503(app, holder):
    certificate = only_certificate()
    response = app.test_client().get(f"/verify/{certificate.code}.json")
    assert response.status_code == 503 and "signing keys" in response.json["error"]


def test_program_certificate_after_every_course(app, holder):
    complete(holder, "follow-up-course")
    program = only_certificate("program")
    courses = {c.code for c in db.session.scalars(db.select(Certificate).where(Certificate.kind == "course"))}
    assert {code for _, code in program.snapshot["program_courses"]} == courses
    assert program.snapshot["course_title"] == "Sample Program"


def test_recertification_keeps_history(app, holder):
    old = only_certificate()
    retake = holder.form_post("/courses/sample-course/start", {}, form_url="/courses/sample-course", follow=True)
    assert "take it again when your certificate is due" in retake.get_data(as_text=True)
    old.expires_on = date.today() + timedelta(days=10)  # inside the 60-day window of the sample course
    db.session.commit()
    assert "expiring soon" in holder.client.get("/learning").get_data(as_text=True)
    from academy.models import Attempt
    for attempt in db.session.scalars(db.select(Attempt)):
        attempt.submitted_at -= timedelta(hours=2)
    db.session.commit()
    complete(holder, "sample-course")
    db.session.expire_all()
    certificates = db.session.scalars(db.select(Certificate).where(Certificate.kind == "course")
                                      .order_by(Certificate.id)).all()
    assert len(certificates) == 2 and certificates[0].superseded_by_id == certificates[1].id
    assert certificates[1].expires_on > old.expires_on


def test_new_major_version_marks_earlier_certificates(app, holder, content):
    from tests.services.test_import import edit, run

    certificate = only_certificate()
    edit(content / "courses" / "sample-course" / "01-reading-tables.md", "Doses are given", "Doses are listed")
    edit(content / "courses" / "sample-course" / "course.md", "version: 1.2.0", "version: 2.0.0")
    report = run(content)
    assert report.changed == ["sample-course"]
    db.session.expire_all()
    assert certificate.recertify_by is not None  # the sample course requires recertification on a major
    html = app.test_client().get(f"/verify/{certificate.code}").get_data(as_text=True)
    assert "an earlier version of the course" in html and "Recertification is due by" in html
    retake = holder.form_post("/courses/sample-course/start", {}, form_url="/courses/sample-course")
    assert retake.status_code == 302 and "/modules/" in retake.headers["Location"]


def test_catalog_shows_certified_expiring_and_expired_from_the_certificate(holder):
    from academy.learning.certificates import today

    def status_of_sample() -> str:
        catalog = holder.client.get("/courses").get_data(as_text=True)
        card = re.search(r'<article class="course-card">\s*<h3><a href="/courses/sample-course">.*?</article>',
                         catalog, re.S).group(0)
        return re.search(r'<span class="status status-\w+">([^<]*)</span>', card).group(1)

    certificate = only_certificate()
    certificate.expires_on = today() + timedelta(days=400)
    db.session.commit()
    assert status_of_sample() == f"Certified until {certificate.expires_on.isoformat()}"
    certificate.expires_on = today() + timedelta(days=10)  # inside the recertification window
    db.session.commit()
    assert status_of_sample() == f"Certified, expiring soon until {certificate.expires_on.isoformat()}"
    certificate.expires_on = today() - timedelta(days=1)
    db.session.commit()
    assert status_of_sample() == "Certificate expired"
