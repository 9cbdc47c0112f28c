"""End-to-end journeys in Chromium for the three roles, with axe-core on every page and state they visit."""
from __future__ import annotations

import re
import shutil
import time
from pathlib import Path

import pytest

from academy.certificates import codes
from academy.content.sync import Source, import_content
from academy.extensions import db
from academy.models import Certificate, Course, CourseTrainer
from tests.browser.accessibility import Auditor
from tests.browser.journeys import Actor, answer_quiz
from tests.conftest import PASSWORD, outbox

pytestmark = pytest.mark.browser
DATA = Path(__file__).resolve().parents[1] / "data" / "valid"
GOOD = "a long enough passphrase for tests"


@pytest.fixture
def content(app, tmp_path):
    """The sample courses, with the retake wait shortened to about two seconds for the journey."""
    root = tmp_path / "content"
    shutil.copytree(DATA, root)
    course_md = root / "courses" / "sample-course" / "course.md"
    course_md.write_text(course_md.read_text().replace("attempt_wait_hours: 1.5", "attempt_wait_hours: 0.0005"))
    assert not import_content([Source(root / "courses", root / "quizzes")]).errors
    return db.session.scalar(db.select(Course).where(Course.slug == "sample-course"))


@pytest.fixture
def auditor():
    auditor = Auditor()
    yield auditor
    auditor.assert_clean()


