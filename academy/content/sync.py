"""Import checked course files into the database as versions: all or nothing, idempotent.

A course whose normal-form hash equals its current version's is left alone.
A changed course gets a new CourseVersion; older versions (and everything
earned on them) are kept. Courses that came from files and are missing from a
full import are retired, never deleted; courses created or edited in the
browser are not overwritten unless forced.
"""
from __future__ import annotations

from dataclasses import asdict, dataclass, field
from decimal import Decimal
from pathlib import Path
from typing import Callable

from sqlalchemy import func

from academy.audit import record_event
from academy.content.render_store import StoredRenderCache
from academy.content.model import ContentSet, CourseDoc, Problem, QuestionDoc, to_normal_form
from academy.content.validate import check_paths
from academy.database import write_intent
from academy.extensions import db
from academy.learning.certificates import mark_earlier_version
from academy.media import media_url, store
from academy.models import Course, CourseVersion, Module, Program, ProgramCourse, Question
from academy.models.base import utcnow


@dataclass(frozen=True)
class Source:
    """Where to read content: a courses folder and its quizzes folder, optionally only some courses.

    `only` is None for a full import of the folder (missing courses are
    retired) and a set of slugs for a partial one (nothing is retired).
    """

    courses_dir: Path
    quizzes_dir: Path
    only: frozenset[str] | None = None


@dataclass
class ImportReport:
    added: list[str] = field(default_factory=list)
    changed: list[str] = field(default_factory=list)
    unchanged: list[str] = field(default_factory=list)
    retired: list[str] = field(default_factory=list)
    skipped: list[str] = field(default_factory=list)  # edited in the browser since the last import
    problems: list[Problem] = field(default_factory=list)
    dry_run: bool = False

    @property
    def errors(self) -> list[Problem]:
        return [p for p in self.problems if p.severity == "error"]

    def summary(self) -> str:
        counts = ", ".join(f"{len(getattr(self, name))} {name}"
                           for name in ("added", "changed", "unchanged", "retired", "skipped"))
        return ("Dry run (nothing saved): " if self.dry_run else "Imported: ") + counts


def sources_for(paths: list[Path], default: Source) -> list[Source]:
    """Turn command-line paths into sources: a courses folder, or single course folders."""
    if not paths:
        return [default]
    sources: list[Source] = []
    for path in paths:
        path = path.resolve()
        if _is_quizzes_folder(path):
            continue  # quizzes are read beside their courses folder
        if (path / "course.md").is_file():
            sources.append(Source(path.parent, path.parent.parent / "quizzes", frozenset({path.name})))
        else:
            sources.append(Source(path, path.parent / "quizzes"))
    return sources


def _is_quizzes_folder(path: Path) -> bool:
    """A folder of quiz files only (e.g. `flask academy check courses quizzes`)."""
    return (path.is_dir() and any(path.glob("*.md")) and not (path / "course.md").exists()
            and not any(child.is_dir() and (child / "course.md").exists() for child in path.iterdir()))


def check_sources(sources: list[Source], render_cache=None) -> tuple[ContentSet, list[Problem]]:
    """Check every source; for a partial source only the chosen courses' problems count."""
    courses, programs, problems = {}, {}, []
    for source in sources:
        content, found = check_paths(source.courses_dir, source.quizzes_dir, media_url=media_url,
                                     render_cache=render_cache)
        for slug in content.courses.keys() & courses.keys():
            problems.append(Problem(str(source.courses_dir / slug), 1, "error",
                                    f"duplicate course slug '{slug}': another folder being imported has a course "
                                    "with the same name; rename one of the folders"))
        if source.only is None:
            courses.update(content.courses)
            programs.update(content.programs)
            problems += found
        else:
            courses.update({slug: doc for slug, doc in content.courses.items() if slug in source.only})
            problems += [p for p in found if _concerns(p, source)]
            problems += [Problem(str(source.courses_dir / slug), 1, "error", "the course has errors or does not exist")
                         for slug in source.only if slug not in content.courses and not any(
                             _concerns(p, source) and p.severity == "error" for p in found)]
    return ContentSet(courses, programs), problems


def _concerns(problem: Problem, source: Source) -> bool:
    path = Path(problem.path).resolve()
    return any(path.is_relative_to(source.courses_dir / slug) or path == source.quizzes_dir / f"{slug}.md"
               for slug in source.only or ())


def import_content(sources: list[Source], *, dry_run: bool = False, force: bool = False,
                   progress: Callable[[int, int], None] | None = None) -> ImportReport:
    """Validate, then import everything in one transaction (or nothing, on any error)."""
    with write_intent():
        cache = StoredRenderCache()
        content, problems = check_sources(sources, cache)
        report = ImportReport(problems=problems, dry_run=dry_run)
        if report.errors:
            db.session.rollback()
            return report
        docs = sorted(content.courses.items())
        for done, (_, doc) in enumerate(docs, start=1):
            _import_course(doc, report, force)
            if progress:
                progress(done, len(docs))
        report.problems += _version_problems(content, report)
        if report.errors:
            db.session.rollback()
            return report
        full = all(source.only is None for source in sources)
        if full:
            _retire_missing(set(content.courses), report)
        _sync_programs(content, retire_missing=full)
        cache.save(prune=full)
        if dry_run:
            db.session.rollback()
        else:
            db.session.commit()
    return report


