"""Parsed course documents, problems, and the normal form behind the content hash.

Every document is a frozen dataclass: once a course is parsed and rendered it
is a value that can be compared, cached and imported, never patched in place.

The *normal form* (`to_normal_form`) is the course as data: parsed settings
after defaults, the Markdown source of every text, and the sha256 of every
image. It deliberately leaves out everything that is presentation of the
source (YAML key order and quoting, line endings, trailing spaces) and
everything derived from it (rendered HTML, CE hours, paths), so that
`content_hash` changes exactly when what a clinician sees or is graded on
changes. It also holds everything needed to write the files back out.
"""
from __future__ import annotations

import hashlib
import json
from dataclasses import asdict, dataclass, field
from typing import Any, Literal

Severity = Literal["error", "warning"]
QuestionType = Literal["single", "true_false", "multiple", "short", "numeric"]
ReviewPolicy = Literal["after_each_attempt", "after_passing", "after_last_attempt", "never"]

NORMAL_FORM_VERSION = 1


@dataclass(frozen=True, order=True)
class Problem:
    """One thing wrong (error) or doubtful (warning) in the content, at a file line.

    Line 1 is used for problems that concern a whole file (a missing key, a
    missing post-test) so every message has the same `path:line:` shape that
    editors and CI annotate.
    """

    path: str
    line: int
    severity: Severity
    message: str

    def __str__(self) -> str:
        return f"{self.path}:{self.line}: {self.severity}: {self.message}"


@dataclass(frozen=True)
class Accreditation:
    """One CE accreditation statement printed on certificates."""

    body: str
    statement: str
    credits: float
    credit_type: str | None = None
    provider_number: str | None = None
    course_number: str | None = None


@dataclass(frozen=True)
class CourseSettings:
    """The front matter of course.md with every default applied (see docs/authoring.md)."""

    title: str
    version: str
    summary: str
    audience: str
    objectives: tuple[str, ...]
    pass_mark: float = 80
    attempts_allowed: int | None = None
    attempt_wait_hours: float = 0
    time_limit_minutes: int | None = None
    questions_per_attempt: int | None = None
    shuffle: bool = True
    review: ReviewPolicy = "after_passing"
    partial_credit: bool = False
    validity_months: int | None = None
    recertification_window_days: int = 90
    major_requires_recertification: bool = False
    prerequisites: tuple[str, ...] = ()
    accreditation: tuple[Accreditation, ...] = ()
    ce_hours: float | None = None
    references: tuple[str, ...] = ()


@dataclass(frozen=True)
class ChoiceDoc:
    """A choice of a single-choice, true/false or multiple-response question.

    `key` is positional ("a", "b", …) whatever letters the author typed, so
    keys are always unique within a question.
    """

    key: str
    text_md: str
    text_html: str
    correct: bool
    feedback_md: str = ""
    feedback_html: str = ""
    # Percent as written (`[*50%]` is 50.0, `[-100%]` is -100.0, `[ ]` is 0.0) when the question is
    # weighted, else None. A weighted question scores the sum of the weights of the choices picked.
    weight: float | None = None


@dataclass(frozen=True)
class NumericKey:
    """The accepted answer of a numeric question, exactly as the author wrote it.

    One of: `value` alone (exact), `value` and `tolerance`, `value` and
    `tolerance_percent`, or `minimum` and `maximum`.
    """

    value: float | None = None
    tolerance: float | None = None
    tolerance_percent: float | None = None
    minimum: float | None = None
    maximum: float | None = None

    def bounds(self) -> tuple[float, float]:
        """The inclusive range of correct answers."""
        if self.value is None:
            return (self.minimum, self.maximum)  # type: ignore[return-value]
        if self.tolerance is not None:
            margin = self.tolerance
        elif self.tolerance_percent is not None:
            margin = abs(self.value) * self.tolerance_percent / 100
        else:
            margin = 0.0
        return (self.value - margin, self.value + margin)


@dataclass(frozen=True)
class QuestionDoc:
    """One question of a post-test pool. Feedback that was not written is ""."""

    id: str
    type: QuestionType
    line: int
    text_md: str
    text_html: str
    choices: tuple[ChoiceDoc, ...] = ()
    accepted: tuple[str, ...] = ()
    numeric: NumericKey | None = None
    general_feedback_md: str = ""
    general_feedback_html: str = ""
    correct_feedback_md: str = ""
    correct_feedback_html: str = ""
    incorrect_feedback_md: str = ""
    incorrect_feedback_html: str = ""
    rationale_md: str = ""
    rationale_html: str = ""
    reference_md: str = ""
    reference_html: str = ""

    @property
    def weighted(self) -> bool:
        """A multiple-response question whose choices carry weights (`[*50%]`, `[-100%]`)."""
        return any(choice.weight is not None for choice in self.choices)


