"""Drafts: a course's files edited in the browser, checked and published with the file importer.

A draft is a set of files in the format of docs/authoring.md ("course.md",
"NN-<slug>.md" and "quiz.md" for quizzes/<slug>.md) plus images in the
media store. Checking, previewing and publishing write those files to a
temporary folder and run exactly the code `flask academy check` and
`flask academy import` run, so the browser and git can never disagree.
"""
from __future__ import annotations

import re
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

import yaml

from academy.audit import record_event
from academy.content.export import course_files
from academy.content.model import Problem
from academy.content.parse import MODULE_FILE_RE, SLUG_RE
from academy.content.sync import Source, check_sources, import_content
from academy.content.parse import parse_module, parse_quiz
from academy.extensions import db
from academy.learning.errors import LearningError, NotFound
from academy.media import media_url, sniff, store
from academy.models import Certificate, Course, CourseTrainer, CourseVersion, Draft, Media, User
from academy.models.base import utcnow

QUIZ = "quiz.md"
MAX_IMAGE_BYTES = 2 * 1024 * 1024
_EXTENSIONS = {"image/png": ".png", "image/jpeg": ".jpg", "image/gif": ".gif", "image/webp": ".webp"}


class EditConflict(LearningError):
    """Someone else saved this file after it was opened; the text being saved is kept for the author."""


# ---------------------------------------------------------------- who edits what

def courses_for(user: User) -> list[Course]:
    """Administrators maintain every course; trainers the ones assigned to them."""
    query = db.select(Course).order_by(Course.slug)
    if user.role != "administrator":
        query = query.join(CourseTrainer, CourseTrainer.course_id == Course.id).where(CourseTrainer.user_id == user.id)
    return db.session.scalars(query).all()


def course_for(user: User, slug: str) -> Course:
    """The course if this person may edit it; NotFound otherwise (no hint that it exists)."""
    course = db.session.scalar(db.select(Course).where(Course.slug == slug))
    if course is None:
        raise NotFound()
    if user.role != "administrator" and db.session.get(CourseTrainer, (course.id, user.id)) is None:
        raise NotFound()
    return course


def assign_trainer(admin: User, course: Course, trainer: User, assigned: bool) -> None:
    link = db.session.get(CourseTrainer, (course.id, trainer.id))
    if assigned and link is None:
        db.session.add(CourseTrainer(course_id=course.id, user_id=trainer.id))
    elif not assigned and link is not None:
        db.session.delete(link)
    else:
        return
    record_event(admin, "course.trainer_" + ("assign" if assigned else "unassign"), course, {"trainer": trainer.email})
    db.session.commit()


# ---------------------------------------------------------------- drafts

def _files_of_version(version: CourseVersion) -> tuple[dict[str, str], dict[str, str]]:
    files = {}
    slug = version.normal_form["slug"]
    for path, text in course_files(version.normal_form).items():
        files[QUIZ if path.startswith("quizzes/") else path.removeprefix(f"courses/{slug}/")] = text
    return files, dict(version.normal_form["images"])


def draft_for(user: User, course: Course, *, keep: bool = True) -> Draft:
    """The course's draft, started from its current version when there is none.

    With `keep=False` (pages that only show the draft) a new draft is not
    saved, so looking at a course never changes anything.
    """
    draft = db.session.scalar(db.select(Draft).where(Draft.course_id == course.id))
    if draft is not None:
        return draft
    if course.current_version is None:
        raise LearningError("This course has no version to start a draft from.")
    files, images = _files_of_version(course.current_version)
    draft = Draft(course_id=course.id, base_version_id=course.current_version_id, files=files, images=images,
                  revisions={name: 0 for name in files}, updated_by_id=user.id)
    if keep:
        db.session.add(draft)
        db.session.commit()
    return draft


