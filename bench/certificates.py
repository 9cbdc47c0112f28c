"""Certificate PDF and public verification lookup.

    python -m bench.certificates [--database-url URL] [--runs 50]

Goals (certificates issue): a PDF in under 50 ms at the median; a
verification lookup in one indexed query. The lookup is also shown as a
ratio to the trivial /healthz route measured in the same run.
"""
from __future__ import annotations

import argparse
import statistics
import tempfile
import time
from datetime import date, timedelta
from pathlib import Path

from flask_migrate import upgrade
from sqlalchemy import event

from academy import create_app
from academy.extensions import db

ROOT = Path(__file__).resolve().parents[1]


def _median_ms(action, runs: int) -> float:
    action()
    times = []
    for _ in range(runs):
        start = time.perf_counter()
        action()
        times.append((time.perf_counter() - start) * 1000)
    return statistics.median(times)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--database-url")
    parser.add_argument("--runs", type=int, default=50)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        url = args.database_url or f"sqlite:///{Path(tmp) / 'bench.sqlite3'}"
        app = create_app({"SQLALCHEMY_DATABASE_URI": url, "INSTANCE_PATH": str(Path(tmp) / "instance"),
                          "SECRET_KEY": "bench", "ACADEMY_VERIFY_LIMIT": "100000 per minute"})
        with app.app_context():
            upgrade()
            from academy.content.sync import Source, import_content
            from academy.learning.certificates import pdf_of
            from academy.models import Certificate, Course
            from tests.web.test_admin import certify
            from academy.accounts.service import create_user

            import_content([Source(ROOT / "courses", ROOT / "quizzes")])
            user = create_user("bench@example.org", "Łukasz Nguyễn", "clinician", "bench password 12345")
            course = db.session.scalar(db.select(Course).where(Course.slug == "kap-medical-screening"))
            certify(user, course, expires_on=date.today() + timedelta(days=700))
            certificate = db.session.scalar(db.select(Certificate))
            code = certificate.code
            pdf_ms = _median_ms(lambda: pdf_of(certificate), args.runs)
        client = app.test_client()
        health_ms = _median_ms(lambda: client.get("/healthz"), args.runs)
        verify_ms = _median_ms(lambda: client.get(f"/verify/{code}"), args.runs)
        with app.app_context():
            statements = []
            listener = lambda conn, cursor, statement, *a: statements.append(statement)  # noqa: E731
            event.listen(db.engine, "before_cursor_execute", listener)
            client.get(f"/verify/{code}")
            event.remove(db.engine, "before_cursor_execute", listener)
        selects = [s for s in statements if s.lstrip().upper().startswith("SELECT")]
    print(f"database: {url.split(':')[0]}; {args.runs} runs each")
    print("| measurement | median ms | ratio to /healthz | goal | met |")
    print("| --- | --- | --- | --- | --- |")
    print(f"| /healthz (baseline) | {health_ms:.2f} | 1.0 | – | – |")
    print(f"| certificate PDF | {pdf_ms:.1f} | {pdf_ms / health_ms:.0f} | < 50 ms | {'yes' if pdf_ms < 50 else 'NO'} |")
    print(f"| verification page, {len(selects)} SELECT | {verify_ms:.2f} | {verify_ms / health_ms:.1f} | one query | "
          f"{'yes' if len(selects) == 1 else 'NO'} |")


if __name__ == "__main__":
    main()
