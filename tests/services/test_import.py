"""The importer: all or nothing, idempotent, versioned, with retirement and the browser-edit rule."""
import hashlib
import shutil
from pathlib import Path

import pytest

from academy.content.sync import Source, import_content
from academy.extensions import db
from academy.models import AuditEvent, Course, CourseVersion, Media, Program, Question
from academy.models.base import utcnow

DATA = Path(__file__).resolve().parents[1] / "data" / "valid"


@pytest.fixture
def tree(tmp_path):
    """A writable copy of the valid sample content."""
    root = tmp_path / "content"
    shutil.copytree(DATA, root)
    return root


def run(tree, **kwargs):
    return import_content([Source(tree / "courses", tree / "quizzes")], **kwargs)


def edit(path: Path, old: str, new: str) -> None:
    text = path.read_text()
    assert old in text, f"{old!r} not in {path}"
    path.write_text(text.replace(old, new, 1))


def versions(slug):
    course = db.session.scalar(db.select(Course).where(Course.slug == slug))
    return db.session.scalars(db.select(CourseVersion).where(CourseVersion.course_id == course.id)
                              .order_by(CourseVersion.sequence)).all()


def test_first_import_adds_everything(app, tree):
    report = run(tree)
    assert report.errors == [] and sorted(report.added) == ["follow-up-course", "sample-course"]
    [version] = versions("sample-course")
    assert version.title == "Sample Course" and version.version == "1.2.0" and version.major == 1
    assert [m.position for m in version.modules] == [1, 2]
    assert {q.type for q in version.questions} >= {"single", "true_false", "multiple", "short", "numeric"}
    program = db.session.scalar(db.select(Program))
    assert [e.course.slug for e in program.entries] == ["sample-course", "follow-up-course"]
    assert db.session.scalar(db.select(db.func.count(AuditEvent.id))
                             .where(AuditEvent.action == "content.import")) == 2


def test_answer_key_is_kept_apart_from_what_pages_show(app, tree):
    run(tree)
    for question in db.session.scalars(db.select(Question)):
        assert "rationale" in question.answer_key
        for choice in question.choices:
            assert set(choice) == {"key", "html"}
        if question.type in ("single", "true_false", "multiple"):
            assert question.answer_key["correct"]


def test_reimport_unchanged_is_a_no_op(app, tree):
    run(tree)
    report = run(tree)
    assert sorted(report.unchanged) == ["follow-up-course", "sample-course"]
    assert report.added == report.changed == []
    assert len(versions("sample-course")) == 1


def test_formatting_only_edits_keep_the_hash(app, tree):
    run(tree)
    course_md = tree / "courses" / "sample-course" / "course.md"
    text = course_md.read_text()
    text = text.replace("pass_mark: 80\nattempts_allowed: 3\n", "attempts_allowed: 3\npass_mark: 80\n")
    text = text.replace("title: Sample Course", 'title: "Sample Course"')
    course_md.write_bytes(text.replace("\n", "   \r\n").encode())
    assert run(tree).unchanged == ["follow-up-course", "sample-course"]


def test_changed_course_gets_a_new_version_and_old_one_stays(app, tree):
    run(tree)
    [old] = versions("sample-course")
    old_questions = [(q.qid, q.prompt_html) for q in old.questions]
    module = tree / "courses" / "sample-course" / "01-reading-tables.md"
    edit(module, "Doses are given per kilogram", "Doses are always given per kilogram")
    edit(tree / "courses" / "sample-course" / "course.md", "version: 1.2.0", "version: 1.3.0")
    report = run(tree)
    assert report.changed == ["sample-course"]
    first, second = versions("sample-course")
    assert (first.sequence, second.sequence) == (1, 2) and second.version == "1.3.0"
    assert "always given" in second.modules[0].html and "always given" not in first.modules[0].html
    assert [(q.qid, q.prompt_html) for q in first.questions] == old_questions
    course = db.session.scalar(db.select(Course).where(Course.slug == "sample-course"))
    assert course.current_version_id == second.id


def test_changed_content_without_a_higher_version_is_refused(app, tree):
    run(tree)
    edit(tree / "courses" / "sample-course" / "01-reading-tables.md", "Doses are given", "Doses are listed")
    report = run(tree)
    assert any("is not higher than the imported 1.2.0" in p.message for p in report.errors)
    assert len(versions("sample-course")) == 1


def test_one_broken_file_leaves_the_database_unchanged(app, tree):
    edit(tree / "courses" / "follow-up-course" / "course.md", "title:", "titel:")
    report = run(tree)
    assert report.errors
    assert db.session.scalar(db.select(db.func.count(Course.id))) == 0
    assert db.session.scalar(db.select(db.func.count(Media.sha256))) == 0


