"""Writing a course version from the database to files, without ever leaving a half-written folder."""
from __future__ import annotations

import os
import shutil
import tempfile
from pathlib import Path

from academy.content.export import course_files
from academy.extensions import db
from academy.models import Course, Media


class ExportError(Exception):
    """The export cannot be done; the message says why and what to do."""


def export_course(slug: str, directory: Path, *, replace: bool = False) -> list[Path]:
    """Write the course's current version (modules, post-test, images) in the file format.

    Everything is written to a temporary folder first and moved into place at
    the end, so a failure leaves the target as it was.
    """
    course = db.session.scalar(db.select(Course).where(Course.slug == slug))
    if course is None or course.current_version is None:
        raise ExportError(f"No published course has the slug '{slug}'.")
    normal_form = course.current_version.normal_form
    course_dir = directory / "courses" / slug
    quiz_file = directory / "quizzes" / f"{slug}.md"
    if (course_dir.exists() or quiz_file.exists()) and not replace:
        raise ExportError(f"{course_dir} or {quiz_file} exists already; use --force to replace them.")
    directory.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory(dir=directory, prefix=".export-") as tmp:
        staging = Path(tmp)
        written = []
        for relative, text in course_files(normal_form).items():
            target = staging / relative
            target.parent.mkdir(parents=True, exist_ok=True)
            target.write_text(text, encoding="utf-8")
            written.append(directory / relative)
        for relative, sha in normal_form["images"].items():
            media = db.session.get(Media, sha)
            if media is None:
                raise ExportError(f"The image {relative} ({sha}) is missing from the media store.")
            target = staging / "courses" / slug / relative
            target.parent.mkdir(parents=True, exist_ok=True)
            target.write_bytes(media.data)
            written.append(course_dir / relative)
        if course_dir.exists():
            shutil.rmtree(course_dir)
        course_dir.parent.mkdir(parents=True, exist_ok=True)
        os.replace(staging / "courses" / slug, course_dir)
        if (staging / "quizzes" / f"{slug}.md").exists():
            quiz_file.parent.mkdir(parents=True, exist_ok=True)
            os.replace(staging / "quizzes" / f"{slug}.md", quiz_file)
    return written
