"""GIFT ↔ Academy Markdown: every supported type, skipped types, malformed files, escaping, round trips."""
from __future__ import annotations

from dataclasses import replace
from pathlib import Path

import pytest

from academy.content.gift import PLACEHOLDER_RATIONALE, gift_to_markdown, markdown_to_gift
from academy.content.model import NumericKey
from academy.content.parse import parse_quiz

ROOT = Path(__file__).resolve().parents[2]
REPRESENTATIVE = ROOT / "tests" / "data" / "gift" / "representative.gift"
SEVERAL_ERRORS = ROOT / "tests" / "data" / "gift" / "several-errors.gift"
POOLS = sorted(ROOT.glob("quizzes/*.md")) + sorted(ROOT.glob("tests/data/valid/quizzes/*.md"))


def line_of(text: str, fragment: str) -> int:
    """The file line on which `fragment` first occurs (keeps the tests right when the fixture grows)."""
    return text[:text.index(fragment)].count("\n") + 1


def convert(text: str, **kwargs):
    markdown, problems = gift_to_markdown(text, existing_ids=kwargs.pop("existing_ids", set()),
                                          id_prefix=kwargs.pop("id_prefix", "gift"), **kwargs)
    return markdown, problems


def pool(markdown: str):
    """The questions Academy's own parser reads from imported Markdown (it must parse without errors)."""
    quiz, problems = parse_quiz(f"---\nminutes: 5\n---\n{markdown}", "imported.md")
    assert quiz is not None, "\n".join(map(str, problems))
    return {question.id: question for question in quiz.questions}


def same_questions(first, second) -> bool:
    return [replace(q, line=0) for q in first] == [replace(q, line=0) for q in second]


# --------------------------------------------------------------------------- a representative file


@pytest.fixture(scope="module")
def representative():
    text = REPRESENTATIVE.read_text(encoding="utf-8")
    markdown, problems = convert(text, existing_ids={"rems"}, path="representative.gift")
    return text, markdown, problems


def test_every_supported_type_is_imported(representative) -> None:
    _, markdown, _ = representative
    questions = pool(markdown)
    assert [q.type for q in questions.values()] == [
        "single", "multiple", "true_false", "true_false", "short", "numeric", "numeric", "numeric", "single",
        "single", "single", "single"]


def test_single_choice_with_feedback_and_rationale(representative) -> None:
    q = pool(representative[1])["gift-grade-of-evidence"]
    assert [(c.text_md, c.correct, c.feedback_md) for c in q.choices] == [
        ("Complex regional pain syndrome", True, "Right: CRPS had grade B evidence."),
        ("Fibromyalgia", False, "No: grade D."), ("Phantom limb pain", False, "")]
    assert q.rationale_md == "The 2018 guidelines found grade B evidence only for CRPS."


def test_multiple_response_keeps_its_weights(representative) -> None:
    q = pool(representative[1])["gift-contraindications"]
    assert q.text_md == "Which findings are **contraindications** to esketamine?"  # [markdown] kept as written
    assert [(c.weight, c.correct) for c in q.choices] == [(50, True), (50, True), (-100, False), (0, False)]
    assert q.choices[2].feedback_md == "No: not a contraindication."


def test_true_false_in_both_spellings(representative) -> None:
    questions = pool(representative[1])
    false = questions["gift-esketamine-is-approved-for-adolescents"]
    # {FALSE#wrong-answer feedback#right-answer feedback}: the first goes to the wrong choice (True)
    assert [(c.text_md, c.correct, c.feedback_md) for c in false.choices] == [
        ("True", False, "It is approved for adults only."), ("False", True, "Right, adults only.")]
    assert [c.correct for c in questions["gift-observation"].choices] == [True, False]


def test_short_answer_with_catch_all_feedback(representative) -> None:
    q = pool(representative[1])["gift-rems"]  # the name 'REMS' is no Id, and 'rems' was taken anyway
    assert q.accepted == ("REMS", "SPRAVATO REMS")
    assert (q.correct_feedback_md, q.incorrect_feedback_md) == ("Correct.", "Review module 2.")


