"""Weighted multiple response: the `[*50%]` / `[-100%]` syntax, its checks, the stored key and its grading;
GIFT numeric ranges and tolerances graded through the same key."""
from __future__ import annotations

from pathlib import Path

import pytest

from academy.content.gift import gift_to_markdown
from academy.content.model import to_normal_form
from academy.content.parse import parse_quiz, read_course
from academy.content.sync import _question
from academy.learning.grading import Graded, grade

VALID = Path(__file__).resolve().parents[1] / "data" / "valid"
WEIGHTED = """Id: contra
1.  Which are contraindications?
[*50%] Aneurysmal vascular disease
... Yes.
[*50%] Intracerebral hemorrhage
[-100%] Treated hypothyroidism
[ ] Mild allergies
Rationale: The label lists both.
"""


def quiz_of(body: str):
    quiz, problems = parse_quiz(f"---\nminutes: 5\n---\n{body}", "quiz.md")
    assert quiz is not None, "\n".join(map(str, problems))
    return quiz


def problems_of(body: str):
    quiz, problems = parse_quiz(f"---\nminutes: 5\n---\n{body}", "quiz.md")
    assert quiz is None
    return problems


# --------------------------------------------------------------------------- syntax and checks


def test_weights_are_parsed_as_percentages() -> None:
    [question] = quiz_of(WEIGHTED).questions
    assert question.type == "multiple" and question.weighted
    assert [(c.key, c.correct, c.weight) for c in question.choices] == [
        ("a", True, 50.0), ("b", True, 50.0), ("c", False, -100.0), ("d", False, 0.0)]


def test_unweighted_questions_have_no_weights() -> None:
    [question] = quiz_of("Id: q\n1.  Q?\n[*] A\n[ ] B\nRationale: r\n").questions
    assert not question.weighted and [c.weight for c in question.choices] == [None, None]


@pytest.mark.parametrize(("choices", "line", "message"), [
    ("[*50%] A\n[*40%] B\n[ ] C", 5, "the weights of the correct choices of question 'w' add up to 90%; they must "
                                     "add up to 100% so that picking every correct choice earns full marks"),
    ("[*150%] A\n[ ] B", 6, "weight '[*150%]' is out of range: a weight is from -100% to 100%"),
    ("[*100%] A\n[-101%] B", 7, "weight '[-101%]' is out of range: a weight is from -100% to 100%"),
    ("[*0%] A\n[*100%] B", 6, "weight '[*0%]' is 0%; write '[ ]' for a choice that neither earns nor takes away "
                              "marks"),
    ("[50%] A\n[*50%] B", 6, "weight '[50%]' needs '*' for a choice that earns marks or '-' for one that takes "
                             "marks away: write '[*50%]' or '[-50%]'"),
    ("[*abc%] A\n[*100%] B", 6, "weight '[*abc%]' is not a number; write a percentage such as '[*50%]' (earns "
                                "marks) or '[-100%]' (takes marks away)"),
    ("[*] A\n[*50%] B", 6, "question 'w' gives its choices weights, so this correct choice needs one too: write "
                           "'[*N%]' (the weights of the correct choices add up to 100%)"),
    ("[-50%] A\n[ ] B", 5, "add up to 0%; they must add up to 100%"),
    ("[*50%]A\n[*50%] B", 6, "put a space or tab after '[*50%]'"),
    ("[*100%] A\nb)  B", 7, "this question already has multiple-response choices ('[ ]' / '[*]'); it cannot also "
                            "have single-choice choices"),
])
def test_weight_rules(choices: str, line: int, message: str) -> None:
    problems = problems_of(f"Id: w\n1.  Which?\n{choices}\nRationale: r\n")
    assert any(p.line == line and p.severity == "error" and message in p.message for p in problems), \
        "\n".join(map(str, problems))
    assert all(str(p).startswith(f"quiz.md:{p.line}: error: ") for p in problems)


def test_thirds_written_like_moodle_add_up_to_100() -> None:
    # 3 × 33.33333 = 99.99999: within the 0.01-point tolerance
    [question] = quiz_of("Id: t\n1.  Q?\n[*33.33333%] A\n[*33.33333%] B\n[*33.33333%] C\n[ ] D\n"
                         "Rationale: r\n").questions
    assert sum(c.weight for c in question.choices) == pytest.approx(99.99999)


# --------------------------------------------------------------------------- normal form and hash


def test_normal_form_holds_weights_only_when_present() -> None:
    [question] = quiz_of(WEIGHTED).questions
    assert question.choices[0].weight == 50.0
    read = read_course(VALID / "courses" / "sample-course", VALID / "quizzes" / "sample-course.md")
    form = to_normal_form(read.doc)
    assert all(set(choice) == {"text", "correct", "feedback"}
               for q in form["quiz"]["questions"] for choice in q["choices"])


def test_existing_content_hashes_do_not_change() -> None:
    # Pinned before weights existed: an unweighted course must keep its hash, or every course would
    # become a "changed" version at the next import. Update only for a deliberate fixture change.
    read = read_course(VALID / "courses" / "sample-course", VALID / "quizzes" / "sample-course.md")
    assert read.doc.content_hash == "725392834a590f1b8fa3978645a49051bdeff69360f9575f668b2b26c95bb36e"


