"""Authoring in the browser: drafts, preview, conflicts, publishing, versions, uploads, export round trip."""
import hashlib
import re
import shutil
from pathlib import Path

import pytest

from academy.content.parse import read_course
from academy.content.sync import Source, import_content
from academy.extensions import db
from academy.models import AuditEvent, Course, CourseTrainer, CourseVersion
from tests.conftest import Browserless, csrf_from

ROOT = Path(__file__).resolve().parents[2]
DATA = ROOT / "tests" / "data" / "valid"
PNG = (DATA / "courses" / "sample-course" / "images" / "dot.png").read_bytes()


@pytest.fixture
def course(app, tmp_path):
    root = tmp_path / "content"
    shutil.copytree(DATA, root)
    assert not import_content([Source(root / "courses", root / "quizzes")]).errors
    return db.session.scalar(db.select(Course).where(Course.slug == "sample-course"))


@pytest.fixture
def trainer(app, course, make_user):
    web = Browserless(app.test_client())
    web.user = make_user("trainer")
    db.session.add(CourseTrainer(course_id=course.id, user_id=web.user.id))
    db.session.commit()
    web.login(web.user.email)
    return web


EDIT = "/author/sample-course/files/01-reading-tables.md"


def module_text(web) -> tuple[str, int]:
    page = web.client.get(EDIT).get_data(as_text=True)
    text = re.search(r'<textarea[^>]*>(.*?)</textarea>', page, re.S).group(1)
    import html
    return html.unescape(text), int(re.search(r'name="revision" value="(\d+)"', page).group(1))


def save(web, text, revision, url=EDIT):
    return web.form_post(url, {"text": text, "revision": str(revision), "action": "save"}, form_url=url)


def publish(web, level="minor"):
    return web.form_post("/author/sample-course/publish", {"level": level, "confirm": "yes"},
                         form_url="/author/sample-course")


def test_edit_preview_save_publish(app, trainer, course, make_user):
    text, revision = module_text(trainer)
    changed = text.replace("Doses are given per kilogram", "Doses are always given per kilogram")
    preview = trainer.form_post(EDIT, {"text": changed, "revision": str(revision), "action": "preview"},
                                form_url=EDIT).get_data(as_text=True)
    assert "Doses are always given per kilogram" in preview
    live = trainer.form_post(f"{EDIT}/preview", {"text": changed}, form_url=EDIT).json
    assert "always given" in live["html"] and live["problems"] == []
    assert save(trainer, changed, revision).status_code == 302
    # Clinicians still see the published version until the draft is published.
    clinician = Browserless(app.test_client())
    clinician.login(make_user().email)
    clinician.form_post("/courses/sample-course/start", {}, form_url="/courses/sample-course")
    assert "always given" not in clinician.client.get("/courses/sample-course/modules/1").get_data(as_text=True)
    assert publish(trainer).status_code == 302
    db.session.expire_all()
    assert course.current_version.version == "1.3.0"
    # the preview equals what clinicians get after publishing
    published = db.session.scalar(db.select(CourseVersion).where(CourseVersion.id == course.current_version_id))
    assert live["html"] == published.modules[0].html
    actions = set(db.session.scalars(db.select(AuditEvent.action)))
    assert {"draft.save", "content.publish"} <= actions


def test_problems_are_shown_at_their_line_and_publishing_is_blocked(trainer, course):
    text, revision = module_text(trainer)
    broken = text.replace("minutes: 7", "minutes: seven")
    page = trainer.form_post(EDIT, {"text": broken, "revision": str(revision), "action": "preview"},
                             form_url=EDIT).get_data(as_text=True)
    assert "Line 3: error: &#39;minutes&#39; must be a whole number" in page
    save(trainer, broken, revision)
    response = trainer.form_post("/author/sample-course/publish", {"level": "minor", "confirm": "yes"},
                                 form_url="/author/sample-course", follow=True)
    assert "The draft has errors" in response.get_data(as_text=True)
    db.session.expire_all()
    assert course.current_version.version == "1.2.0"


def test_second_save_of_a_stale_copy_is_refused_and_text_kept(app, trainer, course, make_user):
    other = Browserless(app.test_client())
    other.user = make_user("trainer")
    db.session.add(CourseTrainer(course_id=course.id, user_id=other.user.id))
    db.session.commit()
    other.login(other.user.email)
    text, revision = module_text(trainer)
    text2, revision2 = module_text(other)
    assert save(trainer, text + "\nFirst trainer's line.\n", revision).status_code == 302
    refused = save(other, text2 + "\nSecond trainer's line.\n", revision2)
    html = refused.get_data(as_text=True)
    assert refused.status_code == 200 and "Someone else saved this file" in html
    assert "Second trainer&#39;s line." in html
    assert "First trainer's line." in module_text(trainer)[0]


