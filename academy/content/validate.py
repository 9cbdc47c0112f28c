"""`flask academy check`: every problem in the content, at once, each at its file and line.

`parse` reports what one file shows; this module walks courses/ and
quizzes/ and adds the rules that need more than one file: every course has a
post-test and every quiz a course, prerequisites exist and form no cycle,
the question pool is large enough, the CE hours are backed by enough
questions, and programs list real courses. The messages are documented in
docs/authoring.md ("Every message from `flask academy check`").
"""
from __future__ import annotations

import difflib
import math
from collections.abc import Collection
from dataclasses import replace
from pathlib import Path

from academy.content.hours import ce_hours
from academy.content.model import ContentSet, CourseDoc, ModuleDoc, Problem, ProgramDoc, QuizDoc
from academy.content.parse import CourseRead, MediaUrl, RenderCache, parse_module, parse_programs, parse_quiz, read_course, read_text

QUESTIONS_PER_CE_HOUR = 6


def check_paths(courses_dir: Path, quizzes_dir: Path, *, media_url: MediaUrl | None = None,
                render_cache: RenderCache | None = None) -> tuple[ContentSet, list[Problem]]:
    """Check all content; the ContentSet holds every course and program that has no error.

    Problems are sorted by file and line. `media_url(sha256)` gives the URL
    images are served from in the rendered HTML (default: as written).
    """
    if not courses_dir.is_dir():
        return ContentSet({}, {}), [Problem(str(courses_dir), 1, "error", "the courses folder does not exist")]
    course_dirs = sorted(d for d in courses_dir.iterdir() if d.is_dir() and not d.name.startswith("."))
    known = [d.name for d in course_dirs]
    reads: dict[str, CourseRead] = {}
    problems: list[Problem] = []
    for course_dir in course_dirs:
        read, course_problems = _check_course(course_dir, quizzes_dir / f"{course_dir.name}.md", known, media_url,
                                              render_cache)
        reads[course_dir.name] = read
        problems += course_problems
    problems += _quizzes_without_course(quizzes_dir, known)
    cycle_problems, in_cycle = _prerequisite_cycles(reads)
    problems += cycle_problems
    courses = {slug: read.doc for slug, read in reads.items() if read.doc is not None and slug not in in_cycle}
    programs, program_problems = _check_programs(courses_dir / "programs.yml", known)
    problems += program_problems
    programs = {slug: p for slug, p in programs.items() if all(course in courses for course in p.courses)}
    return ContentSet(courses, programs), sorted(dict.fromkeys(problems))


def check_course(course_dir: Path, quiz_file: Path | None, *, known_courses: Collection[str] | None = None,
                 media_url: MediaUrl | None = None) -> tuple[CourseDoc | None, list[Problem]]:
    """Check one course folder and its quiz (for the browser editor).

    Prerequisites are checked only if `known_courses` (the slugs that exist)
    is given; cycles need every course, so only `check_paths` finds them.
    """
    read, problems = _check_course(course_dir, quiz_file, known_courses, media_url)
    return read.doc, sorted(problems)


def check_module_text(text: str, path: str = "01-module.md", *,
                      course_dir: Path | None = None) -> tuple[ModuleDoc | None, list[Problem]]:
    """Check a module's text as typed in the editor; `path` supplies the NN-slug file name."""
    return parse_module(text, path, course_dir=course_dir)


def check_quiz_text(text: str, path: str = "quiz.md", *,
                    course_dir: Path | None = None) -> tuple[QuizDoc | None, list[Problem]]:
    """Check a quiz's text as typed in the editor (links and images resolve against `course_dir`)."""
    return parse_quiz(text, path, course_dir=course_dir)


def _check_course(course_dir: Path, quiz_file: Path | None, known_courses: Collection[str] | None,
                  media_url: MediaUrl | None, render_cache: RenderCache | None = None
                  ) -> tuple[CourseRead, list[Problem]]:
    read = read_course(course_dir, quiz_file, media_url=media_url, render_cache=render_cache)
    problems = list(read.problems) + _course_rules(read, known_courses)
    if any(p.severity == "error" for p in problems) and read.doc is not None:
        read = replace(read, doc=None)
    return read, problems


