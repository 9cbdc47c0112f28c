"""Load the item analysis of a course version from its submitted attempts (the database side of item_analysis)."""
from __future__ import annotations

import html
import re

from flask import current_app

from academy.extensions import db
from academy.learning.errors import NotFound
from academy.learning.item_analysis import DEFAULT_MIN_RESPONSES, AttemptScores, ItemAnalysis, ItemInfo, analyse
from academy.models import Attempt, Course, CourseVersion, Question

_TAG_RE = re.compile(r"<[^>]+>")
LABEL_LENGTH = 120
MIN_RESPONSES_KEY = "ACADEMY_ITEM_ANALYSIS_MIN_RESPONSES"


def load_item_analysis(version_id: int, *, min_responses: int | None = None) -> ItemAnalysis:
    """The item analysis of one course version, from its attempts with status 'submitted'.

    `min_responses` defaults to the configured ACADEMY_ITEM_ANALYSIS_MIN_RESPONSES, else 10.
    """
    if min_responses is None:
        min_responses = int(current_app.config.get(MIN_RESPONSES_KEY) or DEFAULT_MIN_RESPONSES)
    questions = db.session.scalars(db.select(Question).where(Question.version_id == version_id)
                                   .order_by(Question.position)).all()
    rows = db.session.execute(db.select(Attempt.results, Attempt.answers)
                              .where(Attempt.version_id == version_id, Attempt.status == "submitted")
                              .order_by(Attempt.id)).all()
    attempts = [AttemptScores({qid: float(result["score"]) for qid, result in (results or {}).items()},
                              answers or {}) for results, answers in rows]
    return analyse([_item(question) for question in questions], attempts, min_responses=min_responses)


def course_item_analysis(slug: str, *, min_responses: int | None = None) -> tuple[CourseVersion, ItemAnalysis]:
    """The item analysis of a course's current version (retired courses too); NotFound if it has none."""
    course = db.session.scalar(db.select(Course).where(Course.slug == slug))
    if course is None or course.current_version is None:
        raise NotFound()
    return course.current_version, load_item_analysis(course.current_version_id, min_responses=min_responses)


def _item(question: Question) -> ItemInfo:
    return ItemInfo(qid=question.qid, type=question.type, label=_plain_text(question.prompt_html, LABEL_LENGTH),
                    choices=tuple((choice["key"], _plain_text(choice["html"], LABEL_LENGTH))
                                  for choice in question.choices),
                    correct=tuple(question.answer_key.get("correct", ())))


def _plain_text(stored_html: str, length: int) -> str:
    """The words of sanitised stored HTML, for table cells and CSV (shortened to `length` characters)."""
    text = " ".join(html.unescape(_TAG_RE.sub(" ", stored_html)).split())
    return text if len(text) <= length else text[:length - 1].rstrip() + "…"