def create_course(user: User, slug: str, title: str) -> Course:
    """A new course made in the browser: it has a draft and no version until first published."""
    slug, title = slug.strip(), title.strip()
    if not SLUG_RE.match(slug):
        raise LearningError("The course name in addresses must be lower-case letters, digits and hyphens, "
                            "starting with a letter (e.g. kap-aftercare).")
    if not title:
        raise LearningError("Give the course a title.")
    if db.session.scalar(db.select(Course.id).where(Course.slug == slug)):
        raise LearningError(f"A course called {slug} exists already.")
    course = Course(slug=slug, origin="browser", browser_edited_at=utcnow())
    db.session.add(course)
    db.session.flush()
    front = {"title": title, "version": "0.1.0", "summary": "One paragraph for the catalog.",
             "audience": "Who the course is for.", "objectives": ["What a clinician will be able to do."],
             "questions_per_attempt": 1}
    files = {
        "course.md": "---\n" + yaml.safe_dump(front, sort_keys=False, allow_unicode=True) + "---\n\nThe course overview.\n",
        "01-introduction.md": "---\ntitle: Introduction\nminutes: 10\nreferences:\n  - \"A cited source.\"\n---\n\n"
                              "Write the module here.\n",
        QUIZ: "---\nminutes: 10\n---\n\nId: first-question\n1.  A first question?\n*a) Yes\nb)  No\n"
              "Rationale: Why the answer is right.\n",
    }
    db.session.add(Draft(course_id=course.id, files=files, images={}, revisions={name: 0 for name in files},
                         updated_by_id=user.id))
    if user.role == "trainer":
        db.session.add(CourseTrainer(course_id=course.id, user_id=user.id))
    record_event(user, "course.create", course)
    db.session.commit()
    return course


def _touch(user: User, draft: Draft, course: Course, name: str) -> None:
    draft.revisions = {**draft.revisions, name: draft.revisions.get(name, 0) + 1}
    draft.updated_at, draft.updated_by_id = utcnow(), user.id
    course.browser_edited_at = utcnow()


def save_file(user: User, course: Course, draft: Draft, name: str, text: str, revision: int) -> None:
    """Save one file's text unless someone saved it since `revision` was loaded."""
    if name not in draft.files:
        raise NotFound()
    if draft.revisions.get(name, 0) != revision:
        raise EditConflict("Someone else saved this file after you opened it. Your text is below and has not been "
                           "saved: copy your changes, reload the page to see theirs, and merge them.")
    draft.files = {**draft.files, name: text.replace("\r\n", "\n")}
    _touch(user, draft, course, name)
    record_event(user, "draft.save", course, {"file": name, "revision": draft.revisions[name]})
    db.session.commit()


def modules(draft: Draft) -> list[str]:
    return sorted(name for name in draft.files if MODULE_FILE_RE.match(name))


def add_module(user: User, course: Course, draft: Draft, title: str) -> str:
    title = title.strip()
    if not title:
        raise LearningError("Give the module a title.")
    slug = re.sub(r"[^a-z0-9]+", "-", title.lower()).strip("-") or "module"
    if not slug[0].isalpha():
        slug = "m-" + slug
    numbers = [int(MODULE_FILE_RE.match(n).group(1)) for n in modules(draft)]
    number = max(numbers, default=0) + 1
    if number > 99:
        raise LearningError("A course can have at most 99 modules.")
    name = f"{number:02d}-{slug}.md"
    if any(MODULE_FILE_RE.match(n).group(2) == slug for n in modules(draft)):
        raise LearningError(f"A module named {slug} exists already.")
    front = yaml.safe_dump({"title": title, "minutes": 10, "references": []}, sort_keys=False, allow_unicode=True)
    draft.files = {**draft.files, name: f"---\n{front}---\n\nWrite the module here.\n"}
    _touch(user, draft, course, name)
    record_event(user, "draft.module_add", course, {"file": name})
    db.session.commit()
    return name


def remove_module(user: User, course: Course, draft: Draft, name: str) -> None:
    """Retire a module from the next version (earlier versions keep it)."""
    if name not in modules(draft):
        raise NotFound()
    if len(modules(draft)) == 1:
        raise LearningError("A course needs at least one module.")
    draft.files = {k: v for k, v in draft.files.items() if k != name}
    draft.revisions = {k: v for k, v in draft.revisions.items() if k != name}
    _touch(user, draft, course, "course.md")
    record_event(user, "draft.module_remove", course, {"file": name})
    db.session.commit()


def move_module(user: User, course: Course, draft: Draft, name: str, offset: int) -> None:
    """Move a module up (-1) or down (+1) by renumbering the files."""
    order = modules(draft)
    if name not in order:
        raise NotFound()
    index = order.index(name)
    target = index + offset
    if not 0 <= target < len(order):
        return
    order[index], order[target] = order[target], order[index]
    renamed, texts, revisions = {}, dict(draft.files), dict(draft.revisions)
    for number, old in enumerate(order, start=1):
        new = f"{number:02d}-{MODULE_FILE_RE.match(old).group(2)}.md"
        renamed[new] = texts.pop(old)
        revisions[new] = revisions.pop(old, 0) + 1
    texts.update(renamed)
    draft.files, draft.revisions = texts, revisions
    _touch(user, draft, course, "course.md")
    record_event(user, "draft.module_move", course, {"file": name, "offset": offset})
    db.session.commit()


