"""`flask academy gift import|export` and `flask academy item-analysis` through the real commands.

The commands are invoked as objects (academy.cli_questions), so these tests do not depend on where
academy.cli registers them.
"""
from __future__ import annotations

import csv
import io
import random
import shutil
from dataclasses import replace
from pathlib import Path

import pytest

from academy.cli_questions import gift_group, item_analysis_command
from academy.content.gift import markdown_to_gift
from academy.content.parse import parse_quiz
from academy.content.sync import Source, import_content
from academy.extensions import db
from academy.learning.attempts import drawn_questions, open_attempt, submit
from academy.learning.enrollment import complete_module, published_course, start_course
from academy.learning.item_analysis_db import load_item_analysis
from academy.models import Attempt

ROOT = Path(__file__).resolve().parents[2]
DATA = ROOT / "tests" / "data" / "valid"
REPRESENTATIVE = ROOT / "tests" / "data" / "gift" / "representative.gift"


@pytest.fixture
def tree(app, tmp_path):
    """A writable copy of the sample content, configured as the app's courses and quizzes folders."""
    root = tmp_path / "content"
    shutil.copytree(DATA, root)
    app.config.update(ACADEMY_COURSES_DIR=str(root / "courses"), ACADEMY_QUIZZES_DIR=str(root / "quizzes"))
    return root


def quiz_path(tree: Path, slug: str = "sample-course") -> Path:
    return tree / "quizzes" / f"{slug}.md"


def pool(path: Path):
    quiz, problems = parse_quiz(path.read_text(encoding="utf-8"), str(path),
                                course_dir=path.parent.parent / "courses" / path.stem)
    assert quiz is not None, "\n".join(map(str, problems))
    return quiz


# --------------------------------------------------------------------------- gift import


def test_import_appends_valid_questions(runner, tree) -> None:
    before = quiz_path(tree).read_text(encoding="utf-8")
    result = runner.invoke(gift_group, ["import", str(REPRESENTATIVE), "--course", "sample-course"])
    assert result.exit_code == 0, result.output
    assert "Appended 12 questions to" in result.stdout
    gift = REPRESENTATIVE.read_text(encoding="utf-8")
    essay = gift[:gift.index("::Essay::")].count("\n") + 1
    assert f"representative.gift:{essay}: warning: essay questions" in result.stderr
    after = quiz_path(tree).read_text(encoding="utf-8")
    assert after.startswith(before.rstrip("\n") + "\n\n% GIFT category:")
    questions = pool(quiz_path(tree)).questions
    assert len(questions) == 7 + 12
    assert "\n8.  Which condition had moderate" in after  # numbered on from the existing pool
    weighted = next(q for q in questions if q.id == "gift-contraindications")
    assert [c.weight for c in weighted.choices] == [50, 50, -100, 0]


def test_dry_run_writes_nothing(runner, tree) -> None:
    before = quiz_path(tree).read_bytes()
    result = runner.invoke(gift_group, ["import", str(REPRESENTATIVE), "--course", "sample-course", "--dry-run"])
    assert result.exit_code == 0, result.output
    assert "Id: gift-grade-of-evidence\n" in result.stdout
    assert "Dry run: 12 questions would be appended" in result.stdout
    assert quiz_path(tree).read_bytes() == before


def test_a_malformed_file_is_refused_with_its_lines(runner, tree, tmp_path) -> None:
    bad = tmp_path / "bad.gift"
    bad.write_text("Fine?{=a ~b####r}\n\nBroken?{=a ~b\n\nWeights?{~%50%a ~%20%b}\n", encoding="utf-8")
    before = quiz_path(tree).read_bytes()
    result = runner.invoke(gift_group, ["import", str(bad), "--course", "sample-course"])
    assert result.exit_code == 1
    assert f"{bad}:3: error: '{{' is never closed" in result.stderr
    assert f"{bad}:5: error: the weights of the correct choices of question 'gift-weights' add up to 70%" \
        in result.stderr
    assert "Nothing imported: 2 errors" in result.stderr
    assert quiz_path(tree).read_bytes() == before


def test_a_pool_that_would_not_pass_the_check_is_not_written(runner, tree, tmp_path) -> None:
    repeat = tmp_path / "repeat.gift"
    repeat.write_text("A footnote can explain a dose.{T####It can.}\n", encoding="utf-8")  # already in the pool
    before = quiz_path(tree).read_bytes()
    result = runner.invoke(gift_group, ["import", str(repeat), "--course", "sample-course"])
    assert result.exit_code == 1
    assert "this question repeats the question text on line" in result.stderr
    assert "Nothing written" in result.stderr
    assert quiz_path(tree).read_bytes() == before