def test_a_weight_changes_the_hash(tmp_path: Path) -> None:
    quiz = (VALID / "quizzes" / "sample-course.md").read_text(encoding="utf-8")
    weighted = quiz.replace("[*] Tables\n[*] Admonitions\n[ ] Videos",
                            "[*50%] Tables\n[*50%] Admonitions\n[ ] Videos")
    again = weighted.replace("[ ] Videos", "[-100%] Videos")
    hashes = set()
    for number, text in enumerate((quiz, weighted, again)):
        path = tmp_path / f"{number}.md"
        path.write_text(text, encoding="utf-8")
        hashes.add(read_course(VALID / "courses" / "sample-course", path).doc.content_hash)
    assert len(hashes) == 3


# --------------------------------------------------------------------------- stored key


def test_the_stored_key_carries_weights_as_fractions() -> None:
    [question] = quiz_of(WEIGHTED).questions
    key = _question(question, 1).answer_key
    assert key["correct"] == ["a", "b"]
    assert key["weights"] == {"a": 0.5, "b": 0.5, "c": -1.0, "d": 0.0}
    assert key["feedback"] == {"a": "<p>Yes.</p>"}


def test_an_unweighted_key_has_no_weights() -> None:
    [question] = quiz_of("Id: q\n1.  Q?\n[*] A\n[ ] B\nRationale: r\n").questions
    assert "weights" not in _question(question, 1).answer_key


# --------------------------------------------------------------------------- grading


KEY = {"correct": ["a", "b"], "weights": {"a": 0.5, "b": 0.5, "c": -1.0, "d": 0.0}}


@pytest.mark.parametrize(("picked", "expected"), [
    (["a", "b"], Graded(1.0, True)),           # 0.5 + 0.5
    (["a"], Graded(0.5, False)),               # 0.5
    (["a", "b", "d"], Graded(1.0, True)),      # a 0% choice costs nothing
    (["a", "c"], Graded(0.0, False)),          # 0.5 − 1.0 = −0.5, kept at 0
    (["a", "b", "c"], Graded(0.0, False)),     # 1.0 − 1.0
    (["d"], Graded(0.0, False)),
    ([], Graded(0.0, False)),
    (None, Graded(0.0, False)),
    ("a", Graded(0.0, False)),                 # a multiple-response answer is a list
    (["a", "zz"], Graded(0.5, False)),         # a key that is not a choice counts nothing
])
def test_weighted_score_is_the_sum_of_the_picked_weights(picked, expected) -> None:
    assert grade("multiple", KEY, picked) == expected


@pytest.mark.parametrize("partial_credit", [False, True])
def test_weights_apply_whatever_the_course_partial_credit(partial_credit: bool) -> None:
    assert grade("multiple", KEY, ["b"], partial_credit=partial_credit) == Graded(0.5, False)


def test_the_score_is_at_most_1() -> None:
    key = {"correct": ["a", "b"], "weights": {"a": 0.6, "b": 0.6}}  # not writable, but a key could say it
    assert grade("multiple", key, ["a", "b"]) == Graded(1.0, True)


def test_thirds_earn_full_marks() -> None:
    third = 0.3333333
    key = {"correct": ["a", "b", "c"], "weights": {"a": third, "b": third, "c": third, "d": 0.0}}
    assert grade("multiple", key, ["a", "b", "c"]) == Graded(1.0, True)  # 0.9999999
    assert grade("multiple", key, ["a", "b"]).score == pytest.approx(2 * third)


def test_a_gift_weighted_question_is_graded_by_its_weights() -> None:
    markdown, problems = gift_to_markdown("Which?{~%50%A ~%50%B ~%-100%C####r}", existing_ids=set(),
                                          id_prefix="g")
    [question] = quiz_of(markdown).questions
    key = _question(question, 1).answer_key
    assert grade("multiple", key, ["a"]) == Graded(0.5, False)
    assert grade("multiple", key, ["a", "b"]) == Graded(1.0, True)
    assert grade("multiple", key, ["a", "b", "c"]) == Graded(0.0, False)


@pytest.mark.parametrize(("gift", "right", "wrong"), [
    ("{#1..5####r}", ["1", "3", "5", "4.999"], ["0.999", "5.001", "six", ""]),      # range, inclusive
    ("{#3.14:0.01####r}", ["3.13", "3.14", "3.15"], ["3.12", "3.16"]),            # value and tolerance
    ("{#-2..-1####r}", ["-2", "-1.5", "-1"], ["0", "-2.5"]),                      # negative range
    ("{#3####r}", ["3", "3.0"], ["3.01"]),                                        # exact
])
def test_gift_numeric_answers_are_graded_by_their_range(gift: str, right: list[str], wrong: list[str]) -> None:
    markdown, problems = gift_to_markdown(f"Number?{gift}", existing_ids=set(), id_prefix="g")
    [question] = quiz_of(markdown).questions
    key = _question(question, 1).answer_key
    assert all(grade("numeric", key, answer).correct for answer in right)
    assert not any(grade("numeric", key, answer).correct for answer in wrong)
