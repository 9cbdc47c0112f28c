"""Each question type's grading, checked against hand-worked answers."""
import pytest

from academy.learning.grading import Graded, grade, normalise_text, parse_number, score_percent


@pytest.mark.parametrize("response,expected", [("b", True), ("a", False), ("", False), (None, False),
                                               (["b"], False)])
def test_single_choice(response, expected):
    assert grade("single", {"correct": ["b"]}, response).correct is expected


def test_true_false_grades_like_single_choice():
    assert grade("true_false", {"correct": ["a"]}, "a") == Graded(1.0, True)
    assert grade("true_false", {"correct": ["a"]}, "b") == Graded(0.0, False)


class TestMultipleResponse:
    key = {"correct": ["a", "c", "d"]}

    def test_all_or_nothing_by_default(self):
        assert grade("multiple", self.key, ["d", "a", "c"]) == Graded(1.0, True)
        assert grade("multiple", self.key, ["a", "c"]) == Graded(0.0, False)
        assert grade("multiple", self.key, ["a", "b", "c", "d"]) == Graded(0.0, False)
        assert grade("multiple", self.key, "a") == Graded(0.0, False)

    def test_partial_credit(self):
        assert grade("multiple", self.key, ["a", "c"], partial_credit=True).score == pytest.approx(2 / 3)
        assert grade("multiple", self.key, ["a", "b"], partial_credit=True).score == 0.0
        assert grade("multiple", self.key, ["a", "b", "c"], partial_credit=True).score == pytest.approx(1 / 3)
        assert grade("multiple", self.key, ["b", "e"], partial_credit=True).score == 0.0
        assert grade("multiple", self.key, ["a", "c", "d"], partial_credit=True) == Graded(1.0, True)


@pytest.mark.parametrize("response,expected", [
    ("988", True), ("  988 ", True), ("Santa   Claus", True), ("santa claus", True),
    ("SANTA", True), ("Santa Clause", False), ("", False), (None, False)])
def test_short_answer(response, expected):
    assert grade("short", {"accepted": ["988", "Santa Claus", "Santa"]}, response).correct is expected


@pytest.mark.parametrize("response,expected", [
    ("40", True), ("39.5", True), ("40.5", True), ("40.51", False), ("39.49", False),
    (" 40 ", True), ("4e1", True), ("forty", False), ("", False), ("nan", False), ("inf", False)])
def test_numeric_with_tolerance(response, expected):
    assert grade("numeric", {"min": 39.5, "max": 40.5}, response).correct is expected


def test_numeric_range_edges_absorb_float_rounding():
    key = {"min": 0.3, "max": 0.3}
    assert grade("numeric", key, str(0.1 + 0.2)).correct


def test_helpers():
    assert normalise_text("  A\tB  c ") == "a b c"
    assert parse_number("1e3") == 1000.0 and parse_number("1,5") is None
    assert score_percent([Graded(1, True), Graded(0, False), Graded(0.5, False)]) == 50.0
    assert score_percent([]) == 0.0
