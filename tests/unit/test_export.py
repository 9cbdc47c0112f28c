"""Writing courses back out as files keeps everything, weights included."""
import textwrap

from academy.content.export import quiz_text
from academy.content.model import _quiz_normal_form
from academy.content.parse import parse_quiz

WEIGHTED = textwrap.dedent("""\
    ---
    minutes: 5
    ---

    Id: weighted
    1.  Which findings call for caution?
        Select every one that applies.
    [*50%] Uncontrolled hypertension
    ... Yes.
    [*50%] A recent myocardial infarction
    [-100%] Mild seasonal allergies
    [ ] Controlled asthma
    Rationale: Both raise the cardiovascular risk of a blood-pressure rise.
    """)


def test_weighted_quiz_round_trip():
    quiz, problems = parse_quiz(WEIGHTED, "quiz.md")
    assert problems == []
    written = quiz_text(_quiz_normal_form(quiz))
    assert "[*50%] Uncontrolled hypertension" in written and "[-100%] Mild seasonal allergies" in written
    again, problems = parse_quiz(written, "quiz.md")
    assert problems == [] and _quiz_normal_form(again) == _quiz_normal_form(quiz)