def test_numeric_tolerance_exact_and_range(representative) -> None:
    questions = pool(representative[1])
    dose = questions["gift-dose"]
    assert dose.numeric == NumericKey(value=40, tolerance=0.5)
    assert (dose.correct_feedback_md, dose.incorrect_feedback_md) == ("Correct: 80 × 0.5 = 40.",
                                                                       "Multiply the weight by the dose.")
    assert questions["gift-devices"].numeric == NumericKey(value=3)
    assert questions["gift-minutes"].numeric == NumericKey(minimum=40, maximum=60)


def test_escaped_control_characters_are_literal(representative) -> None:
    q = pool(representative[1])["gift-escapes"]
    # [plain]: Markdown characters are escaped so the text shows exactly as typed
    assert q.text_md == r"In GIFT, write { } ~ = \# and : with a backslash; a\*b is not emphasis."
    assert [c.text_md for c in q.choices] == ["~ and =", "{ only"]
    assert q.rationale_md == "The control characters ~ = \\# { } : are escaped.\n\nA new line is written \\\\n."
    assert "<p>A new line is written \\n.</p>" in q.rationale_html


def test_html_is_converted_to_markdown(representative) -> None:
    q = pool(representative[1])["gift-html"]
    assert q.text_md == "Which drug is an **NMDA** antagonist?"
    assert q.choices[0].text_md == "*Ketamine*"
    assert q.rationale_md == "Ketamine blocks NMDA receptors.\n\nSee [the reference](https://example.org/ref)."


def test_missing_word_format_gets_a_blank(representative) -> None:
    q = pool(representative[1])["gift-ketamine-is-used-in-kap"]
    assert q.text_md == r"Ketamine is \_\_\_\_\_ used in KAP."
    assert "Ketamine is _____ used in KAP." in q.text_html


def test_category_is_kept_as_a_comment(representative) -> None:
    assert representative[1].startswith("% GIFT category: $course$/top/Ketamine screening\n")


def test_questions_without_general_feedback_get_a_placeholder_and_a_warning(representative) -> None:
    text, markdown, problems = representative
    questions = pool(markdown)
    assert questions["gift-no-rationale"].rationale_md == PLACEHOLDER_RATIONALE
    warned = {p.line for p in problems if "no general feedback" in p.message}
    assert warned == {line_of(text, "Ketamine is {"), line_of(text, "::No rationale::")}


def test_unsupported_questions_are_skipped_with_a_warning_at_their_line(representative) -> None:
    text, markdown, problems = representative
    skipped = {(p.line, p.message.split(" ")[0]) for p in problems if p.message.endswith("; skipped")}
    assert skipped == {(line_of(text, "::Essay::"), "essay"), (line_of(text, "::Matching::"), "matching"),
                       (line_of(text, "This line has no answer"), "a")}
    assert all(p.severity == "warning" for p in problems)
    assert "Essay" not in markdown and "Describe your consent" not in markdown


def test_several_numeric_answers_are_skipped() -> None:
    markdown, problems = convert("::Q::Pi?{#=3.14:0.01 =3.1416:0}\n\n::R::One?{#1####r}")
    assert "Pi?" not in markdown and "gift-r" in markdown
    assert [(p.line, p.severity) for p in problems] == [(1, "warning")]
    assert "one numeric value or range" in problems[0].message


# --------------------------------------------------------------------------- ids


def test_ids_are_stable_unique_and_prefixed() -> None:
    text = "::Dose check::Q one?{=a ~b####r}\n\nQ two?{=a ~b####r}\n\n::Dose check::Q three?{=a ~b####r}"
    first, _ = convert(text, existing_ids={"kap-dose-check"}, id_prefix="kap")
    again, _ = convert(text, existing_ids={"kap-dose-check"}, id_prefix="kap")
    assert first == again
    assert list(pool(first)) == ["kap-dose-check-2", "kap-q-two", "kap-dose-check-3"]