@dataclass(frozen=True)
class QuizDoc:
    """A course's post-test: its front matter and its question pool in file order."""

    path: str
    title: str
    minutes: int
    questions: tuple[QuestionDoc, ...]


@dataclass(frozen=True)
class ModuleDoc:
    """One module file. `html` is the rendered body followed by its numbered References."""

    path: str
    number: int
    slug: str
    title: str
    minutes: int
    references_md: tuple[str, ...]
    body_md: str
    html: str


@dataclass(frozen=True)
class CourseDoc:
    """A whole course folder plus its post-test.

    `images` maps each image the Markdown uses (path relative to the course
    folder, e.g. "images/dot.png") to its bytes. `overview_html` is the
    course.md body followed by the course-level References, if any.
    """

    slug: str
    path: str
    settings: CourseSettings
    overview_md: str
    overview_html: str
    modules: tuple[ModuleDoc, ...]
    quiz: QuizDoc | None
    images: dict[str, bytes] = field(hash=False)
    content_hash: str
    ce_hours: float


@dataclass(frozen=True)
class ProgramDoc:
    """A bundle of courses from courses/programs.yml."""

    slug: str
    title: str
    summary: str
    courses: tuple[str, ...]


@dataclass(frozen=True)
class ContentSet:
    """Every course (by slug) and program (by slug) that passed its checks."""

    courses: dict[str, CourseDoc]
    programs: dict[str, ProgramDoc]


def normal_text(text: str) -> str:
    """Markdown source in the one spelling the hash and the renderer both see.

    Line endings become "\\n", trailing whitespace is dropped from every line
    (so Markdown's two-space hard line break does not exist in this format)
    and leading/trailing blank lines are removed.
    """
    lines = text.replace("\r\n", "\n").replace("\r", "\n").split("\n")
    return "\n".join(line.rstrip() for line in lines).strip("\n")


def to_normal_form(course: CourseDoc) -> dict[str, Any]:
    """The course as plain JSON-able data: what the content hash covers and an exporter writes back."""
    return {
        "format": NORMAL_FORM_VERSION,
        "slug": course.slug,
        "settings": _settings_normal_form(course.settings),
        "overview": normal_text(course.overview_md),
        "modules": [_module_normal_form(module) for module in course.modules],
        "quiz": None if course.quiz is None else _quiz_normal_form(course.quiz),
        "images": {path: hashlib.sha256(data).hexdigest() for path, data in sorted(course.images.items())},
    }


def content_hash(course: CourseDoc) -> str:
    """sha256 hex of the canonical JSON (sorted keys, no whitespace) of the normal form."""
    canonical = json.dumps(to_normal_form(course), sort_keys=True, separators=(",", ":"), ensure_ascii=False)
    return hashlib.sha256(canonical.encode("utf-8")).hexdigest()


def _settings_normal_form(settings: CourseSettings) -> dict[str, Any]:
    data = asdict(settings)
    data["objectives"] = list(settings.objectives)
    data["prerequisites"] = list(settings.prerequisites)
    data["references"] = [normal_text(ref) for ref in settings.references]
    data["accreditation"] = [asdict(entry) for entry in settings.accreditation]
    return data


def _module_normal_form(module: ModuleDoc) -> dict[str, Any]:
    return {
        "number": module.number,
        "slug": module.slug,
        "title": module.title,
        "minutes": module.minutes,
        "references": [normal_text(ref) for ref in module.references_md],
        "body": normal_text(module.body_md),
    }


def _quiz_normal_form(quiz: QuizDoc) -> dict[str, Any]:
    return {
        "title": quiz.title,
        "minutes": quiz.minutes,
        "questions": [_question_normal_form(question) for question in quiz.questions],
    }


def _question_normal_form(question: QuestionDoc) -> dict[str, Any]:
    return {
        "id": question.id,
        "type": question.type,
        "text": normal_text(question.text_md),
        "choices": [_choice_normal_form(choice) for choice in question.choices],
        "accepted": list(question.accepted),
        "numeric": None if question.numeric is None else asdict(question.numeric),
        "general_feedback": normal_text(question.general_feedback_md),
        "correct_feedback": normal_text(question.correct_feedback_md),
        "incorrect_feedback": normal_text(question.incorrect_feedback_md),
        "rationale": normal_text(question.rationale_md),
        "reference": normal_text(question.reference_md),
    }


def _choice_normal_form(choice: ChoiceDoc) -> dict[str, Any]:
    data: dict[str, Any] = {"text": normal_text(choice.text_md), "correct": choice.correct,
                            "feedback": normal_text(choice.feedback_md)}
    # Only weighted choices carry the key, so the hash of every unweighted course stays what it was.
    if choice.weight is not None:
        data["weight"] = choice.weight
    return data