def test_a_failed_write_leaves_the_old_file_and_no_temporary_file(runner, tree, monkeypatch) -> None:
    import academy.cli_questions

    def refuse(source, target):
        raise OSError("disk full")

    monkeypatch.setattr(academy.cli_questions.os, "replace", refuse)
    before = quiz_path(tree).read_bytes()
    result = runner.invoke(gift_group, ["import", str(REPRESENTATIVE), "--course", "sample-course"])
    assert result.exit_code != 0
    assert quiz_path(tree).read_bytes() == before
    assert sorted(p.name for p in (tree / "quizzes").iterdir()) == ["follow-up-course.md", "sample-course.md"]


def test_import_into_a_course_without_a_pool_creates_it(runner, tree) -> None:
    quiz_path(tree, "follow-up-course").unlink()
    result = runner.invoke(gift_group, ["import", str(REPRESENTATIVE), "--course", "follow-up-course"])
    assert result.exit_code == 0, result.output
    text = quiz_path(tree, "follow-up-course").read_text(encoding="utf-8")
    assert text.startswith("---\nminutes: 12\n---\n\n")
    assert len(pool(quiz_path(tree, "follow-up-course")).questions) == 12


def test_import_refuses_unknown_courses_broken_pools_and_bad_prefixes(runner, tree) -> None:
    unknown = runner.invoke(gift_group, ["import", str(REPRESENTATIVE), "--course", "nope"])
    assert unknown.exit_code == 1 and "There is no course 'nope'" in unknown.stderr
    prefix = runner.invoke(gift_group, ["import", str(REPRESENTATIVE), "--course", "sample-course",
                                        "--id-prefix", "Bad Prefix"])
    assert prefix.exit_code == 2 and "--id-prefix" in prefix.stderr
    path = quiz_path(tree)
    path.write_text(path.read_text(encoding="utf-8").replace("Rationale: Module 2 defines", "Because"),
                    encoding="utf-8")
    broken = runner.invoke(gift_group, ["import", str(REPRESENTATIVE), "--course", "sample-course"])
    assert broken.exit_code == 1 and "has errors; fix them first" in broken.stderr


# --------------------------------------------------------------------------- gift export


def test_export_to_standard_output_and_to_a_file(runner, tree, tmp_path) -> None:
    expected = markdown_to_gift(pool(quiz_path(tree)))
    shown = runner.invoke(gift_group, ["export", "sample-course"])
    assert shown.exit_code == 0, shown.output
    assert shown.stdout == expected
    target = tmp_path / "sample.gift"
    written = runner.invoke(gift_group, ["export", "sample-course", "-o", str(target)])
    assert written.exit_code == 0 and f"Wrote 7 questions to {target}" in written.stdout
    assert target.read_text(encoding="utf-8") == expected


def test_exported_questions_import_unchanged_into_another_pool(runner, tree, tmp_path) -> None:
    target = tmp_path / "sample.gift"
    assert runner.invoke(gift_group, ["export", "sample-course", "-o", str(target)]).exit_code == 0
    result = runner.invoke(gift_group, ["import", str(target), "--course", "follow-up-course"])
    assert result.exit_code == 0, result.output
    assert result.stderr == ""
    original = pool(quiz_path(tree)).questions
    appended = pool(quiz_path(tree, "follow-up-course")).questions[2:]
    assert [q.id for q in appended] == [q.id for q in original]
    assert [replace(q, line=0) for q in original] == [replace(q, line=0) for q in appended]


def test_export_of_a_course_without_a_pool_is_refused(runner, tree) -> None:
    quiz_path(tree, "follow-up-course").unlink()
    result = runner.invoke(gift_group, ["export", "follow-up-course"])
    assert result.exit_code == 1 and "has no post-test" in result.stderr


# --------------------------------------------------------------------------- item analysis on real attempts


def imported(tree: Path) -> None:
    report = import_content([Source(tree / "courses", tree / "quizzes")])
    assert not report.errors, report.errors


def response(question, right: bool):
    """What a clinician would answer: the key, or something certainly wrong."""
    key = question.answer_key
    if question.type in ("single", "true_false"):
        return key["correct"][0] if right else next(c["key"] for c in question.choices
                                                    if c["key"] not in key["correct"])
    if question.type == "multiple":
        return key["correct"] if right else [c["key"] for c in question.choices if c["key"] not in key["correct"]]
    if question.type == "short":
        return key["accepted"][0] if right else "something else"
    return str(key["min"]) if right else str(key["max"] + 1000)


def sit(user, slug: str, seed: int, answer) -> Attempt:
    """Enroll, read every module and submit one attempt, all through the learning services."""
    course = published_course(slug)
    enrollment = start_course(user, course)
    for module in enrollment.version.modules:
        complete_module(enrollment, module)
    attempt = open_attempt(user, enrollment, rng=random.Random(seed))
    submit(user, attempt, {q.qid: answer(q) for q in drawn_questions(attempt)})
    return attempt


