"""`flask academy check` and `flask academy import` through the real CLI."""
import json
import shutil
from pathlib import Path

import pytest

from academy.extensions import db
from academy.models import Course
from academy.models.base import utcnow

ROOT = Path(__file__).resolve().parents[2]
DATA = ROOT / "tests" / "data" / "valid"


@pytest.fixture
def tree(tmp_path):
    root = tmp_path / "content"
    shutil.copytree(DATA, root)
    return root


def test_shipped_content_passes_the_strict_check(runner):
    result = runner.invoke(args=["academy", "check", "--strict", str(ROOT / "courses")])
    assert result.exit_code == 0, result.output
    assert "4 courses checked: 0 errors, 0 warnings." in result.output


def test_check_reports_file_and_line_and_fails(runner, tree):
    course_md = tree / "courses" / "sample-course" / "course.md"
    course_md.write_text(course_md.read_text().replace("pass_mark: 80", "pass_mrk: 80"))
    result = runner.invoke(args=["academy", "check", str(tree / "courses")])
    assert result.exit_code == 1
    line = next(n for n, text in enumerate(course_md.read_text().splitlines(), 1) if text.startswith("pass_mrk"))
    assert f"course.md:{line}: error:" in result.output
    assert "did you mean 'pass_mark'" in result.output


def test_check_json_and_strict_warnings(runner, tree):
    course_md = tree / "courses" / "sample-course" / "course.md"
    course_md.write_text(course_md.read_text().replace("pass_mark: 80", "pass_mark: 60"))
    relaxed = runner.invoke(args=["academy", "check", "--format", "json", str(tree / "courses")])
    assert relaxed.exit_code == 0, relaxed.output
    report = json.loads(relaxed.output)
    assert report["errors"] == 0 and report["warnings"] >= 1
    assert runner.invoke(args=["academy", "check", "--strict", str(tree / "courses")]).exit_code == 1


def test_import_and_conflict_exit_codes(app, runner, tree):
    first = runner.invoke(args=["academy", "import", str(tree / "courses")])
    assert first.exit_code == 0, first.output
    assert "Imported: 2 added" in first.output
    course = db.session.scalar(db.select(Course).where(Course.slug == "sample-course"))
    course.browser_edited_at = utcnow()
    db.session.commit()
    conflict = runner.invoke(args=["academy", "import", str(tree / "courses")])
    assert conflict.exit_code == 1 and "skipped sample-course" in conflict.output
    warned = runner.invoke(args=["academy", "import", "--on-conflict", "warn", str(tree / "courses")])
    assert warned.exit_code == 0 and "warning: skipped sample-course" in warned.output


def test_import_refuses_broken_content(app, runner, tree):
    (tree / "quizzes" / "sample-course.md").unlink()
    result = runner.invoke(args=["academy", "import", str(tree / "courses")])
    assert result.exit_code == 1 and "Nothing imported" in result.output
    assert db.session.scalar(db.select(db.func.count(Course.id))) == 0


def test_import_of_the_shipped_courses(app, runner):
    result = runner.invoke(args=["academy", "import", str(ROOT / "courses")])
    assert result.exit_code == 0, result.output
    assert "Imported: 4 added" in result.output
    again = runner.invoke(args=["academy", "import", str(ROOT / "courses")])
    assert "0 added, 0 changed, 4 unchanged" in again.output