def test_dry_run_saves_nothing(app, tree):
    report = run(tree, dry_run=True)
    assert sorted(report.added) == ["follow-up-course", "sample-course"]
    assert db.session.scalar(db.select(db.func.count(Course.id))) == 0


def test_missing_course_is_retired_not_deleted_and_browser_courses_stay(app, tree):
    run(tree)
    db.session.add(Course(slug="made-in-browser", origin="browser"))
    db.session.commit()
    shutil.rmtree(tree / "courses" / "follow-up-course")
    (tree / "quizzes" / "follow-up-course.md").unlink()
    (tree / "courses" / "programs.yml").unlink()
    report = run(tree)
    assert report.retired == ["follow-up-course"]
    retired = db.session.scalar(db.select(Course).where(Course.slug == "follow-up-course"))
    assert retired.retired_at is not None and len(versions("follow-up-course")) == 1
    browser = db.session.scalar(db.select(Course).where(Course.slug == "made-in-browser"))
    assert browser.retired_at is None


def test_partial_import_of_one_course_retires_nothing(app, tree):
    report = import_content([Source(tree / "courses", tree / "quizzes", frozenset({"sample-course"}))])
    assert report.added == ["sample-course"] and report.retired == []


def test_browser_edits_are_not_overwritten_unless_forced(app, tree):
    run(tree)
    course = db.session.scalar(db.select(Course).where(Course.slug == "sample-course"))
    course.browser_edited_at = utcnow()
    db.session.commit()
    edit(tree / "courses" / "sample-course" / "01-reading-tables.md", "Doses are given", "Doses are listed")
    edit(tree / "courses" / "sample-course" / "course.md", "version: 1.2.0", "version: 2.0.0")
    report = run(tree)
    assert report.skipped == ["sample-course"] and len(versions("sample-course")) == 1
    report = run(tree, force=True)
    assert report.changed == ["sample-course"] and len(versions("sample-course")) == 2


def test_images_go_to_the_media_store_and_are_served(app, tree, web, make_user):
    run(tree)
    data = (tree / "courses" / "sample-course" / "images" / "dot.png").read_bytes()
    digest = hashlib.sha256(data).hexdigest()
    assert db.session.get(Media, digest).content_type == "image/png"
    [version] = versions("sample-course")
    assert f'src="/media/{digest}"' in version.modules[0].html
    web.login(make_user().email)
    response = web.client.get(f"/media/{digest}")
    assert response.status_code == 200 and response.data == data
    assert response.headers["Content-Type"] == "image/png"
    assert response.headers["X-Content-Type-Options"] == "nosniff"
    assert web.client.get("/media/" + "0" * 64).status_code == 404


def test_reimport_reads_rendered_html_from_the_cache(app, tree, monkeypatch):
    from academy.content import parse
    from academy.models import RenderedText

    run(tree)
    assert db.session.scalar(db.select(db.func.count()).select_from(RenderedText)) > 0
    calls = []
    real = parse.convert
    monkeypatch.setattr(parse, "convert", lambda *a, **k: calls.append(1) or real(*a, **k))
    report = run(tree)
    assert sorted(report.unchanged) == ["follow-up-course", "sample-course"] and calls == []


def test_cache_gives_the_same_result_and_follows_image_changes(app, tree):
    from academy.content.validate import check_paths

    run(tree)
    image = tree / "courses" / "sample-course" / "images" / "dot.png"
    data = image.read_bytes()
    image.write_bytes(data + b"\x00")  # still a PNG, different bytes
    edit(tree / "courses" / "sample-course" / "course.md", "version: 1.2.0", "version: 1.2.1")
    report = run(tree)
    assert report.changed == ["sample-course"]
    _, newest = versions("sample-course")
    digest = hashlib.sha256(data + b"\x00").hexdigest()
    assert f"/media/{digest}" in newest.modules[0].html
    uncached, _ = check_paths(tree / "courses", tree / "quizzes", media_url=lambda sha: f"/media/{sha}")
    assert [m.html for m in uncached.courses["sample-course"].modules] == [m.html for m in newest.modules]


def test_links_between_modules_go_to_module_pages(app, tree):
    run(tree)
    [version] = versions("sample-course")
    assert 'href="/courses/sample-course/m/checking-answers"' in version.modules[0].html
    assert 'href="/courses/sample-course/m/reading-tables"' in version.overview_html


def test_duplicate_course_slugs_across_folders_are_refused(app, tree, tmp_path):
    other = tmp_path / "other"
    shutil.copytree(tree, other)
    report = import_content([Source(tree / "courses", tree / "quizzes"), Source(other / "courses", other / "quizzes")])
    assert any("duplicate course slug 'sample-course'" in p.message for p in report.errors)
    assert db.session.scalar(db.select(db.func.count(Course.id))) == 0