def test_quiz_preview_shows_questions_and_separately_the_key(trainer, course):
    page = trainer.client.get("/author/sample-course/files/quiz.md").get_data(as_text=True)
    page = page.split('id="preview"', 1)[1]  # the preview, not the text being edited
    assert "Questions as clinicians see them" in page and "Key and rationales" in page
    questions, key = page.split("Key and rationales")
    assert "Doses are given per kilogram, so the weight must be known." not in questions
    assert "Doses are given per kilogram, so the weight must be known." in key


def test_versions_diff_and_restore(trainer, course):
    text, revision = module_text(trainer)
    save(trainer, text.replace("Doses are given", "Doses are listed"), revision)
    publish(trainer, "major")
    db.session.expire_all()
    assert course.current_version.version == "2.0.0"
    diff = trainer.client.get("/author/sample-course/diff?from=1&to=2").get_data(as_text=True)
    assert "<del>-Doses are given" in diff and "<ins>+Doses are listed" in diff
    trainer.form_post("/author/sample-course/restore/1", {}, form_url="/author/sample-course")
    publish(trainer, "minor")
    db.session.expire_all()
    assert course.current_version.version == "2.1.0"
    assert "Doses are given per kilogram" in course.current_version.modules[0].html


def test_modules_add_move_retire(trainer, course):
    trainer.form_post("/author/sample-course/modules", {"title": "Aftercare plans"}, form_url="/author/sample-course")
    page = trainer.client.get("/author/sample-course").get_data(as_text=True)
    assert "03-aftercare-plans.md" in page
    trainer.form_post("/author/sample-course/modules/03-aftercare-plans.md/up", {}, form_url="/author/sample-course")
    page = trainer.client.get("/author/sample-course").get_data(as_text=True)
    assert "02-aftercare-plans.md" in page and "03-checking-answers.md" in page
    trainer.form_post("/author/sample-course/modules/02-aftercare-plans.md/remove", {}, form_url="/author/sample-course")
    assert "aftercare" not in trainer.client.get("/author/sample-course").get_data(as_text=True)


def _upload(web, name, data):
    import io
    token = csrf_from(web.client.get("/author/sample-course").get_data(as_text=True))
    return web.client.post("/author/sample-course/images", data={"csrf_token": token, "image": (io.BytesIO(data), name)},
                           content_type="multipart/form-data", follow_redirects=True).get_data(as_text=True)


def test_uploads_are_checked_by_content_and_size(trainer, course):
    assert "not a PNG, JPEG, GIF or WebP image" in _upload(trainer, "evil.png", b"<script>alert(1)</script>")
    assert "larger than 2 MB" in _upload(trainer, "big.png", PNG + b"\0" * (2 * 1024 * 1024))
    page = _upload(trainer, "../../<b>Evil</b> name.png", PNG)
    assert "images/b-name.png" in page  # only the last path part, reduced to safe characters
    response = trainer.client.get("/media/" + hashlib.sha256(PNG).hexdigest())
    assert response.headers["Content-Type"] == "image/png" and response.headers["X-Content-Type-Options"] == "nosniff"


def test_authorisation(app, course, make_user, trainer):
    outsider = Browserless(app.test_client())
    outsider.login(make_user("trainer").email)
    assert outsider.client.get("/author/sample-course").status_code == 404
    assert outsider.client.get(EDIT).status_code == 404
    assert "sample-course" not in outsider.client.get("/author/").get_data(as_text=True)
    clinician = Browserless(app.test_client())
    clinician.login(make_user().email)
    assert clinician.client.get("/author/").status_code == 403
    assert clinician.client.get(EDIT).status_code == 403


def test_new_course_in_the_browser_then_file_import_leaves_it_alone(app, trainer, tmp_path):
    trainer.form_post("/author/courses", {"slug": "kap-aftercare", "title": "KAP Aftercare"}, form_url="/author/")
    response = trainer.form_post("/author/kap-aftercare/publish", {"level": "minor", "confirm": "yes"},
                                 form_url="/author/kap-aftercare")
    assert response.status_code == 302
    created = db.session.scalar(db.select(Course).where(Course.slug == "kap-aftercare"))
    assert created.origin == "browser" and created.current_version is not None
    root = tmp_path / "again"
    shutil.copytree(DATA, root)
    report = import_content([Source(root / "courses", root / "quizzes")])
    assert "kap-aftercare" not in report.retired
    db.session.expire_all()
    assert created.retired_at is None


def test_export_then_import_keeps_the_hash_for_every_shipped_course(app, runner, tmp_path):
    assert runner.invoke(args=["academy", "import", str(ROOT / "courses")]).exit_code == 0
    for course in db.session.scalars(db.select(Course)):
        target = tmp_path / course.slug
        result = runner.invoke(args=["academy", "export", course.slug, str(target)])
        assert result.exit_code == 0, result.output
        read = read_course(target / "courses" / course.slug, target / "quizzes" / f"{course.slug}.md")
        assert read.doc is not None, [str(p) for p in read.problems]
        assert read.doc.content_hash == course.current_version.content_hash, course.slug
    again = runner.invoke(args=["academy", "export", "kap-medical-screening", str(tmp_path / "kap-medical-screening")])
    assert again.exit_code != 0 and "--force" in again.output
