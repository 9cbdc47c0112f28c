"""Item analysis against figures worked out by hand on small fixed data sets (the working is in the comments)."""
from __future__ import annotations

import math

import pytest

from academy.learning.item_analysis import (
    AttemptScores, ItemInfo, analyse, correlation, histogram,
)

ITEMS = [
    ItemInfo("q1", "single", "Which drug?", choices=(("a", "Lorazepam"), ("b", "Ketamine"), ("c", "Placebo")),
             correct=("b",)),
    ItemInfo("q2", "multiple", "Which findings?", choices=(("a", "One"), ("b", "Two"), ("c", "Three")),
             correct=("a", "b")),
    ItemInfo("q3", "short", "Name it."),
]

# Five attempts that all drew q1, q2 and q3 (q2 is weighted: 0.5 is a half-right answer).
#
#          q1   q2   q3   total  percent
#   A1      1    1    1    3      100
#   A2      1   .5    0    1.5     50
#   A3      0    1    1    2       66.67
#   A4      1    0    0    1       33.33
#   A5      0    0    0    0        0
ATTEMPTS = [
    AttemptScores({"q1": 1, "q2": 1, "q3": 1}, {"q1": "b", "q2": ["a", "b"], "q3": "ketamine"}),
    AttemptScores({"q1": 1, "q2": 0.5, "q3": 0}, {"q1": "b", "q2": ["a"], "q3": "esketamine"}),
    AttemptScores({"q1": 0, "q2": 1, "q3": 1}, {"q1": "a", "q2": ["a", "b"], "q3": "ketamine"}),
    AttemptScores({"q1": 1, "q2": 0, "q3": 0}, {"q1": "b", "q2": ["c"], "q3": "other"}),
    AttemptScores({"q1": 0, "q2": 0, "q3": 0}, {"q2": [], "q3": ""}),
]


@pytest.fixture
def result():
    return analyse(ITEMS, ATTEMPTS, min_responses=5)


def by_qid(analysis):
    return {item.qid: item for item in analysis.items}


def test_responses_and_facility(result) -> None:
    items = by_qid(result)
    assert [items[q].responses for q in ("q1", "q2", "q3")] == [5, 5, 5]
    assert items["q1"].facility == pytest.approx(3 / 5)      # 1+1+0+1+0 = 3 of 5
    assert items["q2"].facility == pytest.approx(2.5 / 5)    # 1+.5+1+0+0 = 2.5: the mean score
    assert items["q3"].facility == pytest.approx(2 / 5)


def test_discrimination_is_the_corrected_point_biserial(result) -> None:
    items = by_qid(result)
    # q1: x = 1,1,0,1,0 (mean .6); rest = mean of q2 and q3 = 1, .25, 1, 0, 0 (mean .45)
    #     dx = .4,.4,-.6,.4,-.6   dy = .55,-.2,.55,-.45,-.45
    #     Sxy = .22 - .08 - .33 - .18 + .27 = -.10;  Sxx = 1.2;  Syy = .3025+.04+.3025+.2025+.2025 = 1.05
    assert items["q1"].discrimination == pytest.approx(-0.10 / math.sqrt(1.2 * 1.05))   # ≈ -0.0891
    # q2: x = 1,.5,1,0,0 (mean .5); rest = mean of q1 and q3 = 1, .5, .5, .5, 0 (mean .5)
    #     dx = .5,0,.5,-.5,-.5   dy = .5,0,0,0,-.5   Sxy = .25 + .25 = .5;  Sxx = 1.0;  Syy = .5
    assert items["q2"].discrimination == pytest.approx(0.5 / math.sqrt(1.0 * 0.5))     # = 1/√2 ≈ 0.7071
    # q3: x = 1,0,1,0,0 (mean .4); rest = mean of q1 and q2 = 1, .75, .5, .5, 0 (mean .55)
    #     dx = .6,-.4,.6,-.4,-.4   dy = .45,.2,-.05,-.05,-.55
    #     Sxy = .27 - .08 - .03 + .02 + .22 = .40;  Sxx = 1.2;  Syy = .2025+.04+.0025+.0025+.3025 = .55
    assert items["q3"].discrimination == pytest.approx(0.40 / math.sqrt(1.2 * 0.55))    # ≈ 0.4924


