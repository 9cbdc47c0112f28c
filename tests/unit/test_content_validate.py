"""Every rule of `flask academy check`: one broken copy of the valid fixture per rule.

Each case copies tests/data/valid to a temporary folder, applies small edits
(replace a unique snippet, create a file, or delete one), runs `check_paths`,
and expects a problem at an exact file and line with a message fragment.
"""
from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from academy.content.model import Problem
from academy.content.validate import check_course, check_module_text, check_paths, check_quiz_text

VALID = Path(__file__).resolve().parents[1] / "data" / "valid"
COURSE = "courses/sample-course/course.md"
MODULE1 = "courses/sample-course/01-reading-tables.md"
MODULE2 = "courses/sample-course/02-checking-answers.md"
QUIZ = "quizzes/sample-course.md"
PROGRAMS = "courses/programs.yml"
FOLLOW_UP = "courses/follow-up-course/course.md"
DELETE = object()


def copy_valid(tmp_path: Path) -> Path:
    root = tmp_path / "content"
    shutil.copytree(VALID, root)
    return root


def apply(root: Path, edits: list[tuple]) -> None:
    """(file, old, new) replaces a unique snippet; (file, None, text) creates; (file, DELETE) deletes."""
    for edit in edits:
        path = root / edit[0]
        if edit[1] is DELETE:
            path.unlink()
        elif edit[1] is None:
            path.parent.mkdir(parents=True, exist_ok=True)
            if isinstance(edit[2], bytes):
                path.write_bytes(edit[2])
            else:
                path.write_text(edit[2], encoding="utf-8")
        else:
            text = path.read_text(encoding="utf-8")
            assert text.count(edit[1]) == 1, f"{edit[1]!r} must occur once in {edit[0]}"
            path.write_text(text.replace(edit[1], edit[2]), encoding="utf-8")


def check(root: Path) -> tuple:
    return check_paths(root / "courses", root / "quizzes")


def find(problems: list[Problem], file: str, line: int, severity: str, fragment: str) -> Problem:
    for problem in problems:
        if (Path(problem.path).as_posix().endswith(file) and problem.line == line
                and problem.severity == severity and fragment in problem.message):
            return problem
    listing = "\n".join(map(str, problems)) or "(no problems)"
    raise AssertionError(f"expected {file}:{line}: {severity}: …{fragment}…\ngot:\n{listing}")


MODULE_TEMPLATE = "---\ntitle: Extra\nminutes: 5\nreferences:\n  - Ref.\n---\n\nText.\n"