def clinician_journey(app, browser, live_server, course, auditor, *, keyboard=False, javascript=True):
    context = browser.new_context(java_script_enabled=javascript, accept_downloads=True)
    page = context.new_page()
    act = Actor(page, keyboard=keyboard)
    email = f"journey-{int(keyboard)}{int(javascript)}@example.org"

    # register, with a mistake first
    page.goto(live_server + "/register")
    auditor.check(page, "register, empty")
    act.fill(page.get_by_label("Email"), email)
    act.fill(page.get_by_label("Full name (as it should appear on certificates)"), "Zoë O'Brien-Åberg")
    act.fill(page.get_by_label("Password (at least 12 characters)"), "short")
    act.fill(page.get_by_label("Repeat the password"), "short")
    act.click(page.get_by_role("button", name="Create account"))
    assert "at least 12 characters" in page.content()
    auditor.check(page, "register, with errors")
    act.fill(page.get_by_label("Password (at least 12 characters)"), GOOD)
    act.fill(page.get_by_label("Repeat the password"), GOOD)
    act.click(page.get_by_role("button", name="Create account"))
    page.wait_for_url(re.compile(r".*/login"))

    # confirm the email address from the outbox, sign in
    link = re.search(r"http://academy\.test(/confirm/\S+)", outbox(app)[-1]).group(1)
    page.goto(live_server + link)
    auditor.check(page, "confirm email")
    act.click(page.get_by_role("button", name="Confirm my email address"))
    page.wait_for_url(re.compile(r".*/login"))
    auditor.check(page, "sign in")
    act.fill(page.get_by_label("Email"), email)
    act.fill(page.get_by_label("Password"), GOOD)
    act.click(page.get_by_role("button", name="Sign in"))
    page.wait_for_url(live_server + "/")
    auditor.check(page, "home")

    # complete the profile
    page.goto(live_server + "/profile")
    act.fill(page.get_by_label("Professional credentials (e.g. LCSW, PsyD, MD)"), "LCSW")
    act.fill(page.get_by_label("License number"), "LIC-1234")
    act.fill(page.get_by_label("License state or region"), "WA")
    act.click(page.get_by_role("button", name="Save profile"))
    assert "Your profile is saved" in page.content()
    auditor.check(page, "profile, saved")

    # read every module
    page.goto(live_server + "/courses")
    auditor.check(page, "catalog")
    act.click(page.locator(".course-card").get_by_role("link", name="Sample Course"))
    auditor.check(page, "course page, not started")
    act.click(page.get_by_role("button", name="Start the course"))
    page.wait_for_url(re.compile(r".*/modules/1"))
    auditor.check(page, "module 1")
    act.click(page.get_by_role("button", name="Mark complete and continue"))
    page.wait_for_url(re.compile(r".*/modules/2"))
    act.click(page.get_by_role("button", name="Mark complete"))
    page.wait_for_url(re.compile(r".*/courses/sample-course$"))
    auditor.check(page, "course page, modules done")

    # fail the post-test
    act.click(page.get_by_role("button", name="Start the post-test"))
    page.wait_for_url(re.compile(r".*/attempts/"))
    auditor.check(page, "post-test, empty")
    answer_quiz(act, course.current_version_id, correct=False)
    auditor.check(page, "post-test, filled")
    act.click(page.get_by_role("button", name="Submit for grading"))
    page.wait_for_selector("text=did not pass")
    auditor.check(page, "result, failed")

    # wait out the retake delay, then pass
    time.sleep(2.2)
    page.goto(live_server + "/courses/sample-course")
    act.click(page.get_by_role("button", name="Start another attempt"))
    page.wait_for_url(re.compile(r".*/attempts/"))
    answer_quiz(act, course.current_version_id, correct=True)
    act.click(page.get_by_role("button", name="Submit for grading"))
    page.wait_for_selector("text=passed")
    assert "100.0%" in page.content()
    auditor.check(page, "result, passed")

    # evaluation and attestation (first without the attestation)
    act.click(page.get_by_role("button", name="Continue to the course evaluation"))
    auditor.check(page, "evaluation, empty")
    for group in page.locator("fieldset").all()[:5]:
        act.choose(group.get_by_label("4 Agree"))
    act.fill(page.get_by_label(re.compile("Hours you spent")), "0.25")
    act.click(page.get_by_role("button", name="Submit evaluation"))
    assert "Confirm the attestation" in page.content()
    auditor.check(page, "evaluation, with errors")
    act.choose(page.get_by_label(re.compile("I attest")))
    act.click(page.get_by_role("button", name="Submit evaluation"))
    page.wait_for_url(re.compile(r".*/learning"))
    auditor.check(page, "my learning")

    # certificate PDF, then its verification page signed out
    with page.expect_download() as download:
        act.click(page.get_by_role("link", name="PDF"), navigates=False)
    assert Path(download.value.path()).read_bytes().startswith(b"%PDF")
    db.session.rollback()  # a fresh snapshot: the server thread committed the certificate
    certificate = db.session.scalar(db.select(Certificate).order_by(Certificate.id.desc()))
    page.goto(live_server + "/learning/transcript")
    assert "0.25" in page.content() and "LIC-1234" in page.content()
    auditor.check(page, "transcript")
    context.close()

    anonymous = browser.new_context(java_script_enabled=javascript)
    verify = anonymous.new_page()
    verify.goto(live_server + "/verify/" + codes.display(certificate.code))
    assert "Valid." in verify.content() and "Zoë O" in verify.content()
    auditor.check(verify, "verification page")
    verify.goto(live_server + "/verify")
    auditor.check(verify, "verification form")
    anonymous.close()


def test_clinician_journey(app, browser, live_server, content, auditor):
    clinician_journey(app, browser, live_server, content, auditor)


def test_clinician_journey_with_the_keyboard_alone(app, browser, live_server, content, auditor):
    clinician_journey(app, browser, live_server, content, auditor, keyboard=True)


class NoAudit:
    """axe-core is JavaScript: with scripts disabled the same pages are audited by the other journeys."""

    def check(self, page, state):
        pass


def test_clinician_journey_without_javascript(app, browser, live_server, content):
    clinician_journey(app, browser, live_server, content, NoAudit(), javascript=False)


def sign_in(browser, live_server, email, password=PASSWORD):
    context = browser.new_context(accept_downloads=True)
    page = context.new_page()
    page.goto(live_server + "/login")
    page.get_by_label("Email").fill(email)
    page.get_by_label("Password").fill(password)
    with page.expect_navigation():
        page.get_by_role("button", name="Sign in").click()
    page.wait_for_url(live_server + "/")
    return context, page