@pytest.fixture
def attempts(tree, make_user):
    """Four clinicians: three answer everything right, one everything wrong (6 of 7 questions drawn each)."""
    imported(tree)
    rights = (True, False, True, True)
    sat = [sit(make_user(), "sample-course", seed, lambda q, right=right: response(q, right))
           for seed, right in zip((1, 2, 3, 4), rights)]
    assert len({frozenset(item["qid"] for item in a.draw) for a in sat}) > 1  # the draws differ
    return list(zip(sat, rights))


def expected_facility(attempts) -> dict[str, float]:
    drawn: dict[str, list[bool]] = {}
    for attempt, right in attempts:
        for item in attempt.draw:
            drawn.setdefault(item["qid"], []).append(right)
    return {qid: sum(rights) / len(rights) for qid, rights in drawn.items()}


def test_item_analysis_of_submitted_attempts(runner, attempts, tmp_path) -> None:
    target = tmp_path / "analysis.csv"
    result = runner.invoke(item_analysis_command, ["sample-course", "--min-responses", "1", "--csv", str(target)])
    assert result.exit_code == 0, result.output
    assert "Item analysis of Sample Course (sample-course 1.2.0)" in result.stdout
    assert "4 submitted attempts; figures are shown from 1 responses." in result.stdout
    assert "mean score 75.0%" in result.stdout  # 100, 0, 100, 100
    assert "KR-20 reliability not computed: the attempts drew different questions" in result.stdout
    assert "90–100%     3  ###" in result.stdout and "0–10%     1  #" in result.stdout
    rows = list(csv.DictReader(io.StringIO(target.read_text(encoding="utf-8"))))
    facilities = expected_facility(attempts)
    assert {row["qid"]: float(row["facility"]) for row in rows} == pytest.approx(facilities, abs=5e-4)  # 3 places
    single = next(row for row in rows if row["qid"] == "sample-single")
    right = sum(r for a, r in attempts if any(i["qid"] == "sample-single" for i in a.draw))
    assert f"*b: {right}" in single["choices"]


def test_item_analysis_withholds_figures_below_the_minimum(runner, attempts, app) -> None:
    result = runner.invoke(item_analysis_command, ["sample-course"])
    assert result.exit_code == 0, result.output
    assert "Test: not shown: 4 submitted attempts so far; figures are shown from 10" in result.stdout
    assert "responses so far; figures are shown from 10" in result.stdout
    app.config["ACADEMY_ITEM_ANALYSIS_MIN_RESPONSES"] = 2
    configured = runner.invoke(item_analysis_command, ["sample-course"])
    assert "figures are shown from 2 responses" in configured.stdout


def test_the_loader_reads_only_submitted_attempts_of_the_version(attempts, make_user) -> None:
    version_id = attempts[0][0].version_id
    course = published_course("sample-course")
    user = make_user()
    enrollment = start_course(user, course)
    for module in enrollment.version.modules:
        complete_module(enrollment, module)
    open_attempt(user, enrollment, rng=random.Random(9))  # left open: not counted
    analysis = load_item_analysis(version_id, min_responses=1)
    assert analysis.attempts == 4
    assert {item.qid: item.facility for item in analysis.items} == pytest.approx(expected_facility(attempts))


def test_item_analysis_of_an_unknown_course(runner, app) -> None:
    result = runner.invoke(item_analysis_command, ["nope"])
    assert result.exit_code == 1 and "No imported course has the slug 'nope'" in result.stderr


def test_an_imported_weighted_question_is_graded_by_its_weights(runner, tree, make_user) -> None:
    """GIFT weights → Markdown → database key → a half-right answer scores 0.5 though partial_credit is off."""
    weighted = tree.parent / "weighted.gift"
    weighted.write_text("::weighted::Which two?{~%50%One ~%50%Two ~%-100%Three####One and two.}\n",
                        encoding="utf-8")
    assert runner.invoke(gift_group, ["import", str(weighted), "--course", "sample-course"]).exit_code == 0
    course_md = tree / "courses" / "sample-course" / "course.md"
    course_md.write_text(course_md.read_text(encoding="utf-8").replace("questions_per_attempt: 6\n", "")
                         .replace("partial_credit: true", "partial_credit: false"), encoding="utf-8")
    imported(tree)

    def half_right(question):
        return ["a"] if question.qid == "weighted" else response(question, True)

    attempt = sit(make_user(), "sample-course", 5, half_right)
    db.session.refresh(attempt)
    assert attempt.results["weighted"] == {"score": 0.5, "correct": False}
    assert float(attempt.score) == round(100 * 7.5 / 8, 2)
