"""Question-bank commands of the ``flask academy …`` group (registered in academy.cli): thin wrappers.

`gift import` / `gift export` move a course's post-test pool between its
quiz file and Moodle's GIFT format (academy.content.gift); `item-analysis`
prints the item analysis of a course's current version
(academy.learning.item_analysis).
"""
from __future__ import annotations

import os
import tempfile
from pathlib import Path

import click
from flask.cli import with_appcontext

from academy.content.model import Problem, QuizDoc


@click.group("gift")
def gift_group():
    """Moodle GIFT question files: import into a post-test pool, export a pool."""


@gift_group.command("import")
@click.argument("file", type=click.Path(exists=True, dir_okay=False, path_type=Path))
@click.option("--course", "slug", required=True, help="The course whose pool (quizzes/SLUG.md) gets the questions.")
@click.option("--id-prefix", default="gift", show_default=True,
              help="New questions get the Id PREFIX-<slug of the question's name or text>.")
@click.option("--dry-run", is_flag=True, help="Show the questions that would be appended; write nothing.")
@with_appcontext
def gift_import(file: Path, slug: str, id_prefix: str, dry_run: bool):
    """Append the questions of a GIFT FILE to a course's post-test pool, in Academy's Markdown.

    Unsupported questions (essay, matching, description) are skipped with a
    warning. Nothing is written if any question is malformed, or if the pool
    with the new questions would not pass `flask academy check`; otherwise the
    quiz file is replaced in one step (a temporary file renamed over it).
    """
    from academy.content.gift import gift_to_markdown
    from academy.content.parse import SLUG_RE, read_text

    if not SLUG_RE.match(id_prefix):
        raise click.BadParameter("use lower-case letters, digits and hyphens, starting with a letter",
                                 param_hint="--id-prefix")
    course_dir, quiz_path = _course_paths(slug)
    existing = _existing_pool(quiz_path, course_dir)
    problems: list[Problem] = []
    gift_text = read_text(file, problems)
    markdown = ""
    if gift_text is not None:
        ids = {question.id for question in existing.questions} if existing else set()
        markdown, problems = gift_to_markdown(gift_text, existing_ids=ids, id_prefix=id_prefix, path=str(file),
                                              first_number=len(ids) + 1)
    _report(problems)
    if not markdown:
        raise click.ClickException(f"Nothing imported: {_errors(problems)} errors in {file}. Fix them and run the "
                                   "import again.")
    count = sum(line.startswith("Id: ") for line in markdown.split("\n"))  # continuation lines are indented
    combined = _with_questions(quiz_path, markdown, count)
    _check_result(combined, quiz_path, course_dir)
    if dry_run:
        click.echo(markdown, nl=False)
        click.echo(f"Dry run: {count} questions would be appended to {quiz_path}; nothing written.")
        return
    write_atomically(quiz_path, combined)
    click.echo(f"Appended {count} questions to {quiz_path}. Review them, then run `flask academy check` and "
               "`flask academy import`.")


@gift_group.command("export")
@click.argument("slug")
@click.option("-o", "--output", type=click.Path(dir_okay=False, path_type=Path),
              help="Write the GIFT to this file instead of standard output.")
@with_appcontext
def gift_export(slug: str, output: Path | None):
    """Write a course's post-test pool (its quiz file, quizzes/SLUG.md) as GIFT for Moodle.

    The quiz file is what trainers edit and what `gift import` appends to,
    so it is exported rather than the database's current version; a round
    trip through GIFT gives the same questions back.
    """
    from academy.content.gift import markdown_to_gift

    course_dir, quiz_path = _course_paths(slug)
    quiz = _existing_pool(quiz_path, course_dir)
    if quiz is None:
        raise click.ClickException(f"Course '{slug}' has no post-test: {quiz_path} does not exist.")
    gift = markdown_to_gift(quiz)
    if output is None:
        click.echo(gift, nl=False)
        return
    write_atomically(output, gift)
    click.echo(f"Wrote {len(quiz.questions)} questions to {output}.")


@click.command("item-analysis")
@click.argument("slug")
@click.option("--csv", "csv_path", type=click.Path(dir_okay=False, path_type=Path),
              help="Also write one row per question to this CSV file.")
@click.option("--min-responses", type=click.IntRange(min=1), default=None,
              help="Responses a question needs before its figures are shown "
                   "(default: ACADEMY_ITEM_ANALYSIS_MIN_RESPONSES, else 10).")
@with_appcontext
def item_analysis_command(slug: str, csv_path: Path | None, min_responses: int | None):
    """Print the item analysis of a course's current version, from its submitted attempts."""
    from academy.learning.errors import NotFound
    from academy.learning.item_analysis_db import course_item_analysis

    try:
        version, analysis = course_item_analysis(slug, min_responses=min_responses)
    except NotFound:
        raise click.ClickException(f"No imported course has the slug '{slug}'.") from None
    click.echo(f"Item analysis of {version.title} ({slug} {version.version})")
    for line in _report_lines(analysis):
        click.echo(line)
    if csv_path is not None:
        write_atomically(csv_path, "".join(_csv_chunks(analysis)))
        click.echo(f"Wrote {len(analysis.items)} questions to {csv_path}.")


