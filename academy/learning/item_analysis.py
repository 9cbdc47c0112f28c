"""Item analysis of a post-test from its submitted attempts (pure: no database, no Flask).

Per question: the number of responses, the facility index (mean score, the
proportion correct when scores are 0 or 1), the discrimination (corrected
point-biserial: the correlation of the item's score with the rest of the
test) and how often each choice was picked. For the test: KR-20 reliability
and the distribution of scores. docs/questions.md gives the formulas.

Attempts may draw different questions from the pool (questions_per_attempt),
so "the rest of the test" is each attempt's mean score over its *other* drawn
questions, and KR-20 is computed only when every attempt answered the same
questions. A figure is withheld, with the reason, until enough responses
back it: with a handful of clinicians one answer swings it, and a trainer
could read an individual's result from it.
"""
from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field, replace

DEFAULT_MIN_RESPONSES = 10
TOO_EASY = 0.95        # facility above this: nearly everyone gets it right
TOO_HARD = 0.2         # facility below this: nearly everyone gets it wrong
HISTOGRAM_BINS = 10    # 0–10 %, 10–20 %, …, 90–100 % (100 % falls in the last bin)
BANDS = tuple(f"{low}–{low + 100 // HISTOGRAM_BINS}%" for low in range(0, 100, 100 // HISTOGRAM_BINS))
CHOICE_TYPES = ("single", "true_false", "multiple")


@dataclass(frozen=True)
class ItemInfo:
    """A question of the pool as the analysis needs it; `choices` are (key, plain text) in pool order."""

    qid: str
    type: str
    label: str
    choices: tuple[tuple[str, str], ...] = ()
    correct: tuple[str, ...] = ()


@dataclass(frozen=True)
class AttemptScores:
    """One submitted attempt: the score (0 to 1) of every question it drew, and its responses."""

    scores: Mapping[str, float]
    answers: Mapping[str, object] = field(default_factory=dict)


@dataclass(frozen=True)
class ChoiceCount:
    key: str
    text: str
    correct: bool
    picked: int
    share: float  # of the question's responses


@dataclass(frozen=True)
class ItemStats:
    """One question's figures; None (with `withheld` or a note saying why) where there is none."""

    qid: str
    type: str
    label: str
    responses: int
    withheld: str = ""
    facility: float | None = None
    discrimination: float | None = None
    discrimination_note: str = ""
    choices: tuple[ChoiceCount, ...] = ()
    unanswered: int = 0
    flags: tuple[str, ...] = ()

    @property
    def shown(self) -> bool:
        return not self.withheld


@dataclass(frozen=True)
class ItemAnalysis:
    attempts: int
    min_responses: int
    items: tuple[ItemStats, ...]
    mean_percent: float | None = None
    histogram: tuple[int, ...] | None = None  # attempts per 10-point band of the score
    kr20: float | None = None
    withheld: str = ""       # why the test-level figures are not shown
    kr20_note: str = ""      # why KR-20 is not computed, when the other figures are shown


def analyse(items: Sequence[ItemInfo], attempts: Sequence[AttemptScores], *,
            min_responses: int = DEFAULT_MIN_RESPONSES) -> ItemAnalysis:
    """Every figure of the item analysis for one course version's submitted attempts."""
    if min_responses < 1:
        raise ValueError("min_responses must be at least 1")
    stats = tuple(_item_stats(item, attempts, min_responses) for item in items)
    if len(attempts) < min_responses:
        return ItemAnalysis(len(attempts), min_responses, stats,
                            withheld=_too_few(len(attempts), min_responses, "submitted attempts"))
    percents = [_percent(attempt) for attempt in attempts]
    kr20, note = _kr20(attempts)
    return ItemAnalysis(len(attempts), min_responses, stats, mean_percent=sum(percents) / len(percents),
                        histogram=histogram(percents), kr20=kr20, kr20_note=note)


def _too_few(count: int, minimum: int, what: str) -> str:
    return (f"{count} {what} so far; figures are shown from {minimum}, because with fewer each clinician's "
            "answer swings them (and could be told apart)")


def _item_stats(item: ItemInfo, attempts: Sequence[AttemptScores], minimum: int) -> ItemStats:
    answered = [attempt for attempt in attempts if item.qid in attempt.scores]
    base = ItemStats(item.qid, item.type, item.label, len(answered))
    if len(answered) < minimum:
        return replace(base, withheld=_too_few(len(answered), minimum, "responses"))
    scores = [float(attempt.scores[item.qid]) for attempt in answered]
    facility = sum(scores) / len(scores)
    discrimination, note = _discrimination(item.qid, answered)
    choices, unanswered = _choice_counts(item, answered)
    flags = tuple(flag for flag, applies in (("too easy", facility > TOO_EASY), ("too hard", facility < TOO_HARD),
                                             ("negative discrimination", (discrimination or 0) < 0)) if applies)
    return replace(base, facility=facility, discrimination=discrimination, discrimination_note=note,
                   choices=choices, unanswered=unanswered, flags=flags)


def _discrimination(qid: str, answered: Sequence[AttemptScores]) -> tuple[float | None, str]:
    """Pearson correlation of the item's score with the mean score of the attempt's other questions."""
    pairs = [(float(attempt.scores[qid]), _rest(attempt, qid)) for attempt in answered if len(attempt.scores) > 1]
    if len(pairs) < 2:
        return None, "not computed: the attempts drew no other question to compare with"
    item, rest = zip(*pairs)
    if _variance(item) == 0:
        return None, "not computed: every response scored the same on this question"
    if _variance(rest) == 0:
        return None, "not computed: every attempt scored the same on the other questions"
    return correlation(item, rest), ""


def _rest(attempt: AttemptScores, qid: str) -> float:
    others = [float(score) for other, score in attempt.scores.items() if other != qid]
    return sum(others) / len(others)


def _choice_counts(item: ItemInfo, answered: Sequence[AttemptScores]) -> tuple[tuple[ChoiceCount, ...], int]:
    """How many responses picked each choice (several per response in multiple response), and how many none."""
    if item.type not in CHOICE_TYPES:
        return (), sum(not _picked(attempt.answers.get(item.qid)) for attempt in answered)
    picks = [_picked(attempt.answers.get(item.qid)) for attempt in answered]
    counts = tuple(ChoiceCount(key, text, key in item.correct, sum(key in picked for picked in picks),
                               sum(key in picked for picked in picks) / len(answered))
                   for key, text in item.choices)
    return counts, sum(not picked for picked in picks)


def _picked(response: object) -> set[str]:
    if isinstance(response, str):
        return {response} if response.strip() else set()
    if isinstance(response, (list, tuple, set)):
        return {str(value) for value in response}
    return set()


def _percent(attempt: AttemptScores) -> float:
    """The attempt's score as stored (learning.grading.score_percent): mean question score × 100, 2 decimals."""
    scores = [float(score) for score in attempt.scores.values()]
    return round(100 * sum(scores) / len(scores), 2) if scores else 0.0


def histogram(percents: Sequence[float], bins: int = HISTOGRAM_BINS) -> tuple[int, ...]:
    """Counts of scores per equal band of 0–100 %; 100 % counts in the top band."""
    counts = [0] * bins
    for percent in percents:
        counts[min(bins - 1, max(0, int(percent * bins // 100)))] += 1
    return tuple(counts)


def _kr20(attempts: Sequence[AttemptScores]) -> tuple[float | None, str]:
    """KR-20 = k/(k−1) · (1 − Σ item variance / variance of the totals), over identical draws only."""
    drawn = {frozenset(attempt.scores) for attempt in attempts}
    if len(drawn) > 1:
        return None, ("not computed: the attempts drew different questions from the pool (questions_per_attempt "
                      "is smaller than the pool), and KR-20 needs every attempt to answer the same questions")
    qids = sorted(next(iter(drawn)))
    if len(qids) < 2:
        return None, "not computed: KR-20 needs at least two questions"
    totals = [sum(float(attempt.scores[qid]) for qid in qids) for attempt in attempts]
    total_variance = _variance(totals)
    if total_variance == 0:
        return None, "not computed: every attempt had the same total score"
    item_variance = sum(_variance([float(attempt.scores[qid]) for attempt in attempts]) for qid in qids)
    k = len(qids)
    return k / (k - 1) * (1 - item_variance / total_variance), ""


def _variance(values: Sequence[float]) -> float:
    """Population variance (divide by n), as in p·q for a 0/1 item, so KR-20's two variances agree."""
    mean = sum(values) / len(values)
    return sum((value - mean) ** 2 for value in values) / len(values)


def correlation(xs: Sequence[float], ys: Sequence[float]) -> float:
    """Pearson's r; with a 0/1 item it is the point-biserial correlation."""
    mean_x, mean_y = sum(xs) / len(xs), sum(ys) / len(ys)
    covariance = sum((x - mean_x) * (y - mean_y) for x, y in zip(xs, ys))
    spread = math.sqrt(sum((x - mean_x) ** 2 for x in xs) * sum((y - mean_y) ** 2 for y in ys))
    return covariance / spread
