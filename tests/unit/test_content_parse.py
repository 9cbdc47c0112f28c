"""Parsing files into documents, the normal form and its hash, CE hours, and robustness against garbage."""
from __future__ import annotations

import hashlib
import json
import random
import shutil
from pathlib import Path

import pytest

from academy.content.hours import ce_hours, computed_ce_hours
from academy.content.model import NumericKey, Problem, content_hash, normal_text, to_normal_form
from academy.content.parse import parse_module, parse_programs, parse_quiz, read_course

VALID = Path(__file__).resolve().parents[1] / "data" / "valid"
SAMPLE = VALID / "courses" / "sample-course"
SAMPLE_QUIZ = VALID / "quizzes" / "sample-course.md"


def read_sample(root: Path = VALID, **kwargs):
    read = read_course(root / "courses" / "sample-course", root / "quizzes" / "sample-course.md", **kwargs)
    assert read.problems == (), "\n".join(map(str, read.problems))
    assert read.doc is not None
    return read.doc


def quiz_of(body: str):
    quiz, problems = parse_quiz(f"---\nminutes: 5\n---\n{body}", "quiz.md")
    assert quiz is not None, "\n".join(map(str, problems))
    return quiz


# --------------------------------------------------------------------------- course, settings, modules


def test_course_settings_are_read_with_their_types() -> None:
    settings = read_sample().settings
    assert settings.title == "Sample Course"
    assert settings.version == "1.2.0"
    assert settings.summary == "A small course that uses every feature of the format, for the content engine's tests."
    assert settings.objectives == ("Read a table with aligned columns.", "Answer one question of each type.")
    assert (settings.pass_mark, settings.attempts_allowed, settings.attempt_wait_hours) == (80, 3, 1.5)
    assert (settings.time_limit_minutes, settings.questions_per_attempt) == (30, 6)
    assert (settings.shuffle, settings.review, settings.partial_credit) == (True, "after_passing", True)
    assert (settings.validity_months, settings.recertification_window_days) == (24, 60)
    assert settings.major_requires_recertification is True
    accreditation = settings.accreditation[0]
    assert accreditation.body == "Example Accreditation Council"
    assert (accreditation.credits, accreditation.provider_number, accreditation.course_number) == (0.25, "0042",
                                                                                                  "SAMPLE-101")
    assert settings.references == ("Doe J. *A sample reference*. J Tests. 2020;1:1-2.",)


def test_defaults_are_applied() -> None:
    read = read_course(VALID / "courses" / "follow-up-course", VALID / "quizzes" / "follow-up-course.md")
    settings = read.doc.settings
    assert (settings.pass_mark, settings.attempts_allowed, settings.attempt_wait_hours) == (80, None, 0)
    assert (settings.time_limit_minutes, settings.questions_per_attempt, settings.shuffle) == (None, None, True)
    assert (settings.review, settings.partial_credit, settings.validity_months) == ("after_passing", False, None)
    assert (settings.recertification_window_days, settings.major_requires_recertification) == (90, False)
    assert (settings.accreditation, settings.ce_hours, settings.references) == ((), None, ())
    assert settings.prerequisites == ("sample-course",)
    assert read.doc.quiz.title == "Post-test"


def test_course_document() -> None:
    doc = read_sample()
    assert doc.slug == "sample-course" and doc.path == str(SAMPLE)
    assert [(m.number, m.slug, m.title, m.minutes) for m in doc.modules] == [
        (1, "reading-tables", "Reading tables", 7), (2, "checking-answers", "Checking answers", 6)]
    assert doc.ce_hours == 0.25  # (7 + 6 + 5) / 60 = 0.3 hours, rounded down to 0.25
    assert doc.images == {"images/dot.png": (SAMPLE / "images" / "dot.png").read_bytes()}
    assert len(doc.content_hash) == 64
    assert doc.overview_md.startswith("## Sample Course")
    assert 'href="/courses/sample-course/m/reading-tables"' in doc.overview_html
    assert "<em>A sample reference</em>" in doc.overview_html  # course references follow the overview


def test_module_html_has_body_and_numbered_references() -> None:
    module = read_sample().modules[0]
    assert module.references_md == ("Roe R. Tables in clinical writing. J Tests. 2019;2:3-4.",
                                    "See also <https://example.org/tables>.")
    assert module.body_md.startswith("## Reading tables\n\nDoses are given per kilogram[^dose].")
    body, references = module.html.split('<h2 id="c-reference-list">References</h2>')
    assert '<th class="align-center">Route</th>' in body and '<div class="admonition warning">' in body
    assert "<ol>\n<li>Roe R." in references