def write_atomically(path: Path, text: str) -> None:
    """Write a temporary file beside `path`, then rename it over `path`: readers see the old or the new file,
    never half of one, and a failure leaves the old file as it was."""
    handle, temporary = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".tmp")
    try:
        with os.fdopen(handle, "w", encoding="utf-8", newline="\n") as stream:
            stream.write(text)
            stream.flush()
            os.fsync(stream.fileno())
        os.chmod(temporary, path.stat().st_mode if path.exists() else 0o644)
        os.replace(temporary, path)
    except BaseException:
        Path(temporary).unlink(missing_ok=True)
        raise


# --------------------------------------------------------------------------- gift helpers


def _course_paths(slug: str) -> tuple[Path, Path]:
    """The course folder (which must exist) and its quiz file, in the configured folders."""
    from academy.cli import _default_source

    source = _default_source()
    course_dir = source.courses_dir / slug
    if not (course_dir / "course.md").is_file():
        raise click.ClickException(f"There is no course '{slug}': {course_dir / 'course.md'} does not exist.")
    return course_dir, source.quizzes_dir / f"{slug}.md"


def _existing_pool(quiz_path: Path, course_dir: Path) -> QuizDoc | None:
    """The pool in the quiz file (None if there is no file yet); refuse to go on from a broken one."""
    from academy.content.parse import read_text
    from academy.content.validate import check_quiz_text

    if not quiz_path.exists():
        return None
    problems: list[Problem] = []
    text = read_text(quiz_path, problems)
    quiz = None
    if text is not None:
        quiz, problems = check_quiz_text(text, str(quiz_path), course_dir=course_dir)
    if quiz is None:
        _report(problems)
        raise click.ClickException(f"{quiz_path} has errors; fix them first (`flask academy check` lists them).")
    return quiz


def _with_questions(quiz_path: Path, markdown: str, count: int) -> str:
    """The quiz file with the questions appended; a new file gets front matter (one minute per question)."""
    if quiz_path.exists():
        return quiz_path.read_text(encoding="utf-8").rstrip("\n") + "\n\n" + markdown
    return f"---\nminutes: {count}\n---\n\n{markdown}"


def _check_result(text: str, quiz_path: Path, course_dir: Path) -> None:
    """The file that would be written must pass the same check as `flask academy check`."""
    from academy.content.validate import check_quiz_text

    quiz, problems = check_quiz_text(text, str(quiz_path), course_dir=course_dir)
    if quiz is None:
        _report(problems)
        raise click.ClickException(f"Nothing written: {quiz_path} with the new questions would have "
                                   f"{_errors(problems)} errors (their lines are those of the combined file).")


def _report(problems: list[Problem]) -> None:
    from academy.cli import _relative

    for problem in problems:
        click.echo(_relative(problem), err=True)


def _errors(problems: list[Problem]) -> int:
    return sum(problem.severity == "error" for problem in problems)


# --------------------------------------------------------------------------- item-analysis output


def _report_lines(analysis) -> list[str]:
    """The analysis as text: the test's figures, then a line per question and one per choice."""
    from academy.learning.item_analysis import BANDS

    lines = [f"{analysis.attempts} submitted attempts; figures are shown from {analysis.min_responses} responses."]
    if analysis.withheld:
        lines.append(f"Test: not shown: {analysis.withheld}.")
    else:
        kr20 = f"{analysis.kr20:.2f}" if analysis.kr20 is not None else analysis.kr20_note
        lines += [f"Test: mean score {analysis.mean_percent:.1f}%; KR-20 reliability {kr20}.", "Score distribution:"]
        lines += [f"  {band:>8}  {count:>4}  {'#' * count}" for band, count in zip(BANDS, analysis.histogram)]
    lines.append(f"{'Question':<40} {'Responses':>9} {'Facility':>8} {'Discrim.':>8}  Flags")
    for item in analysis.items:
        lines += _item_lines(item)
    return lines


def _item_lines(item) -> list[str]:
    if item.withheld:
        return [f"{item.qid:<40} {item.responses:>9}  not shown: {item.withheld}"]
    discrimination = f"{item.discrimination:.2f}" if item.discrimination is not None else "—"
    lines = [f"{item.qid:<40} {item.responses:>9} {item.facility:>8.2f} {discrimination:>8}  "
             f"{', '.join(item.flags)}".rstrip()]
    if item.discrimination_note:
        lines.append(f"    discrimination {item.discrimination_note}")
    lines += [f"    {'*' if c.correct else ' '}{c.key}) picked {c.picked} ({c.share:.0%}): {c.text}"
              for c in item.choices]
    if item.unanswered:
        lines.append(f"     no answer: {item.unanswered}")
    return lines


_CSV_HEADER = ["qid", "type", "question", "responses", "facility", "discrimination", "flags", "note", "choices"]


def _csv_chunks(analysis):
    """One row per question; cells that look like formulas are neutralised for spreadsheets."""
    from academy.admin.csvsafe import stream

    def figure(value: float | None) -> str:
        return "" if value is None else f"{value:.3f}"

    rows = ([item.qid, item.type, item.label, item.responses, figure(item.facility), figure(item.discrimination),
             "; ".join(item.flags), item.withheld or item.discrimination_note,
             "; ".join(f"{'*' if c.correct else ''}{c.key}: {c.picked}" for c in item.choices)]
            for item in analysis.items)
    return stream(_CSV_HEADER, rows)