CASES = [
    # --- course.md: YAML, keys, types and ranges
    ("malformed-yaml", [(COURSE, "audience: Clinicians who", "audience: Clinicians: who")],
     COURSE, 7, "error", "malformed YAML: mapping values are not allowed here"),
    ("missing-required", [(COURSE, "audience: Clinicians who write tests.\n", "")],
     COURSE, 1, "error", "required key 'audience' is missing"),
    ("empty-required", [(COURSE, "title: Sample Course", "title:")],
     COURSE, 2, "error", "required key 'title' has no value"),
    ("pass-mark-range", [(COURSE, "pass_mark: 80", "pass_mark: 120")],
     COURSE, 11, "error", "'pass_mark' must be a percentage from 0 to 100, not the number 120"),
    ("version-not-semver", [(COURSE, "version: 1.2.0", 'version: "1.0"')],
     COURSE, 3, "error", "'version' must be a version MAJOR.MINOR.PATCH such as \"1.0.0\", not '1.0'"),
    ("version-is-number", [(COURSE, "version: 1.2.0", "version: 1.0")],
     COURSE, 3, "error", "in quotes, such as \"1.0.0\", not the number 1.0"),
    ("attempts-zero", [(COURSE, "attempts_allowed: 3", "attempts_allowed: 0")],
     COURSE, 12, "error", "'attempts_allowed' must be a whole number ≥ 1 or empty, not the number 0"),
    ("wait-negative", [(COURSE, "attempt_wait_hours: 1.5", "attempt_wait_hours: -1")],
     COURSE, 13, "error", "'attempt_wait_hours' must be a number ≥ 0"),
    ("time-limit-fraction", [(COURSE, "time_limit_minutes: 30", "time_limit_minutes: 30.5")],
     COURSE, 14, "error", "'time_limit_minutes' must be a whole number ≥ 1 or empty, not the number 30.5"),
    ("shuffle-not-bool", [(COURSE, "shuffle: true", "shuffle: sometimes")],
     COURSE, 16, "error", "'shuffle' must be true or false, not 'sometimes'"),
    ("review-typo", [(COURSE, "review: after_passing", "review: after_pasing")],
     COURSE, 17, "error", "did you mean 'after_passing'?"),
    ("recertification-negative", [(COURSE, "recertification_window_days: 60", "recertification_window_days: -5")],
     COURSE, 20, "error", "'recertification_window_days' must be a whole number ≥ 0"),
    ("ce-hours-step", [(COURSE, "prerequisites: []", "prerequisites: []\nce_hours: 1.3")],
     COURSE, 23, "error", "'ce_hours' must be a number of hours above 0 in steps of 0.25"),
    ("unknown-key-suggestion", [(COURSE, "pass_mark: 80", "passmark: 80")],
     COURSE, 11, "error", "unknown key 'passmark'; did you mean 'pass_mark'?"),
    ("unknown-key-list", [(COURSE, "shuffle: true", "shuffle: true\ncolour: blue")],
     COURSE, 17, "error", "unknown key 'colour'; the keys of course.md are: title, version"),
    ("duplicate-key", [(COURSE, "shuffle: true", "shuffle: true\nshuffle: false")],
     COURSE, 17, "error", "key 'shuffle' appears twice (first on line 16)"),
    ("objectives-not-list", [(COURSE, "objectives:\n  - Read a table with aligned columns.\n"
                                      "  - Answer one question of each type.", "objectives: Read tables.")],
     COURSE, 8, "error", "'objectives' must be a list"),
    ("objective-not-text", [(COURSE, "  - Answer one question of each type.", "  - 42")],
     COURSE, 10, "error", "'objectives' item 2 must be text, not the number 42; put it in quotes"),
    ("accreditation-credits", [(COURSE, "credits: 0.25", "credits: three")],
     COURSE, 26, "error", "'accreditation' item 1: 'credits' must be a number ≥ 0, not 'three'"),
    ("accreditation-missing", [(COURSE, '    statement: "This activity is approved for 0.25 CE hours by the '
                                        'Example Accreditation Council."\n', "")],
     COURSE, 24, "error", "'accreditation' item 1: required key 'statement' is missing"),
    ("accreditation-unknown-key", [(COURSE, "course_number:", "course_numbr:")],
     COURSE, 29, "error", "'accreditation' item 1: unknown key 'course_numbr'; did you mean 'course_number'?"),
    ("provider-number-number", [(COURSE, 'provider_number: "0042"', "provider_number: 42")],
     COURSE, 28, "error", "'provider_number' must be text, not the number 42; put it in quotes"),
    ("front-matter-not-mapping", [(COURSE, None, "---\n- title: Sample Course\n---\n")],
     COURSE, 2, "error", "course.md must be 'key: value' settings, not a list"),
    # --- slugs
    ("course-folder-slug", [("courses/Bad_Course/course.md", None, "---\ntitle: x\n---\n")],
     "courses/Bad_Course", 1, "error", "course folder name 'Bad_Course' is not a valid slug"),
    ("prerequisite-not-slug", [(COURSE, "prerequisites: []", "prerequisites: [Sample Course]")],
     COURSE, 22, "error", "'prerequisites' item 1 'Sample Course' is not a course slug"),
    ("module-file-name", [("courses/sample-course/intro.md", None, MODULE_TEMPLATE)],
     "courses/sample-course/intro.md", 1, "error", "module file name 'intro.md' must be NN-<module-slug>.md"),
    ("module-slug", [("courses/sample-course/03-Bad_Slug.md", None, MODULE_TEMPLATE)],
     "courses/sample-course/03-Bad_Slug.md", 1, "error", "module slug 'Bad_Slug' in the file name is not a valid"),
    ("question-id-slug", [(QUIZ, "Id: sample-true-false", "Id: Sample True")],
     QUIZ, 24, "error", "Id 'Sample True' is not valid: use lower-case letters"),
    ("program-slug", [(PROGRAMS, "slug: sample-program", "slug: Sample Program")],
     PROGRAMS, 2, "error", "program 1: 'slug' 'Sample Program' is not a valid program slug"),
    # --- duplicates
    ("module-number", [("courses/sample-course/01-duplicate.md", None, MODULE_TEMPLATE)],
     MODULE1, 1, "error", "module number 01 is also used by 01-duplicate.md"),
    ("question-id", [(QUIZ, "Id: sample-true-false", "Id: sample-single")],
     QUIZ, 24, "error", "Id 'sample-single' is already used on line 8"),
    ("program-slug-twice", [(PROGRAMS, "courses: [sample-course, follow-up-course]",
                             "courses: [sample-course, follow-up-course]\n  - slug: sample-program\n"
                             "    title: Again\n    courses: [sample-course]")],
     PROGRAMS, 6, "error", "program slug 'sample-program' is used twice"),
    ("question-text", [(QUIZ, "2.  A footnote can explain a dose.",
                        "2.  What do you check before calculating a weight-based dose?\n    Choose the best answer.")],
     QUIZ, 25, "error", "this question repeats the question text on line 11"),
    ("choice-text", [(QUIZ, "c)  The room temperature", "c)  The time of day")],
     QUIZ, 20, "error", "this choice repeats the choice on line 16"),
    ("accepted-answer", [(QUIZ, "*   World Health Organisation", "*   world  health organization")],
     QUIZ, 41, "error", "accepted answer 'world  health organization' repeats the one on line 40"),
    # --- question types and keys
    ("single-no-correct", [(QUIZ, "*b) The patient's weight", "b)  The patient's weight")],
     QUIZ, 11, "error", "single-choice question 'sample-single' needs exactly one correct choice marked '*' "
                        "(like '*b)'), but has 0"),
    ("single-two-correct", [(QUIZ, "a)  The time of day", "*a) The time of day")],
     QUIZ, 11, "error", "needs exactly one correct choice marked '*' (like '*b)'), but has 2"),
    ("single-one-choice", [(QUIZ, "*a) True\nb)  False", "*a) True")],
     QUIZ, 26, "error", "question 'sample-true-false' needs at least two choices"),
    ("multiple-no-correct", [(QUIZ, "[*] Tables\n[*] Admonitions", "[ ] Tables\n[ ] Admonitions")],
     QUIZ, 31, "error", "multiple-response question 'sample-multiple' has no correct choice: mark at least one"),
    ("true-false-near-miss", [(QUIZ, "*a) True\nb)  False", "*a) True.\nb)  False.")],
     QUIZ, 25, "warning", "looks like true/false but its choices are 'True.' and 'False.'"),
    ("mixed-answers", [(QUIZ, "[ ] Videos", "c)  Videos")],
     QUIZ, 34, "error", "this question already has multiple-response choices ('[ ]' / '[*]'); it cannot also have "
                        "single-choice choices"),
    ("no-answer", [(QUIZ, "=   7 +- 10%\n", "")],
     QUIZ, 55, "error", "question 'sample-numeric-percent' has no answer"),
    # --- numeric answers
    ("numeric-min-above-max", [(QUIZ, "[5, 10]", "[10, 5]")],
     QUIZ, 51, "error", "numeric answer '[10, 5]': the minimum 10 is greater than the maximum 5"),
    ("numeric-negative-tolerance", [(QUIZ, "0.5 +- 0.05", "0.5 +- -0.05")],
     QUIZ, 46, "error", "numeric answer '0.5 +- -0.05': the tolerance -0.05 is negative"),
    ("numeric-negative-percent", [(QUIZ, "7 +- 10%", "7 +- -10%")],
     QUIZ, 56, "error", "the tolerance -10% is negative"),
    ("numeric-not-number", [(QUIZ, "=   7 +- 10%", "=   seven")],
     QUIZ, 56, "error", "numeric answer 'seven': 'seven' is not a number; write '=   value'"),
    ("numeric-bad-tolerance", [(QUIZ, "0.5 +- 0.05", "0.5 +- a bit")],
     QUIZ, 46, "error", "'a bit' is not a number"),
    ("numeric-infinite", [(QUIZ, "=   7 +- 10%", "=   inf")],
     QUIZ, 56, "error", "'inf' is not a finite number"),
    ("numeric-bad-range", [(QUIZ, "[5, 10]", "[5; 10]")],
     QUIZ, 51, "error", "a range is '[min, max]'"),
    ("numeric-twice", [(QUIZ, "=   [5, 10]", "=   [5, 10]\n=   6")],
     QUIZ, 52, "error", "the numeric answer is given twice (first on line 51)"),
    # --- question structure
    ("missing-id", [(QUIZ, "Id: sample-true-false\n", "")],
     QUIZ, 24, "error", "the question has no Id: add 'Id: <unique-slug>' on the line before it"),
    ("missing-rationale", [(QUIZ, "Rationale: Module 1 uses a footnote for exactly that.\n", "")],
     QUIZ, 25, "error", "question 'sample-true-false' has no 'Rationale:'"),
    ("choice-after-rationale", [(QUIZ, "Rationale: Module 1 uses a footnote for exactly that.",
                                 "Rationale: Module 1 uses a footnote for exactly that.\nc)  Maybe")],
     QUIZ, 29, "error", "'c)' comes after 'Rationale:'"),
    ("reference-before-rationale", [(QUIZ, "Rationale: Doses are given per kilogram, so the weight must be known.\n"
                                           "Reference: Roe R. Tables in clinical writing. J Tests. 2019;2:3-4.",
                                     "Reference: Roe R.\nRationale: Doses are per kilogram.")],
     QUIZ, 21, "error", "'Reference:' must come after 'Rationale:'"),
    ("choice-feedback-twice", [(QUIZ, "... Correct.", "... Correct.\n... Again.")],
     QUIZ, 20, "error", "this choice already has feedback (line 19)"),
    ("general-feedback-twice", [(QUIZ, "... Doses in module 1 are per kilogram.",
                                 "... Doses in module 1 are per kilogram.\n... Twice.")],
     QUIZ, 14, "error", "general feedback is given twice (first on line 13)"),
    ("right-feedback-after-choices", [(QUIZ, "c)  The room temperature", "c)  The room temperature\n+   Late.")],
     QUIZ, 21, "error", "'+' (correct-answer feedback) must come after the question text, before the choices"),
    ("feedback-after-short-answer", [(QUIZ, "*   World Health Organisation", "*   World Health Organisation\n... No.")],
     QUIZ, 42, "error", "'...' after short answers ('*   answer') is not supported"),
    ("id-without-question", [(QUIZ, "answers within 10% are accepted.",
                              "answers within 10% are accepted.\n\nId: dangling")],
     QUIZ, 59, "error", "'Id:' is not followed by a numbered question line"),
    ("choice-without-question", [(QUIZ, "% A text2qti comment line: ignored.", "a)  Orphan")],
     QUIZ, 6, "error", "'a)' must belong to a question: expected a numbered question line"),
    ("unexpected-text", [(QUIZ, "    Choose the best answer.", "Choose the best answer.")],
     QUIZ, 12, "error", "unexpected text: a question is 'Id: <id>' then '1.  <question text>'"),
    ("bad-indentation", [(QUIZ, "    Choose the best answer.", "  Choose the best answer.")],
     QUIZ, 12, "error", "this indented line does not continue anything above it"),
    ("marker-without-text", [(QUIZ, "c)  The room temperature", "c)")],
     QUIZ, 20, "error", "'c)' needs text after it"),
    ("marker-without-space", [(QUIZ, "=   [5, 10]", "=[5, 10]")],
     QUIZ, 51, "error", "put a space or tab after '='"),
    ("comment-not-closed", [(QUIZ, "% A text2qti comment line: ignored.", "COMMENT")],
     QUIZ, 6, "error", "COMMENT is never closed"),
    ("quiz-no-questions", [(QUIZ, None, "---\nminutes: 5\n---\n\n")],
     QUIZ, 4, "error", "the quiz has no questions"),
    ("quiz-missing-minutes", [(QUIZ, "minutes: 5\n", "")],
     QUIZ, 1, "error", "required key 'minutes' is missing"),
    # --- unsupported text2qti features
    ("group", [(QUIZ, "Id: sample-single", "GROUP\nId: sample-single")],
     QUIZ, 8, "error", "question groups (GROUP … END_GROUP) are not supported"),
    ("essay", [(QUIZ, "=   7 +- 10%", "____")],
     QUIZ, 56, "error", "essay questions ('____') are not supported"),
    ("file-upload", [(QUIZ, "=   7 +- 10%", "^^^^")],
     QUIZ, 56, "error", "file-upload questions ('^^^^') are not supported"),
    ("points-not-one", [(QUIZ, "Points: 1", "Points: 2")],
     QUIZ, 10, "error", "'Points: 2' is not supported: every question is worth one point"),
    ("executable-code", [(QUIZ, "answers within 10% are accepted.",
                          "answers within 10% are accepted.\n\n```{.python .run}\nprint('1.  Q')\n```")],
     QUIZ, 59, "error", "executable code blocks are not supported"),
    ("unindented-code", [(QUIZ, "answers within 10% are accepted.", "answers within 10% are accepted.\n```\nx\n```")],
     QUIZ, 58, "error", "a code block must be indented"),
    ("text-region", [(QUIZ, "% A text2qti comment line: ignored.", "Text: Read this first.")],
     QUIZ, 6, "error", "text regions ('Text:') are not supported"),
    ("fill-in-blanks", [(QUIZ, "*   World Health Organisation", "<>  ((who)) WHO")],
     QUIZ, 41, "error", "fill-in-multiple-blanks questions ('<>') are not supported"),
    ("quiz-title-line", [(QUIZ, "% A text2qti comment line: ignored.", "Quiz title: Old title")],
     QUIZ, 6, "warning", "'Quiz title:' is ignored: set 'title' in the front matter"),
    # --- links, images, raw HTML, admonitions
    ("link-missing-file", [(MODULE1, "(02-checking-answers.md)", "(03-missing.md)")],
     MODULE1, 22, "error", "link '03-missing.md' points to a file that does not exist"),
    ("link-outside-folder", [(MODULE1, "(02-checking-answers.md)", "(../follow-up-course/course.md)")],
     MODULE1, 22, "error", "link '../follow-up-course/course.md' points outside the course folder"),
    ("link-javascript", [(MODULE1, "(02-checking-answers.md)", "(javascript:alert(1))")],
     MODULE1, 22, "error", "link 'javascript:alert(1)' uses 'javascript:', which the sanitiser removes"),
    ("link-absolute-path", [(MODULE1, "(02-checking-answers.md)", "(/etc/passwd)")],
     MODULE1, 22, "error", "link '/etc/passwd' is not a relative path"),
    ("link-in-reference", [(MODULE1, "See also <https://example.org/tables>.", "See also [x](missing.md).")],
     MODULE1, 6, "error", "link 'missing.md' points to a file that does not exist"),
    ("link-in-quiz", [(QUIZ, "Rationale: Doses are given per kilogram, so",
                       "Rationale: See [module 1](01-reading-tables.md) and [this](nope.md): doses are per kg, so")],
     QUIZ, 21, "error", "link 'nope.md' points to a file that does not exist"),
    ("image-missing", [(MODULE1, "(images/dot.png)", "(images/missing.png)")],
     MODULE1, 20, "error", "image 'images/missing.png' not found"),
    ("image-external", [(MODULE1, "(images/dot.png)", "(https://example.org/dot.png)")],
     MODULE1, 20, "error", "image 'https://example.org/dot.png' is not a file in the course folder"),
    ("image-svg", [("courses/sample-course/images/logo.svg", None, "<svg onload='alert(1)'/>"),
                   (MODULE1, "(images/dot.png)", "(images/logo.svg)")],
     MODULE1, 20, "error", "SVG images are not allowed"),
    ("image-wrong-content", [("courses/sample-course/images/fake.png", None, "<html>not a png</html>"),
                             (MODULE1, "(images/dot.png)", "(images/fake.png)")],
     MODULE1, 20, "error", "image 'images/fake.png' is not a PNG file"),
    ("image-no-alt", [(MODULE1, "![A single grey dot]", "![]")],
     MODULE1, 20, "warning", "image 'images/dot.png' has no alt text"),
    ("raw-html-inline", [(MODULE1, "Doses are given per kilogram", "Doses are given <span>per kilogram</span>")],
     MODULE1, 11, "warning", "raw HTML is removed by the sanitiser: <span>"),
    ("raw-html-block", [(MODULE1, "[^dose]: Doses", "<div class=\"box\">\nBoxed.\n</div>\n\n[^dose]: Doses")],
     MODULE1, 24, "warning", "raw HTML is removed by the sanitiser: <div class=\"box\">"),
    ("raw-html-in-quiz", [(QUIZ, "... Correct.", "... <b>Correct.</b>")],
     QUIZ, 19, "warning", "raw HTML is removed by the sanitiser: <b>"),
    ("admonition-type", [(MODULE1, '!!! warning "Clinical warning"', '!!! caution "Clinical warning"')],
     MODULE1, 17, "warning", "admonition type 'caution' is not one of note, tip, warning, danger"),
    # --- modules
    ("module-minutes", [(MODULE1, "minutes: 7", "minutes: seven")],
     MODULE1, 3, "error", "'minutes' must be a whole number ≥ 1, not 'seven'"),
    ("module-level-one-heading", [(MODULE1, "## Reading tables", "# Reading tables")],
     MODULE1, 9, "warning", "level-1 heading '# Reading tables': the module page shows the 'title'"),
    ("course-level-one-heading", [(COURSE, "## Sample Course", "# Sample Course")],
     COURSE, 34, "warning", "level-1 heading '# Sample Course': the course page shows the 'title'"),
    ("module-no-references", [(MODULE2, "references:\n  - Smith A. Answer keys. J Tests. 2021;3:5-6.\n", "")],
     MODULE2, 1, "warning", "the module has no references"),
    ("no-front-matter", [(MODULE1, "---\ntitle: Reading tables", "title: Reading tables")],
     MODULE1, 1, "error", "the file must start with a line '---'"),
    ("front-matter-not-closed", [(QUIZ, "minutes: 5\n---", "minutes: 5")],
     QUIZ, 1, "error", "the front matter that starts on line 1 is never closed"),
    ("not-utf8", [(MODULE2, None, b"---\ntitle: x\nminutes: 1\n---\n\ncaf\xe9\n")],
     MODULE2, 6, "error", "the file is not UTF-8 text (byte 0xe9)"),
    # --- files that span the course
    ("no-post-test", [(QUIZ, DELETE)],
     COURSE, 1, "error", "course 'sample-course' has no post-test: create"),
    ("quiz-without-course", [("quizzes/sample-cours.md", None, "---\nminutes: 1\n---\n")],
     "quizzes/sample-cours.md", 1, "error", "quiz 'sample-cours.md' has no course: courses/sample-cours/ does not "
                                            "exist (a quiz is named after its course folder); did you mean "
                                            "'sample-course'?"),
    ("no-course-md", [("courses/new-course/01-intro.md", None, MODULE_TEMPLATE)],
     "courses/new-course/course.md", 1, "error", "the course folder has no course.md"),
    ("no-modules", [("courses/empty-course/course.md", None,
                     (VALID / FOLLOW_UP).read_text(encoding="utf-8"))],
     "courses/empty-course/course.md", 1, "error", "the course has no modules"),
    ("questions-per-attempt", [(COURSE, "questions_per_attempt: 6", "questions_per_attempt: 8")],
     COURSE, 15, "error", "questions_per_attempt is 8 but the post-test"),
    # --- prerequisites
    ("prerequisite-unknown", [(COURSE, "prerequisites: []", "prerequisites:\n  - follow-up-cours")],
     COURSE, 23, "error", "prerequisite 'follow-up-cours' is not a course in courses/; "
                          "did you mean 'follow-up-course'?"),
    ("prerequisite-cycle", [(COURSE, "prerequisites: []", "prerequisites: [follow-up-course]")],
     FOLLOW_UP, 9, "error", "prerequisites form a cycle: follow-up-course → sample-course → follow-up-course"),
    ("prerequisite-self", [(COURSE, "prerequisites: []", "prerequisites: [sample-course]")],
     COURSE, 22, "error", "prerequisites form a cycle: sample-course → sample-course"),
    # --- CE warnings
    ("pass-mark-low", [(COURSE, "pass_mark: 80", "pass_mark: 60")],
     COURSE, 11, "warning", "pass_mark 60 is below 70"),
    ("questions-per-hour-drawn", [(COURSE, "prerequisites: []", "prerequisites: []\nce_hours: 2")],
     COURSE, 15, "warning", "the post-test draws 6 questions for 2 CE hours; CE accreditors usually expect at "
                            "least 6 per hour (12 here): add questions or raise questions_per_attempt"),
    ("questions-per-hour-pool", [(COURSE, "questions_per_attempt: 6\n", ""),
                                 (COURSE, "prerequisites: []", "prerequisites: []\nce_hours: 1.5")],
     QUIZ, 1, "warning", "the post-test draws 7 questions for 1.5 CE hours"),
    # --- programs.yml
    ("program-unknown-course", [(PROGRAMS, "follow-up-course]", "follow-up-cours]")],
     PROGRAMS, 5, "error", "program 'sample-program' lists course 'follow-up-cours', which does not exist in "
                           "courses/; did you mean 'follow-up-course'?"),
    ("program-missing-title", [(PROGRAMS, "    title: Sample Program\n", "")],
     PROGRAMS, 2, "error", "program 1: required key 'title' is missing"),
    ("program-unknown-key", [(PROGRAMS, "summary:", "sumary:")],
     PROGRAMS, 4, "error", "program 1: unknown key 'sumary'; did you mean 'summary'?"),
    ("programs-malformed", [(PROGRAMS, "programs:", "programs: [")],
     PROGRAMS, 2, "error", "malformed YAML"),
]