def test_media_url_rewrites_image_sources() -> None:
    doc = read_sample(media_url=lambda sha: f"/media/{sha}")
    sha = hashlib.sha256((SAMPLE / "images" / "dot.png").read_bytes()).hexdigest()
    assert f'<img alt="A single grey dot" src="/media/{sha}">' in doc.modules[0].html


def test_module_number_and_slug_come_from_the_file_name() -> None:
    module, problems = parse_module("---\ntitle: T\nminutes: 2\nreferences: [R.]\n---\nBody.", "dir/12-my-topic.md")
    assert problems == []
    assert (module.number, module.slug, module.body_md, module.path) == (12, "my-topic", "Body.", "dir/12-my-topic.md")


def test_programs() -> None:
    programs, problems = parse_programs((VALID / "courses" / "programs.yml").read_text(), "programs.yml",
                                        known_courses=["sample-course", "follow-up-course"])
    assert problems == []
    program = programs["sample-program"]
    assert (program.title, program.summary, program.courses) == (
        "Sample Program", "The sample course and its follow-up.", ("sample-course", "follow-up-course"))


# --------------------------------------------------------------------------- quizzes


def test_quiz_has_one_question_of_each_type() -> None:
    quiz = read_sample().quiz
    assert (quiz.title, quiz.minutes, quiz.path) == ("Sample post-test", 5, str(SAMPLE_QUIZ))
    assert [(q.id, q.type) for q in quiz.questions] == [
        ("sample-single", "single"), ("sample-true-false", "true_false"), ("sample-multiple", "multiple"),
        ("sample-short", "short"), ("sample-numeric-tolerance", "numeric"), ("sample-numeric-range", "numeric"),
        ("sample-numeric-percent", "numeric")]
    assert [q.line for q in quiz.questions] == [11, 25, 31, 39, 45, 50, 55]


def test_single_choice_question_with_all_feedback() -> None:
    question = read_sample().quiz.questions[0]
    assert question.text_md == "What do you check before calculating a weight-based dose?\nChoose the best answer."
    assert question.general_feedback_md == "Doses in module 1 are per kilogram."
    assert question.correct_feedback_md == "Right: weight first."
    assert question.incorrect_feedback_md == "Look at the clinical warning in module 1."
    assert [(c.key, c.text_md, c.correct, c.feedback_md) for c in question.choices] == [
        ("a", "The time of day", False, "Not relevant to the dose."),
        ("b", "The patient's weight", True, "Correct."),
        ("c", "The room temperature", False, "")]
    assert question.rationale_md == "Doses are given per kilogram, so the weight must be known."
    assert question.reference_md == "Roe R. Tables in clinical writing. J Tests. 2019;2:3-4."
    assert question.text_html == ("<p>What do you check before calculating a weight-based dose?\n"
                                  "Choose the best answer.</p>")
    assert question.choices[1].feedback_html == "<p>Correct.</p>"


def test_other_question_types() -> None:
    questions = read_sample().quiz.questions
    assert [(c.key, c.text_md, c.correct) for c in questions[1].choices] == [("a", "True", True), ("b", "False", False)]
    assert [c.correct for c in questions[2].choices] == [True, True, False]
    assert questions[2].choices[2].feedback_md == "Videos are not supported."
    assert questions[3].accepted == ("World Health Organization", "World Health Organisation")
    assert questions[4].numeric == NumericKey(value=0.5, tolerance=0.05)
    assert questions[5].numeric == NumericKey(minimum=5, maximum=10)
    assert questions[6].numeric == NumericKey(value=7, tolerance_percent=10)
    assert questions[6].numeric.bounds() == pytest.approx((6.3, 7.7))


@pytest.mark.parametrize(("key", "bounds"), [
    (NumericKey(value=5), (5, 5)),
    (NumericKey(value=0.5, tolerance=0.05), (0.45, 0.55)),
    (NumericKey(value=-10, tolerance_percent=10), (-11, -9)),
    (NumericKey(minimum=1.5, maximum=2.5), (1.5, 2.5)),
])
def test_numeric_bounds(key: NumericKey, bounds: tuple) -> None:
    assert key.bounds() == pytest.approx(bounds)


def test_numeric_forms() -> None:
    quiz = quiz_of("Id: a\n1.  Q1\n=   1_000\nRationale: R.\n\nId: b\n2.  Q2\n=   -2.5 +- 0\nRationale: R.\n\n"
                   "Id: c\n3.  Q3\n=   [ -1e3 , 1e3 ]\nRationale: R.\n")
    assert [q.numeric for q in quiz.questions] == [
        NumericKey(value=1000), NumericKey(value=-2.5, tolerance=0), NumericKey(minimum=-1000, maximum=1000)]