def upload_image(user: User, course: Course, draft: Draft, filename: str, data: bytes) -> str:
    """Store an image checked by its content (PNG, JPEG, GIF, WebP only) and return its Markdown."""
    if len(data) > MAX_IMAGE_BYTES:
        raise LearningError(f"The image is larger than {MAX_IMAGE_BYTES // (1024 * 1024)} MB; make it smaller.")
    kind = sniff(data)
    if kind is None:
        raise LearningError("That file is not a PNG, JPEG, GIF or WebP image (its content was checked, not its name).")
    stem = re.sub(r"[^a-z0-9]+", "-", Path(filename or "image").stem.lower()).strip("-")[:40] or "image"
    name = f"images/{stem}{_EXTENSIONS[kind]}"
    counter = 1
    while name in draft.images and draft.images[name] != store(data):
        counter += 1
        name = f"images/{stem}-{counter}{_EXTENSIONS[kind]}"
    draft.images = {**draft.images, name: store(data)}
    draft.updated_at, draft.updated_by_id = utcnow(), user.id
    course.browser_edited_at = utcnow()
    record_event(user, "draft.image_upload", course, {"file": name, "type": kind, "bytes": len(data)})
    db.session.commit()
    return f"![Describe the image]({name})"


# ---------------------------------------------------------------- checking and previewing

@contextmanager
def _written(course: Course, draft: Draft, files: dict[str, str] | None = None) -> Iterator[Path]:
    """The draft as a courses/ and quizzes/ tree in a temporary folder."""
    with tempfile.TemporaryDirectory(prefix="academy-draft-") as tmp:
        root = Path(tmp)
        folder = root / "courses" / course.slug
        (folder / "images").mkdir(parents=True)
        (root / "quizzes").mkdir()
        for name, text in (files or draft.files).items():
            target = root / "quizzes" / f"{course.slug}.md" if name == QUIZ else folder / name
            target.write_text(text, encoding="utf-8")
        for name, sha in draft.images.items():
            media = db.session.get(Media, sha)
            if media is not None:
                (folder / name).write_bytes(media.data)
        # Prerequisites may name other courses: empty stand-ins let them resolve.
        for slug in db.session.scalars(db.select(Course.slug).where(Course.id != course.id)):
            (root / "courses" / slug).mkdir(exist_ok=True)
        yield root


def _file_name(problem: Problem, course: Course) -> str:
    path = Path(problem.path)
    return QUIZ if path.parent.name == "quizzes" else path.name


def check(course: Course, draft: Draft) -> dict[str, list[Problem]]:
    """Every problem of the draft, by file name, exactly as `flask academy check` reports them."""
    with _written(course, draft) as root:
        _, problems = check_sources([Source(root / "courses", root / "quizzes", frozenset({course.slug}))])
    by_file: dict[str, list[Problem]] = {}
    for problem in problems:
        by_file.setdefault(_file_name(problem, course), []).append(problem)
    return by_file


@dataclass(frozen=True)
class Preview:
    html: str
    problems: list[Problem]
    quiz: object | None = None  # the QuizDoc, for quiz previews


def preview(course: Course, draft: Draft, name: str, text: str) -> Preview:
    """The page a clinician would see for this text, and its problems, without saving anything.

    The same parser and renderer as the importer, with images served from the media store as on
    the published page; the course file and the quiz are checked with the rest of the draft.
    """
    if name not in draft.files:
        raise NotFound()
    files = {**draft.files, name: text.replace("\r\n", "\n")}
    with _written(course, draft, files) as root:
        folder = root / "courses" / course.slug
        if name in (QUIZ, "course.md"):
            content, problems = check_sources([Source(root / "courses", root / "quizzes", frozenset({course.slug}))])
            mine = [p for p in problems if _file_name(p, course) == name]
            doc = content.courses.get(course.slug)
            if name == QUIZ:
                quiz, _ = parse_quiz(files[QUIZ], f"quizzes/{course.slug}.md", course_dir=folder, media_url=media_url)
                return Preview("", mine, quiz)
            return Preview(doc.overview_html if doc else "", mine)
        doc, problems = parse_module(files[name], name, course_dir=folder, media_url=media_url)
        return Preview(doc.html if doc else "", problems)