def test_valid_content_has_no_problems() -> None:
    content, problems = check_paths(VALID / "courses", VALID / "quizzes")
    assert problems == []
    assert sorted(content.courses) == ["follow-up-course", "sample-course"]
    assert list(content.programs) == ["sample-program"]


@pytest.mark.parametrize(("edits", "file", "line", "severity", "fragment"),
                         [pytest.param(*case[1:], id=case[0]) for case in CASES])
def test_rule(tmp_path: Path, edits: list, file: str, line: int, severity: str, fragment: str) -> None:
    root = copy_valid(tmp_path)
    apply(root, edits)
    _, problems = check(root)
    find(problems, file, line, severity, fragment)


def test_every_problem_is_reported_at_once(tmp_path: Path) -> None:
    root = copy_valid(tmp_path)
    apply(root, [(COURSE, "pass_mark: 80", "pass_mark: 120"),
                 (COURSE, "attempts_allowed: 3", "attempts_allowed: 0"),
                 (MODULE1, "minutes: 7", "minutes: 0"),
                 (MODULE1, "See also <https://example.org/tables>.", "See also [x](missing.md)."),
                 (MODULE1, "(images/dot.png)", "(images/missing.png)"),
                 (QUIZ, "[5, 10]", "[10, 5]"),
                 (QUIZ, "Id: sample-true-false", "Id: sample-single"),
                 (PROGRAMS, "follow-up-course]", "nope]")])
    _, problems = check(root)
    find(problems, COURSE, 11, "error", "pass_mark")
    find(problems, COURSE, 12, "error", "attempts_allowed")
    find(problems, MODULE1, 3, "error", "minutes")
    find(problems, MODULE1, 6, "error", "link 'missing.md'")
    find(problems, MODULE1, 20, "error", "images/missing.png")
    find(problems, QUIZ, 24, "error", "already used on line 8")
    find(problems, QUIZ, 51, "error", "minimum 10")
    find(problems, PROGRAMS, 5, "error", "'nope'")
    assert problems == sorted(problems)