def test_continuation_lines_paragraphs_and_tabs() -> None:
    quiz = quiz_of(
        "Id: multi\n"
        "1.  First paragraph of the question\n"
        "    continues here.\n"
        "\n"
        "    Second paragraph, with a list:\n"
        "\n"
        "    - item one\n"
        "    - item two\n"
        "a)  A choice that\n"
        "    wraps.\n"
        "*b)\tTabbed choice\n"
        "Rationale: Long rationale\n"
        "  continued with two spaces.\n"
        "Reference: Ref.\n")
    question = quiz.questions[0]
    assert question.text_md == ("First paragraph of the question\ncontinues here.\n\nSecond paragraph, with a list:"
                                "\n\n- item one\n- item two")
    assert "<li>item one</li>" in question.text_html
    assert [c.text_md for c in question.choices] == ["A choice that\nwraps.", "Tabbed choice"]
    assert question.rationale_md == "Long rationale\ncontinued with two spaces."


def test_choice_keys_are_positional_whatever_letters_were_typed() -> None:
    quiz = quiz_of("Id: letters\n1.  Q\nc)  First\n*c) Second\nx)  Third\nRationale: R.\n")
    assert [(c.key, c.correct) for c in quiz.questions[0].choices] == [("a", False), ("b", True), ("c", False)]


def test_true_false_is_detected_in_any_case_and_only_for_exactly_two_choices() -> None:
    quiz = quiz_of("Id: tf\n1.  Q\na)  true\n*b) FALSE\nRationale: R.\n\n"
                   "Id: three\n2.  Q2\n*a) True\nb)  False\nc)  Unknown\nRationale: R.\n")
    assert [q.type for q in quiz.questions] == ["true_false", "single"]


def test_text2qti_extras_are_accepted_and_ignored() -> None:
    quiz = quiz_of("% comment\nCOMMENT\nnot: parsed\nEND_COMMENT\nTitle: A title\nPoints: 1.0\nId: q\n"
                   "1.  Q\n*a) A\nb)  B\nRationale: R.\n")
    assert [q.id for q in quiz.questions] == ["q"]


def test_question_parts_get_their_own_id_prefix() -> None:
    quiz = quiz_of("Id: q\n1.  Q[^n]\n\n    [^n]: Note.\n*a) A\nb)  B\nRationale: R.\n")
    assert 'id="q-q-fnref:n"' in quiz.questions[0].text_html


def test_images_in_quizzes_resolve_against_the_course_folder() -> None:
    quiz, problems = parse_quiz("---\nminutes: 1\n---\nId: q\n1.  Look: ![A dot](images/dot.png)\n*a) A\nb)  B\n"
                                "Rationale: R.\n", "quiz.md", course_dir=SAMPLE, media_url=lambda sha: f"/m/{sha}")
    assert problems == []
    assert 'src="/m/' in quiz.questions[0].text_html


# --------------------------------------------------------------------------- front matter details


def test_crlf_bom_and_line_numbers() -> None:
    text = "\ufeff---\r\ntitle: T\r\nminutes: x\r\nreferences: [R.]\r\n---\r\n\r\nBody\r\n"
    module, problems = parse_module(text, "01-m.md")
    assert module is None
    assert [(p.line, p.message) for p in problems] == [(3, "'minutes' must be a whole number ≥ 1, not 'x'")]


def test_unsafe_yaml_tags_are_errors_not_objects() -> None:
    _, problems = parse_module("---\ntitle: !!python/object/apply:os.system ['echo hi']\nminutes: 1\n---\n", "01-m.md")
    assert [(p.line, p.severity) for p in problems] == [(2, "error")]
    assert "malformed YAML" in problems[0].message


def test_problem_text() -> None:
    problem = Problem("courses/x/course.md", 11, "warning", "pass_mark 60 is below 70")
    assert str(problem) == "courses/x/course.md:11: warning: pass_mark 60 is below 70"


# --------------------------------------------------------------------------- CE hours


@pytest.mark.parametrize(("minutes", "quiz", "hours"), [
    ([10, 4], 0, 0.0), ([10, 5], 0, 0.25), ([30, 29], 15, 1.0), ([60], 14, 1.0), ([60], 15, 1.25), ([45, 45], 29, 1.75),
])
def test_ce_hours_round_down_to_quarter_hours(minutes: list[int], quiz: int, hours: float) -> None:
    assert computed_ce_hours(minutes, quiz) == hours