def test_a_name_that_is_an_id_is_kept_unless_taken() -> None:
    markdown, problems = convert("::dose-check::Q one?{=a ~b####r}\n\n::dose-check::Q two?{=a ~b####r}")
    assert list(pool(markdown)) == ["dose-check", "gift-dose-check"]
    assert [(p.line, p.severity) for p in problems] == [(3, "warning")]
    assert "already an Id" in problems[0].message


def test_the_prefix_must_be_a_slug() -> None:
    with pytest.raises(ValueError):
        convert("Q?{=a ~b}", id_prefix="Not a slug")


def test_numbering_starts_where_asked() -> None:
    markdown, _ = convert("Q?{=a ~b####r}", first_number=8)
    assert "\n8.  Q?\n" in markdown


# --------------------------------------------------------------------------- malformed files


@pytest.mark.parametrize(("text", "line", "fragment"), [
    ("Fine?{=a ~b}\n\nQ1 {=A ~B\n  ~C", 3, "'{' is never closed"),
    ("::Q1 text{=A ~B}", 1, "name after '::' is never closed"),
    ("Q1 } text {=A ~B}", 1, "'}' without an opening '{'"),
    ("Q1 {=A ~B}\nand {=C ~D}", 2, "one answer in braces"),
    # weights: Academy's own rules (docs/authoring.md), checked on the Markdown and reported at the question
    ("Fine?{=a ~b}\n\nQ{\n~%50%A\n~%40%B\n~C}", 3, "add up to 90%; they must add up to 100%"),
    ("Q{\n~%100%A\n~%-150%B}", 1, "weight '[-150%]' is out of range: a weight is from -100% to 100%"),
    ("Q{~%abc%A ~%100%B}", 1, "a weight is written '%50%'"),
    ("Q{=%50%A ~B}", 1, "'=' marks the right answer and takes no weight"),
    ("Q{#abc:1}", 1, "'abc' is not a number"),
    ("Q{#5..1}", 1, "the minimum 5 is greater than the maximum 1"),
    ("Q{#5:-1}", 1, "the tolerance -1 is negative"),
    ("Q{#=1 ~x#fb}", 1, "write '~#feedback'"),
    ("Q{~A}", 1, "needs at least two answers"),
    ("Q{A ~B =C}", 1, "'A' has no '=' or '~' in front of it; start each answer with '='"),
    ("Q{true}", 1, "T, TRUE, F or FALSE (in capitals)"),
    ("Q{=A ~}", 1, "this answer has no text"),
    ("{=A ~B}", 1, "the question has no text"),
    ("Q{=A\n~A}", 1, "this choice repeats the choice on line 1"),  # Academy's own rule, at the GIFT line
    ("// only a comment\n", 1, "the file has no question that Academy can import"),
    ("Q{=a =%50%b}", 1, "the file has no question"),  # its only question was skipped
])
def test_malformed_files_fail_with_the_line(text: str, line: int, fragment: str) -> None:
    markdown, problems = convert(text)
    assert markdown == ""
    errors = [p for p in problems if p.severity == "error"]
    assert any(p.line == line and fragment in p.message for p in errors), "\n".join(map(str, problems))


def test_every_error_of_a_file_is_reported_at_once() -> None:
    text = SEVERAL_ERRORS.read_text(encoding="utf-8")
    markdown, problems = convert(text, path="several-errors.gift")
    assert markdown == ""
    assert [(p.line, p.severity) for p in problems if p.severity == "error"] == [
        (line_of(text, "::Unclosed::"), "error"), (line_of(text, "::Weights::"), "error"),
        (line_of(text, "{#ten}"), "error")]
    assert all(str(p).startswith("several-errors.gift:") for p in problems)


def test_a_reserved_character_is_refused() -> None:
    markdown, problems = convert("Fine?{=a ~b}\n\nQ\ue003?{=a ~b}")
    assert markdown == "" and (problems[0].line, problems[0].severity) == (3, "error")


# --------------------------------------------------------------------------- export and escaping