def test_broken_course_and_its_programs_are_left_out(tmp_path: Path) -> None:
    root = copy_valid(tmp_path)
    apply(root, [(QUIZ, "[5, 10]", "[10, 5]")])
    content, _ = check(root)
    assert list(content.courses) == ["follow-up-course"]
    assert content.programs == {}


def test_courses_in_a_cycle_are_left_out(tmp_path: Path) -> None:
    root = copy_valid(tmp_path)
    apply(root, [(COURSE, "prerequisites: []", "prerequisites: [follow-up-course]")])
    content, _ = check(root)
    assert content.courses == {}


def test_warnings_keep_the_course(tmp_path: Path) -> None:
    root = copy_valid(tmp_path)
    apply(root, [(COURSE, "pass_mark: 80", "pass_mark: 60")])
    content, problems = check(root)
    assert [p.severity for p in problems] == ["warning"]
    assert content.courses["sample-course"].settings.pass_mark == 60


def test_missing_courses_folder(tmp_path: Path) -> None:
    content, problems = check_paths(tmp_path / "nope", tmp_path / "quizzes")
    assert content.courses == {}
    find(problems, "nope", 1, "error", "the courses folder does not exist")


def test_check_course_for_one_folder() -> None:
    course, problems = check_course(VALID / "courses" / "sample-course", VALID / "quizzes" / "sample-course.md",
                                    known_courses={"sample-course", "follow-up-course"})
    assert problems == []
    assert course is not None and course.slug == "sample-course"