def test_ce_hours_override() -> None:
    assert ce_hours([10], 5, override=2.5) == 2.5
    assert ce_hours([10], 5) == 0.25


# --------------------------------------------------------------------------- normal form and content hash


def copy_valid(tmp_path: Path) -> Path:
    root = tmp_path / "content"
    shutil.copytree(VALID, root)
    return root


def rewrite(path: Path, old: str, new: str) -> None:
    text = path.read_text(encoding="utf-8")
    assert text.count(old) == 1, old
    path.write_text(text.replace(old, new), encoding="utf-8")


def test_hash_is_sha256_of_canonical_json_of_the_normal_form() -> None:
    doc = read_sample()
    canonical = json.dumps(to_normal_form(doc), sort_keys=True, separators=(",", ":"), ensure_ascii=False)
    assert doc.content_hash == hashlib.sha256(canonical.encode("utf-8")).hexdigest() == content_hash(doc)


def test_normal_form_holds_the_source_not_the_html() -> None:
    form = to_normal_form(read_sample())
    assert set(form) == {"format", "slug", "settings", "overview", "modules", "quiz", "images"}
    assert "<p>" not in json.dumps(form) and "<h1" not in json.dumps(form)
    assert form["settings"]["accreditation"][0]["provider_number"] == "0042"
    assert form["modules"][0]["body"].startswith("## Reading tables")
    assert form["quiz"]["questions"][0]["choices"][1] == {"text": "The patient's weight", "correct": True,
                                                         "feedback": "Correct."}
    assert form["quiz"]["questions"][4]["numeric"] == {"value": 0.5, "tolerance": 0.05, "tolerance_percent": None,
                                                       "minimum": None, "maximum": None}
    assert form["images"] == {"images/dot.png": hashlib.sha256((SAMPLE / "images/dot.png").read_bytes()).hexdigest()}


def test_presentation_changes_keep_the_hash(tmp_path: Path) -> None:
    original = read_sample().content_hash
    root = copy_valid(tmp_path)
    course_md = root / "courses/sample-course/course.md"
    rewrite(course_md, "pass_mark: 80\n", "")  # move pass_mark to the top and spell it as a float
    rewrite(course_md, "title: Sample Course", "pass_mark: 80.0\ntitle: 'Sample Course'")
    rewrite(course_md, "version: 1.2.0", 'version: "1.2.0"')
    rewrite(course_md, "credits: 0.25", "credits: 0.250")
    rewrite(course_md, "audience: Clinicians who write tests.", "audience: >-\n  Clinicians who\n  write tests.")
    for path in root.rglob("*.md"):
        text = path.read_text(encoding="utf-8")
        path.write_bytes(text.replace("\n", "   \r\n").encode("utf-8"))  # trailing spaces and CRLF everywhere
    assert read_sample(root).content_hash == original


@pytest.mark.parametrize(("file", "old", "new"), [
    ("courses/sample-course/course.md", "pass_mark: 80", "pass_mark: 81"),
    ("courses/sample-course/course.md", "Example Accreditation Council.", "Example Accreditation Board."),
    ("courses/sample-course/course.md", "This overview introduces", "This overview presents"),
    ("courses/sample-course/01-reading-tables.md", "Check the patient's weight", "Check the patient's height"),
    ("courses/sample-course/01-reading-tables.md", "minutes: 7", "minutes: 8"),
    ("courses/sample-course/02-checking-answers.md", "Smith A. Answer keys.", "Smith B. Answer keys."),
    ("quizzes/sample-course.md", "so the weight must be known", "so the weight must be checked"),
    ("quizzes/sample-course.md", "... Correct.", "... Right."),
    ("quizzes/sample-course.md", "*a) True\nb)  False", "a)  True\n*b) False"),
    ("quizzes/sample-course.md", "=   0.5 +- 0.05", "=   0.5 +- 0.1"),
    ("quizzes/sample-course.md", "*   World Health Organisation", "*   WHO"),
    ("quizzes/sample-course.md", "Id: sample-short", "Id: sample-short-answer"),
])
def test_content_changes_change_the_hash(tmp_path: Path, file: str, old: str, new: str) -> None:
    original = read_sample().content_hash
    root = copy_valid(tmp_path)
    rewrite(root / file, old, new)
    assert read_sample(root).content_hash != original


def test_image_changes_change_the_hash(tmp_path: Path) -> None:
    original = read_sample().content_hash
    root = copy_valid(tmp_path)
    image = root / "courses/sample-course/images/dot.png"
    image.write_bytes(image.read_bytes() + b"\0")
    assert read_sample(root).content_hash != original


