"""Content import speed: a synthetic 200 courses × 10 modules × 20 questions, then the shipped courses.

    python -m bench.content_import [--courses 200] [--database-url URL]

Goals (content-engine issue): first import under 15 s; an unchanged
re-import under a fifth of that; the shipped content under 1 s. The
re-import is reported as a ratio against the first import of the same run.
"""
from __future__ import annotations

import argparse
import tempfile
import time
from pathlib import Path

from flask_migrate import downgrade, upgrade

from academy import create_app
from academy.content.sync import Source, import_content

ROOT = Path(__file__).resolve().parents[1]

COURSE = """---
title: Synthetic course {n}
version: 1.0.0
summary: A generated course for the import benchmark.
audience: Benchmarks.
objectives: [Measure the importer.]
questions_per_attempt: 20
pass_mark: 80
---
Overview of course {n}.
"""

MODULE = """---
title: Module {m}
minutes: 6
references: ["Benchmark B. A reference. J Bench. 2026;1:1."]
---
# Part {m}

Some text with a table:

| a | b |
|:--|--:|
| 1 | 2 |

!!! warning "Clinical warning"
    A warning in module {m}.

Footnote here[^1].

[^1]: The footnote.
"""

QUESTION = """Id: q-{q}
{q}.  What is {q} plus one?
a)  {q}
... Not quite.
*b) {q1}
... Right.
c)  {q2}
Rationale: Adding one to {q} gives {q1}.
"""


def generate(root: Path, courses: int) -> Source:
    for n in range(courses):
        folder = root / "courses" / f"synthetic-{n:03d}"
        folder.mkdir(parents=True)
        (folder / "course.md").write_text(COURSE.format(n=n))
        for m in range(1, 11):
            (folder / f"{m:02d}-module-{m}.md").write_text(MODULE.format(m=m))
    (root / "quizzes").mkdir()
    quiz = "---\nminutes: 20\n---\n\n" + "\n".join(QUESTION.format(q=q, q1=q + 1, q2=q + 2) for q in range(1, 21))
    for n in range(courses):
        (root / "quizzes" / f"synthetic-{n:03d}.md").write_text(quiz)
    return Source(root / "courses", root / "quizzes")


def fresh_app(url: str, instance: Path):
    return create_app({"SQLALCHEMY_DATABASE_URI": url, "INSTANCE_PATH": str(instance), "SECRET_KEY": "bench"})


def timed(source: Source) -> tuple[float, object]:
    start = time.perf_counter()
    report = import_content([source])
    return time.perf_counter() - start, report


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--courses", type=int, default=200)
    parser.add_argument("--database-url", help="default: a temporary SQLite file")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        tmp = Path(tmp)
        url = args.database_url or f"sqlite:///{tmp / 'bench.sqlite3'}"
        with fresh_app(url, tmp / "instance").app_context():
            upgrade()
            source = generate(tmp / "content", args.courses)
            first, report = timed(source)
            assert not report.errors and len(report.added) == args.courses, report.problems[:5]
            again, report = timed(source)
            assert len(report.unchanged) == args.courses
            downgrade(revision="base")  # an empty database again, for the shipped courses
            upgrade()
            shipped, report = timed(Source(ROOT / "courses", ROOT / "quizzes"))
            assert not report.errors
    rows = [
        ("first import", f"{args.courses}×10×20", first, "< 15 s", first < 15),
        ("unchanged re-import", "same", again, "< first/5", again < first / 5),
        ("shipped courses", "4 courses", shipped, "< 1 s", shipped < 1),
    ]
    print(f"database: {url.split(':')[0]}")
    print("| step | content | seconds | ratio to first import | goal | met |")
    print("| --- | --- | --- | --- | --- | --- |")
    for name, content, seconds, goal, met in rows:
        print(f"| {name} | {content} | {seconds:.2f} | {seconds / first:.3f} | {goal} | {'yes' if met else 'NO'} |")


if __name__ == "__main__":
    main()