def test_check_course_reports_unknown_prerequisites_only_when_told_the_courses() -> None:
    folder, quiz = VALID / "courses" / "follow-up-course", VALID / "quizzes" / "follow-up-course.md"
    assert check_course(folder, quiz)[1] == []
    course, problems = check_course(folder, quiz, known_courses={"follow-up-course"})
    assert course is None
    find(problems, FOLLOW_UP, 9, "error", "prerequisite 'sample-course' is not a course")


def test_check_module_text_without_a_folder() -> None:
    module, problems = check_module_text("---\ntitle: T\nminutes: 3\nreferences: [R.]\n---\n\n"
                                         "![x](images/a.png) [y](javascript:x) <i>z</i>\n", "04-typed.md")
    assert module is None  # the javascript: link is an error
    find(problems, "04-typed.md", 7, "error", "uses 'javascript:'")
    find(problems, "04-typed.md", 7, "warning", "raw HTML is removed by the sanitiser: <i>")
    assert not any("images/a.png" in p.message for p in problems)  # existence needs the course folder


def test_an_email_autolink_passes_the_checker() -> None:
    module, problems = check_module_text("---\ntitle: T\nminutes: 3\nreferences: [R.]\n---\n\n"
                                         "Questions: <help@example.org>.\n", "05-contact.md",
                                         course_dir=VALID / "courses" / "sample-course")
    assert problems == [] and module is not None