def test_trainer_journey(app, browser, live_server, content, auditor, make_user):
    trainer = make_user("trainer")
    db.session.add(CourseTrainer(course_id=content.id, user_id=trainer.id))
    db.session.commit()
    context, page = sign_in(browser, live_server, trainer.email)
    page.goto(live_server + "/author/")
    auditor.check(page, "authoring index")
    with page.expect_navigation():
        page.get_by_role("link", name="Sample Course").click()
    auditor.check(page, "authoring course")
    with page.expect_navigation():
        page.get_by_role("link", name="01-reading-tables.md").click()
    auditor.check(page, "editor")
    editor = page.get_by_label("Markdown (the format of docs/authoring.md)")
    text = editor.input_value()
    # live preview as the trainer types
    editor.fill(text.replace("Doses are given per kilogram", "Doses are always given per kilogram"))
    page.locator("#preview").get_by_text("Doses are always given per kilogram").wait_for()
    # a validation error appears at its line
    editor.fill(editor.input_value().replace("minutes: 7", "minutes: seven"))
    page.locator("#problems").get_by_text(re.compile(r"Line 3: error: 'minutes' must be a whole number")).wait_for()
    auditor.check(page, "editor, with errors")
    editor.fill(editor.input_value().replace("minutes: seven", "minutes: 7"))
    with page.expect_navigation():
        page.get_by_role("button", name="Save to draft").click()
    assert "Saved to the draft" in page.content()
    page.goto(live_server + "/author/sample-course")
    page.get_by_label(re.compile("I have checked the preview")).check()
    with page.expect_navigation():
        page.get_by_role("button", name="Publish").click()
    assert "Published version 1.3.0" in page.content()
    page.get_by_label("Compare version").select_option(index=1)  # the previous version
    with page.expect_navigation():
        page.get_by_role("button", name="Show differences").click()
    assert "always given" in page.locator("pre.diff").first.inner_text()
    auditor.check(page, "version diff")
    context.close()


def test_administrator_journey(app, browser, live_server, content, auditor, make_user):
    from tests.web.test_admin import certify
    from datetime import date, timedelta

    holder = make_user(full_name="Matrix Person")
    make_user(full_name="Someone Else")
    certify(holder, content, expires_on=date.today() + timedelta(days=300))
    code = db.session.scalar(db.select(Certificate.code))
    admin = make_user("administrator")
    context, page = sign_in(browser, live_server, admin.email)
    page.goto(live_server + "/admin/")
    auditor.check(page, "dashboard")
    page.goto(live_server + "/admin/matrix")
    auditor.check(page, "matrix")
    page.get_by_label("Name or email").fill("matrix person")
    with page.expect_navigation():
        page.get_by_role("button", name="Apply filters").click()
    assert "1 clinicians match" in page.content() and "Someone Else" not in page.content()
    auditor.check(page, "matrix, filtered")
    with page.expect_download() as download:
        page.get_by_role("button", name="Download CSV of these results").click()
    csv_text = Path(download.value.path()).read_text()
    assert "Matrix Person" in csv_text and "Someone Else" not in csv_text
    page.goto(live_server + f"/admin/certificates/{code}")
    auditor.check(page, "certificate page")
    page.get_by_label(re.compile("Reason for revoking")).fill("Issued in error")
    with page.expect_navigation():
        page.get_by_role("button", name="Revoke this certificate").click()
    assert "is revoked" in page.content()
    for url, state in (("/admin/users", "users"), (f"/admin/users/{holder.id}", "clinician page"),
                       ("/admin/requirements", "requirements"), ("/admin/reports", "reports"),
                       ("/admin/audit", "audit log"), ("/admin/reissues", "re-issues")):
        page.goto(live_server + url)
        auditor.check(page, state)
    context.close()
    anonymous = browser.new_context()
    verify = anonymous.new_page()
    verify.goto(live_server + f"/verify/{code}")
    assert "Revoked" in verify.content()
    anonymous.close()