def test_choice_counts(result) -> None:
    items = by_qid(result)
    # q1 answers: b, b, a, b, (none)
    assert [(c.key, c.correct, c.picked, c.share) for c in items["q1"].choices] == [
        ("a", False, 1, 0.2), ("b", True, 3, 0.6), ("c", False, 0, 0.0)]
    assert items["q1"].unanswered == 1
    # q2 answers: [a,b], [a], [a,b], [c], []: a 3 times, b twice, c once; the empty list is no answer
    assert [(c.key, c.picked) for c in items["q2"].choices] == [("a", 3), ("b", 2), ("c", 1)]
    assert items["q2"].unanswered == 1
    # q3 is short answer: no choices, one empty answer
    assert (items["q3"].choices, items["q3"].unanswered) == ((), 1)


def test_flags(result) -> None:
    items = by_qid(result)
    assert items["q1"].flags == ("negative discrimination",)
    assert items["q2"].flags == () and items["q3"].flags == ()


def test_kr20_when_every_attempt_answered_the_same_questions(result) -> None:
    # item variances (population): q1 .6 × .4 = .24; q2 deviations .5,0,.5,-.5,-.5 → 1.0/5 = .2; q3 .4 × .6 = .24
    # Σ = .68.  Totals 3, 1.5, 2, 1, 0 (mean 1.5): deviations 1.5,0,.5,-.5,-1.5 → 5.0/5 = 1.0
    # KR-20 = 3/2 × (1 − .68/1.0) = 1.5 × .32 = .48
    assert result.kr20 == pytest.approx(0.48)
    assert result.kr20_note == ""


def test_score_distribution_and_mean(result) -> None:
    # 100 → 90–100; 50 → 50–60; 66.67 → 60–70; 33.33 → 30–40; 0 → 0–10
    assert result.histogram == (1, 0, 0, 1, 0, 1, 1, 0, 0, 1)
    assert result.mean_percent == pytest.approx((100 + 50 + 66.67 + 33.33 + 0) / 5)  # 50.0
    assert (result.attempts, result.withheld) == (5, "")


# --------------------------------------------------------------------------- random draws

# Four attempts that drew two of the three questions each:
#          q1   q2   q3   percent
#   B1      1    1    -    100
#   B2      0    -    1     50
#   B3      -    0    0      0
#   B4      1    -    0     50
DRAWS = [
    AttemptScores({"q1": 1, "q2": 1}), AttemptScores({"q1": 0, "q3": 1}),
    AttemptScores({"q2": 0, "q3": 0}), AttemptScores({"q1": 1, "q3": 0}),
]


def test_random_draws_use_each_attempts_other_questions() -> None:
    items = by_qid(analyse(ITEMS, DRAWS, min_responses=3))
    # q1 was drawn by B1, B2, B4: x = 1, 0, 1; the rest of each attempt is its one other question: 1, 1, 0
    #   mean x = mean rest = 2/3;  dx = 1/3,-2/3,1/3;  dy = 1/3,1/3,-2/3
    #   Sxy = 1/9 - 2/9 - 2/9 = -1/3;  Sxx = Syy = 6/9  →  r = (-1/3) / (2/3) = -0.5
    assert items["q1"].responses == 3
    assert items["q1"].facility == pytest.approx(2 / 3)
    assert items["q1"].discrimination == pytest.approx(-0.5)
    # q3 was drawn by B2, B3, B4: x = 1, 0, 0; rest = 0, 0, 1
    #   mean x = 1/3, mean rest = 1/3; dx = 2/3,-1/3,-1/3; dy = -1/3,-1/3,2/3
    #   Sxy = -2/9 + 1/9 - 2/9 = -1/3;  Sxx = Syy = 6/9  →  r = -0.5
    assert items["q3"].discrimination == pytest.approx(-0.5)