def test_an_unclosed_html_block_is_an_error_at_its_line() -> None:
    module, problems = check_module_text("---\ntitle: T\nminutes: 3\nreferences: [R.]\n---\n\n"
                                         "Intro.\n\n<div class=\"box\">\n\nThe rest of the module.\n", "06-box.md")
    assert module is None
    find(problems, "06-box.md", 9, "error", "'<div class=\"box\">' is never closed, so the 2 lines after it are read as raw HTML")


def test_check_module_text_in_its_folder() -> None:
    text = (VALID / MODULE1).read_text(encoding="utf-8").replace("images/dot.png", "images/none.png")
    _, problems = check_module_text(text, "01-reading-tables.md", course_dir=VALID / "courses" / "sample-course")
    find(problems, "01-reading-tables.md", 20, "error", "image 'images/none.png' not found")


def test_check_quiz_text() -> None:
    quiz, problems = check_quiz_text((VALID / QUIZ).read_text(encoding="utf-8"))
    assert problems == []
    assert quiz is not None and len(quiz.questions) == 7
    quiz, problems = check_quiz_text("---\nminutes: 1\n---\nId: q\n1.  Q?\n*a) A\nb)  B\n", "typed.md")
    assert quiz is None
    find(problems, "typed.md", 5, "error", "question 'q' has no 'Rationale:'")