def _import_course(doc: CourseDoc, report: ImportReport, force: bool) -> None:
    course = db.session.scalar(db.select(Course).where(Course.slug == doc.slug))
    if course is None:
        course = Course(slug=doc.slug, origin="files")
        db.session.add(course)
        db.session.flush()
        _add_version(course, doc)
        report.added.append(doc.slug)
        return
    if (course.origin == "browser" or course.edited_in_browser_since_import) and not force:
        report.skipped.append(doc.slug)
        return
    current = course.current_version
    if current is not None and current.content_hash == doc.content_hash and course.retired_at is None:
        report.unchanged.append(doc.slug)
        return
    course.origin = "files"
    course.retired_at = None
    course.browser_edited_at = None
    if current is None or current.content_hash != doc.content_hash:
        _add_version(course, doc)
    else:
        course.last_imported_at = utcnow()
    report.changed.append(doc.slug)


def _add_version(course: Course, doc: CourseDoc) -> CourseVersion:
    sequence = (db.session.scalar(db.select(func.max(CourseVersion.sequence))
                                  .where(CourseVersion.course_id == course.id)) or 0) + 1
    settings = doc.settings
    version = CourseVersion(
        course_id=course.id, sequence=sequence, version=settings.version,
        major=int(settings.version.split(".")[0]), content_hash=doc.content_hash, title=settings.title,
        summary=settings.summary, settings=_json_settings(settings), overview_html=doc.overview_html,
        ce_hours=Decimal(str(doc.ce_hours)), normal_form=to_normal_form(doc))
    version.modules = [Module(position=i, slug=m.slug, title=m.title, minutes=m.minutes, html=m.html)
                       for i, m in enumerate(doc.modules, start=1)]
    version.questions = [_question(q, i) for i, q in enumerate(doc.quiz.questions if doc.quiz else (), start=1)]
    db.session.add(version)
    for data in doc.images.values():
        store(data)
    db.session.flush()
    previous = course.current_version
    course.current_version = version
    course.last_imported_at = utcnow()
    if previous is not None and previous.major < version.major:
        mark_earlier_version(version)
    record_event(None, "content.import", course, {"version": settings.version, "sequence": sequence,
                                                  "hash": doc.content_hash}, actor_label="import")
    return version


def _json_settings(settings) -> dict:
    data = asdict(settings)
    return {key: list(value) if isinstance(value, tuple) else value for key, value in data.items()}


def _question(question: QuestionDoc, position: int) -> Question:
    key: dict = {
        "feedback": {c.key: c.feedback_html for c in question.choices if c.feedback_html},
        "general": question.general_feedback_html,
        "when_correct": question.correct_feedback_html,
        "when_incorrect": question.incorrect_feedback_html,
        "rationale": question.rationale_html,
        "reference": question.reference_html,
    }
    if question.choices:
        key["correct"] = [c.key for c in question.choices if c.correct]
    if question.weighted:
        key["weights"] = {c.key: c.weight / 100 for c in question.choices}
    if question.accepted:
        key["accepted"] = list(question.accepted)
    if question.numeric is not None:
        key["min"], key["max"] = question.numeric.bounds()
    return Question(qid=question.id, position=position, type=question.type, prompt_html=question.text_html,
                    choices=[{"key": c.key, "html": c.text_html} for c in question.choices], answer_key=key)


def _version_problems(content: ContentSet, report: ImportReport) -> list[Problem]:
    """A changed course must carry a higher version than the one it replaces."""
    problems = []
    for slug in report.changed:
        course = db.session.scalar(db.select(Course).where(Course.slug == slug))
        versions = db.session.scalars(db.select(CourseVersion).where(CourseVersion.course_id == course.id)
                                      .order_by(CourseVersion.sequence.desc()).limit(2)).all()
        if len(versions) == 2 and _semver(versions[0].version) <= _semver(versions[1].version):
            doc = content.courses[slug]
            problems.append(Problem(str(Path(doc.path) / "course.md"), 1, "error",
                                    f"the content changed but the version {versions[0].version} is not higher "
                                    f"than the imported {versions[1].version}: raise the version (MAJOR when the "
                                    "change matters for certification, else MINOR or PATCH)"))
    return problems


def _semver(text: str) -> tuple[int, ...]:
    return tuple(int(part) for part in text.split("."))


def _retire_missing(present: set[str], report: ImportReport) -> None:
    query = db.select(Course).where(Course.origin == "files", Course.retired_at.is_(None))
    for course in db.session.scalars(query):
        if course.slug not in present:
            course.retired_at = utcnow()
            record_event(None, "content.retire", course, actor_label="import")
            report.retired.append(course.slug)


def _sync_programs(content: ContentSet, *, retire_missing: bool) -> None:
    for slug, doc in content.programs.items():
        program = db.session.scalar(db.select(Program).where(Program.slug == slug))
        if program is None:
            program = Program(slug=slug)
            db.session.add(program)
        program.title, program.summary, program.retired_at = doc.title, doc.summary, None
        courses = {c.slug: c for c in db.session.scalars(db.select(Course).where(Course.slug.in_(doc.courses)))}
        wanted = [(i, courses[s].id) for i, s in enumerate(doc.courses, start=1)]
        if [(e.position, e.course_id) for e in program.entries] != wanted:
            program.entries = [ProgramCourse(course_id=cid, position=i) for i, cid in wanted]
    if retire_missing:
        for program in db.session.scalars(db.select(Program).where(Program.retired_at.is_(None))):
            if program.slug not in content.programs:
                program.retired_at = utcnow()