def _course_rules(read: CourseRead, known_courses: Collection[str] | None) -> list[Problem]:
    """Rules that combine course.md with the other files of the course (and the list of courses)."""
    settings = read.settings
    if settings is None:
        return []
    problems = []
    if known_courses is not None:
        for index, slug in enumerate(settings.prerequisites):
            if slug not in known_courses:
                problems.append(Problem(read.course_md, read.lines.get(("prerequisites", index), 1), "error",
                                        f"prerequisite '{slug}' is not a course in courses/"
                                        f"{_did_you_mean(slug, known_courses)}"))
    if read.quiz is not None:
        problems += _pool_rules(read)
    return problems


def _pool_rules(read: CourseRead) -> list[Problem]:
    """The pool must cover questions_per_attempt, and the questions drawn must back the CE hours."""
    settings, quiz = read.settings, read.quiz
    assert settings is not None and quiz is not None
    problems = []
    pool = len(quiz.questions)
    per_attempt = settings.questions_per_attempt
    per_attempt_line = read.lines.get(("questions_per_attempt",), 1)
    if per_attempt is not None and per_attempt > pool:
        problems.append(Problem(read.course_md, per_attempt_line, "error",
                                f"questions_per_attempt is {per_attempt} but the post-test ({quiz.path}) has only "
                                f"{pool} questions; add questions or lower questions_per_attempt"))
    hours = ce_hours((m.minutes for m in read.modules), quiz.minutes, settings.ce_hours)
    drawn = min(per_attempt or pool, pool)
    needed = math.ceil(QUESTIONS_PER_CE_HOUR * hours)
    if drawn < needed:
        where = (read.course_md, per_attempt_line) if per_attempt is not None else (quiz.path, 1)
        fix = "add questions or raise questions_per_attempt" if per_attempt is not None else "add questions"
        problems.append(Problem(*where, "warning",
                                f"the post-test draws {drawn} questions for {hours:g} CE hours; CE accreditors "
                                f"usually expect at least {QUESTIONS_PER_CE_HOUR} per hour ({needed} here): {fix}"))
    return problems


def _quizzes_without_course(quizzes_dir: Path, known: list[str]) -> list[Problem]:
    if not quizzes_dir.is_dir():
        return []
    return [
        Problem(str(quiz), 1, "error", f"quiz '{quiz.name}' has no course: courses/{quiz.stem}/ does not exist "
                                       f"(a quiz is named after its course folder){_did_you_mean(quiz.stem, known)}")
        for quiz in sorted(quizzes_dir.glob("*.md")) if quiz.stem not in known
    ]


def _prerequisite_cycles(reads: dict[str, CourseRead]) -> tuple[list[Problem], set[str]]:
    """Each prerequisite cycle once, at the course.md of its alphabetically first course."""
    graph = {slug: [p for p in read.settings.prerequisites if p in reads] if read.settings else []
             for slug, read in reads.items()}
    cycles: set[tuple[str, ...]] = set()
    state: dict[str, str] = {}
    path: list[str] = []

    def visit(slug: str) -> None:
        state[slug] = "on path"
        path.append(slug)
        for prerequisite in graph[slug]:
            if state.get(prerequisite) == "on path":
                cycle = path[path.index(prerequisite):]
                start = cycle.index(min(cycle))
                cycles.add(tuple(cycle[start:] + cycle[:start]))
            elif prerequisite not in state:
                visit(prerequisite)
        path.pop()
        state[slug] = "done"

    for slug in sorted(graph):
        if slug not in state:
            visit(slug)
    problems = []
    for cycle in sorted(cycles):
        read = reads[cycle[0]]
        next_slug = cycle[1] if len(cycle) > 1 else cycle[0]
        index = read.settings.prerequisites.index(next_slug)  # type: ignore[union-attr]
        problems.append(Problem(read.course_md, read.lines.get(("prerequisites", index), 1), "error",
                                f"prerequisites form a cycle: {' → '.join(cycle + (cycle[0],))}; "
                                "no one could ever start these courses, remove one of the prerequisites"))
    return problems, {slug for cycle in cycles for slug in cycle}


def _check_programs(path: Path, known: list[str]) -> tuple[dict[str, ProgramDoc], list[Problem]]:
    if not path.exists():
        return {}, []
    problems: list[Problem] = []
    text = read_text(path, problems)
    if text is None:
        return {}, problems
    programs, program_problems = parse_programs(text, str(path), known_courses=known)
    return programs, problems + program_problems


def _did_you_mean(word: str, options: Collection[str]) -> str:
    close = difflib.get_close_matches(word, list(options), n=1, cutoff=0.6)
    return f"; did you mean '{close[0]}'?" if close else ""