def test_normal_text() -> None:
    assert normal_text("\n\n  a  \r\nb\t\rc\n\n") == "  a\nb\nc"


# --------------------------------------------------------------------------- garbage in, problems out

GARBAGE = [
    "", "\n", "---", "---\n", "---\n---", "---\n---\n", "----\n", "\x00\x01\x02", "\ufeff", "---\n\t- x\n---\n",
    "---\n: :\n---\n", "---\n[[[[\n---\n", "---\n" + "[" * 5000 + "\n---\n", "---\n&a [*a]\n---\n",
    "---\na: &a [x, x]\nb: &b [*a, *a]\nc: [*b, *b]\n---\n", "---\n? [1, 2]\n: x\n---\n", "---\n1: 2\ntrue: 3\n---\n",
    "---\n- a\n- b\n---\n", "---\njust a string\n---\n", "---\ntitle: !!binary aGk=\nminutes: 1\n---\n",
    "---\nminutes: 1e400\ntitle: .nan\n---\n", "---\nminutes: 2020-01-01\n---\n",
    "---\ntitle: T\nminutes: " + "9" * 500 + "\n---\n", "---\nminutes: " + "9" * 5000 + "\n---\n",
    "---\nminutes: 1\n---\nId:\n1.\na)\n*\n=\n[*]\n...\n+\n-\nRationale:\n",
    "---\nminutes: 1\n---\n1.  Q\n    \n\t\tdeep\n*a) x\n*a) x\n\n\n=   [\n=   [,]\n=   +-\n=   1 +- %\n",
    "---\nminutes: 1\n---\n```\nnever closed\n", "---\nminutes: 1\n---\nEND_COMMENT\nEND_GROUP\n^^^^\n____\n",
    "---\nminutes: 1\n---\n![](../../../../etc/passwd) [x](a%00b) ![y](%2e%2e/x.png) [z](" + "a" * 5000 + ".md)\n",
    "---\nminutes: 1\n---\nId: q\n1.  Q <img src=x onerror=alert(1)>\n[*] <script>\nRationale: <\n",
    "programs:\n  - slug: x\n    courses: [[nested]]\n", "programs: 5\n", "programs:\n  - 7\n", "- a\n- b\n",
]


@pytest.mark.parametrize("text", GARBAGE)
def test_garbage_gives_problems_not_exceptions(text: str, tmp_path: Path) -> None:
    for result in (parse_module(text, "01-m.md"), parse_quiz(text, "q.md", course_dir=tmp_path),
                   parse_programs(text, "programs.yml", known_courses=["x"])):
        doc, problems = result
        assert all(isinstance(p, Problem) for p in problems)
        assert doc or problems


def test_random_quiz_lines_never_crash() -> None:
    pieces = ["Id: q", "Id: Q!", "1.  Q", "12. Other", "a)  x", "*b) y", "[ ] m", "[*] n", "*   s", "=   1 +- 5%",
              "=   [2, 1]", "... fb", "+   ok", "-   no", "Rationale: r", "Reference: f", "Title: t", "Points: 3",
              "    cont", "  bad", "GROUP", "END_GROUP", "____", "^^^^", "```", "text", "", "%", "COMMENT",
              "END_COMMENT", "Quiz title: t", "Text: t", "<>  x", "{*} y", "\t*c)\tz", "!!! odd", "<b>x</b>"]
    generator = random.Random(20240601)
    for _ in range(400):
        body = "\n".join(generator.choice(pieces) for _ in range(generator.randint(1, 30)))
        quiz, problems = parse_quiz(f"---\nminutes: 1\n---\n{body}\n", "q.md")
        assert quiz is not None or any(p.severity == "error" for p in problems)


def test_random_bytes_in_a_course_folder_never_crash(tmp_path: Path) -> None:
    generator = random.Random(7)
    course = tmp_path / "courses" / "x"
    (course / "images").mkdir(parents=True)
    (course / "course.md").write_bytes(bytes(generator.randrange(256) for _ in range(500)))
    (course / "01-a.md").write_bytes(b"---\ntitle: A\nminutes: 1\n---\n![a](images/dir.png) ![b](images/loop.png)\n")
    (course / "02-b.md").mkdir()  # a folder that looks like a module
    (course / "images" / "dir.png").mkdir()
    (course / "images" / "loop.png").symlink_to(course / "images" / "loop.png")
    read = read_course(course, tmp_path / "quizzes" / "x.md")
    assert read.doc is None
    assert {p.path for p in read.problems} >= {str(course / "course.md"), str(course / "01-a.md")}