def test_export_is_moodle_gift() -> None:
    quiz, _ = parse_quiz((ROOT / "tests/data/valid/quizzes/sample-course.md").read_text(encoding="utf-8"), "q.md")
    gift = markdown_to_gift(quiz)
    assert ("::sample-single::[markdown]What do you check before calculating a weight-based dose?\\n"
            "Choose the best answer.{\n\t~The time of day#Not relevant to the dose.\n"
            "\t=The patient's weight#Correct.\n\t~The room temperature\n"
            "\t####Doses are given per kilogram, so the weight must be known.\n}") in gift
    assert "// academy correct-feedback: Right\\: weight first.\n" in gift
    assert "// academy reference: Roe R. Tables in clinical writing. J Tests. 2019;2\\:3-4.\n" in gift
    assert "::sample-true-false::[markdown]A footnote can explain a dose.{\n\tTRUE\n" in gift
    # all-or-nothing multiple response: weights for Moodle, and a comment that restores it here
    assert "// academy weights: none\n::sample-multiple::" in gift
    assert "\t~%50%Tables\n\t~%50%Admonitions\n\t~%-100%Videos#Videos are not supported.\n" in gift
    assert "\t=World Health Organization\n\t=World Health Organisation\n" in gift
    assert "{\n\t#\n\t=0.5:0.05\n" in gift and "{\n\t#\n\t=5..10\n" in gift
    assert "// academy tolerance: 10%\n::sample-numeric-percent::" in gift and "\t=7:0.7\n" in gift


def test_control_characters_and_new_lines_are_escaped_and_read_back() -> None:
    text = "Braces {x}, a ~tilde~, a = sign, a #hash, a colon: and a back\\slash\\n.\n\nSecond paragraph."
    markdown = (f"Id: tricky\n1.  {text.replace(chr(10) * 2, chr(10) * 2 + '    ')}\n"
                "*a) x = 1 # not a comment\nb)  {y}\nRationale: Because: 1 ~ 2.\n")
    quiz, problems = parse_quiz(f"---\nminutes: 1\n---\n{markdown}", "q.md")
    assert quiz is not None, problems
    gift = markdown_to_gift(quiz)
    assert ("::tricky::[markdown]Braces \\{x\\}, a \\~tilde\\~, a \\= sign, a \\#hash, a colon\\: and a "
            "back\\\\slash\\\\n.\\n\\nSecond paragraph.{") in gift
    assert "\t=x \\= 1 \\# not a comment\n\t~\\{y\\}\n\t####Because\\: 1 \\~ 2.\n" in gift
    again, problems = convert(gift)
    assert problems == []
    assert same_questions(quiz.questions, pool(again).values())


def test_weighted_questions_survive_a_round_trip() -> None:
    markdown = ("Id: thirds\n1.  Pick the three primes.\n[*33.33333%] 2\n[*33.33333%] 3\n... Odd prime.\n"
                "[*33.33333%] 5\n[-50%] 4\n[ ] 1\nRationale: 2, 3 and 5 are prime.\n")
    quiz, problems = parse_quiz(f"---\nminutes: 1\n---\n{markdown}", "q.md")
    assert quiz is not None, problems
    gift = markdown_to_gift(quiz)
    assert "\t~%33.33333%2\n\t~%33.33333%3#Odd prime.\n\t~%33.33333%5\n\t~%-50%4\n\t~1\n" in gift
    again, problems = convert(gift)
    assert problems == []
    assert [c.weight for c in pool(again)["thirds"].choices] == [33.33333, 33.33333, 33.33333, -50, 0]
    assert same_questions(quiz.questions, pool(again).values())


@pytest.mark.parametrize("path", POOLS, ids=[path.stem for path in POOLS])
def test_every_shipped_pool_survives_export_then_import(path: Path) -> None:
    quiz, problems = parse_quiz(path.read_text(encoding="utf-8"), str(path))
    assert quiz is not None, problems
    markdown, problems = convert(markdown_to_gift(quiz))
    assert problems == []
    again = pool(markdown)
    assert list(again) == [q.id for q in quiz.questions]
    assert same_questions(quiz.questions, again.values())  # texts, types, keys, weights, feedback, rationale
