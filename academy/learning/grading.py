"""Grading: a pure function per question type (no database, no Flask).

A question's key is the JSON stored in ``Question.answer_key`` at import:
``{"correct": [...]}`` for choice questions (plus ``{"weights": {key: fraction}}``
for weighted multiple response), ``{"accepted": [...]}`` for short answer and
``{"min": x, "max": y}`` for numeric. A response is what the clinician sent: a
choice key, a list of choice keys, or text.
"""
from __future__ import annotations

import math
import re
from dataclasses import dataclass
from typing import Callable

_SPACES = re.compile(r"\s+")
# Weights are written to 0.01 percentage points (three choices of 33.33333% make 99.99999%), so a
# sum that close to 1 is full marks; see _WEIGHT_SUM_TOLERANCE in academy.content.parse.
_FULL_MARKS = 1 - 1e-4


@dataclass(frozen=True)
class Graded:
    """The result for one question: its score from 0 to 1, and whether it counts as correct."""

    score: float
    correct: bool


def normalise_text(text: str) -> str:
    """Short answers compare case- and whitespace-insensitively."""
    return _SPACES.sub(" ", (text or "").strip()).casefold()


def parse_number(text: str) -> float | None:
    """A finite number typed by a person, or None (e.g. "", "abc", "inf")."""
    try:
        value = float((text or "").strip().replace(" ", ""))
    except ValueError:
        return None
    return value if math.isfinite(value) else None


def _single(key: dict, response, partial: bool) -> Graded:
    right = isinstance(response, str) and response in key["correct"]
    return Graded(1.0 if right else 0.0, right)


def _multiple(key: dict, response, partial: bool) -> Graded:
    picked = set(response) if isinstance(response, (list, tuple, set)) else set()
    if "weights" in key:
        # The author's weights are the scoring rule of the question, whatever the course's partial_credit.
        return _weighted(key["weights"], picked)
    correct = set(key["correct"])
    if picked == correct:
        return Graded(1.0, True)
    if not partial:
        return Graded(0.0, False)
    # Partial credit: right picks minus wrong picks, over the keyed choices, never below zero.
    score = max(0.0, (len(picked & correct) - len(picked - correct)) / len(correct))
    return Graded(score, False)


def _weighted(weights: dict[str, float], picked: set) -> Graded:
    """The sum of the weights of the picked choices, kept within 0 to 1."""
    score = min(1.0, max(0.0, sum(weights.get(choice, 0.0) for choice in picked)))
    if score >= _FULL_MARKS:
        return Graded(1.0, True)
    return Graded(score, False)


def _short(key: dict, response, partial: bool) -> Graded:
    answer = normalise_text(response) if isinstance(response, str) else ""
    right = bool(answer) and answer in {normalise_text(a) for a in key["accepted"]}
    return Graded(1.0 if right else 0.0, right)


def _numeric(key: dict, response, partial: bool) -> Graded:
    value = parse_number(response) if isinstance(response, str) else None
    # A tiny epsilon absorbs binary rounding (0.1 + 0.2) at the edges of a range.
    epsilon = 1e-9 * max(1.0, abs(key["min"]), abs(key["max"]))
    right = value is not None and key["min"] - epsilon <= value <= key["max"] + epsilon
    return Graded(1.0 if right else 0.0, right)


GRADERS: dict[str, Callable[[dict, object, bool], Graded]] = {
    "single": _single,
    "true_false": _single,
    "multiple": _multiple,
    "short": _short,
    "numeric": _numeric,
}


def grade(question_type: str, key: dict, response, *, partial_credit: bool = False) -> Graded:
    """Grade one response against its key."""
    return GRADERS[question_type](key, response, partial_credit)


def score_percent(results: list[Graded]) -> float:
    """The attempt's score as a percentage of the questions drawn, to two decimals."""
    if not results:
        return 0.0
    return round(100 * sum(r.score for r in results) / len(results), 2)