def test_random_draws_leave_kr20_out_and_say_why() -> None:
    analysis = analyse(ITEMS, DRAWS, min_responses=3)
    assert analysis.kr20 is None
    assert "drew different questions from the pool" in analysis.kr20_note
    assert analysis.histogram == (1, 0, 0, 0, 0, 2, 0, 0, 0, 1)  # 100, 50, 0, 50


# --------------------------------------------------------------------------- minimum responses


def test_nothing_is_shown_below_the_minimum_and_the_reason_is_given() -> None:
    analysis = analyse(ITEMS, ATTEMPTS, min_responses=6)
    assert analysis.histogram is None and analysis.kr20 is None and analysis.mean_percent is None
    assert analysis.withheld.startswith("5 submitted attempts so far; figures are shown from 6")
    for item in analysis.items:
        assert not item.shown and item.responses == 5
        assert (item.facility, item.discrimination, item.choices, item.flags) == (None, None, (), ())
        assert item.withheld.startswith("5 responses so far; figures are shown from 6")


def test_the_minimum_counts_per_question() -> None:
    items = by_qid(analyse(ITEMS, DRAWS, min_responses=3))
    assert items["q2"].responses == 2 and not items["q2"].shown   # drawn by B1 and B3 only
    assert items["q1"].shown and items["q3"].shown


def test_the_default_minimum_is_ten() -> None:
    analysis = analyse(ITEMS, ATTEMPTS)
    assert analysis.min_responses == 10 and analysis.withheld


def test_the_minimum_must_be_positive() -> None:
    with pytest.raises(ValueError):
        analyse(ITEMS, ATTEMPTS, min_responses=0)


# --------------------------------------------------------------------------- thresholds and edge cases


def one_item(scores: list[float]):
    """A question q1 beside a second question whose score varies, so the discrimination exists."""
    attempts = [AttemptScores({"q1": score, "q3": index % 2}) for index, score in enumerate(scores)]
    return by_qid(analyse(ITEMS, attempts, min_responses=len(scores)))["q1"]


def test_too_easy_is_above_095() -> None:
    assert "too easy" in one_item([1] * 20).flags                      # 1.0
    assert "too easy" in one_item([1] * 39 + [0]).flags                # 0.975
    assert "too easy" not in one_item([1] * 19 + [0]).flags            # exactly 0.95 is not above


def test_too_hard_is_below_02() -> None:
    assert "too hard" in one_item([0] * 9 + [1]).flags                 # 0.1
    assert "too hard" not in one_item([0] * 4 + [1]).flags             # exactly 0.2 is not below


def test_discrimination_not_computed_when_everyone_scored_the_same() -> None:
    item = one_item([1] * 10)
    assert item.discrimination is None
    assert item.discrimination_note == "not computed: every response scored the same on this question"
    assert "negative discrimination" not in item.flags


def test_kr20_not_computed_without_spread_or_with_one_question() -> None:
    same = [AttemptScores({"q1": 1, "q2": 1})] * 3
    assert analyse(ITEMS, same, min_responses=3).kr20_note == "not computed: every attempt had the same total score"
    single = [AttemptScores({"q1": score}) for score in (1, 0, 1)]
    analysis = analyse(ITEMS, single, min_responses=3)
    assert analysis.kr20_note == "not computed: KR-20 needs at least two questions"
    assert by_qid(analysis)["q1"].discrimination_note.startswith("not computed: the attempts drew no other")


def test_histogram_band_edges() -> None:
    assert histogram([0, 9.99, 10, 55, 89.99, 90, 99.99, 100]) == (2, 1, 0, 0, 0, 1, 0, 0, 1, 3)


def test_correlation_of_a_perfect_line() -> None:
    assert correlation([1, 2, 3], [2, 4, 6]) == pytest.approx(1.0)
    assert correlation([1, 2, 3], [3, 2, 1]) == pytest.approx(-1.0)