# ---------------------------------------------------------------- publishing and versions

def certificates_on_earlier_major(course: Course, major: int) -> int:
    """How many current certificates a new major version would mark as earned on an earlier version."""
    return db.session.scalar(db.select(db.func.count(Certificate.id))
                             .join(CourseVersion, Certificate.version_id == CourseVersion.id)
                             .where(Certificate.course_id == course.id, CourseVersion.major < major,
                                    Certificate.revoked_at.is_(None), Certificate.superseded_by_id.is_(None)))


def _bumped(text: str, level: str, current: str | None) -> str:
    """course.md with its version set to the next minor or major after the published one.

    A first publication keeps the version the draft says.
    """
    match = re.search(r"(?m)^version:\s*['\"]?(\d+\.\d+\.\d+)['\"]?\s*$", text)
    if match is None:
        raise LearningError("course.md needs a 'version: X.Y.Z' line to publish.")
    if current is None:
        return text
    major, minor, _ = (int(part) for part in current.split("."))
    new = f"{major + 1}.0.0" if level == "major" else f"{major}.{minor + 1}.0"
    return text[:match.start()] + f"version: {new}" + text[match.end():]


def publish(user: User, course: Course, draft: Draft, level: str) -> CourseVersion:
    """Publish the draft as a new version (minor or major), through the importer; the draft then ends."""
    if level not in ("minor", "major"):
        raise LearningError("Choose a minor or a major version.")
    current = course.current_version.version if course.current_version else None
    origin = course.origin
    files = {**draft.files, "course.md": _bumped(draft.files["course.md"], level, current)}
    with _written(course, draft, files) as root:
        report = import_content([Source(root / "courses", root / "quizzes", frozenset({course.slug}))], force=True)
    if report.errors:
        raise LearningError("The draft has errors; fix them before publishing: "
                            + "; ".join(f"{_file_name(p, course)} line {p.line}: {p.message}" for p in report.errors[:5]))
    db.session.refresh(course)
    if not report.changed and not report.added:
        raise LearningError("Nothing changed since the published version.")
    # Published from the browser: the course keeps its origin, and a later file import must not
    # overwrite it without --force.
    course.origin, course.browser_edited_at = origin, utcnow()
    record_event(user, "content.publish", course, {"version": course.current_version.version, "level": level})
    db.session.delete(draft)
    db.session.commit()
    return course.current_version


def versions(course: Course) -> list[CourseVersion]:
    return db.session.scalars(db.select(CourseVersion).where(CourseVersion.course_id == course.id)
                              .order_by(CourseVersion.sequence.desc())).all()


def version_at(course: Course, sequence: int) -> CourseVersion:
    version = db.session.scalar(db.select(CourseVersion).where(CourseVersion.course_id == course.id,
                                                               CourseVersion.sequence == sequence))
    if version is None:
        raise NotFound()
    return version


def diff(old: CourseVersion, new: CourseVersion) -> list[tuple[str, list[str]]]:
    """(file, unified diff lines) for every file that differs between two versions."""
    import difflib

    a, b = _files_of_version(old)[0], _files_of_version(new)[0]
    changes = []
    for name in sorted(set(a) | set(b)):
        if a.get(name) != b.get(name):
            lines = list(difflib.unified_diff((a.get(name) or "").splitlines(), (b.get(name) or "").splitlines(),
                                              f"{old.version}/{name}", f"{new.version}/{name}", lineterm="", n=2))
            changes.append((name, lines))
    return changes


def restore(user: User, course: Course, version: CourseVersion) -> Draft:
    """Start a draft from an old version (replacing the current draft); publishing it restores it."""
    existing = db.session.scalar(db.select(Draft).where(Draft.course_id == course.id))
    if existing is not None:
        db.session.delete(existing)
        db.session.flush()
    files, images = _files_of_version(version)
    draft = Draft(course_id=course.id, base_version_id=version.id, files=files, images=images,
                  revisions={name: 0 for name in files}, updated_by_id=user.id)
    db.session.add(draft)
    record_event(user, "draft.restore", course, {"version": version.version})
    db.session.commit()
    return draft

