"""Web benchmarks under gunicorn (2 workers), driven by wrk, as ratios against baselines served in the same run.

    python -m bench.web [--seconds 10] [--rounds 3] [--database-url URL]

The module page for a signed-in clinician (goal: at least 0.5 of a trivial
route's requests per second) is compared with three trivial routes:

- bench/baseline.py, a bare Flask app returning "ok";
- /bench/public in the same gunicorn server as the module page
  (bench/academy_ok.py), returning "ok" to anyone: Academy's app and
  extensions without a user or the database;
- /bench/ok in that server, returning "ok" to the same signed-in clinician,
  so it pays what every signed-in Academy page pays and nothing more.

"Module page vs /bench/ok" is what the module page itself costs; "/bench/ok
vs the bare app" is the most any signed-in page can reach. Each round
measures every route for --seconds; the table gives the medians.

Also: grading + recording a 20-question post-test submission in-process
(goal: median under 20 ms).
"""
from __future__ import annotations

import argparse
import os
import re
import shutil
import signal
import socket
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
SECRET = "benchmark secret key"


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def serve(app_path: str, env: dict, port: int) -> subprocess.Popen:
    process = subprocess.Popen(
        [sys.executable, "-m", "gunicorn", "--workers", "2", "--bind", f"127.0.0.1:{port}", "--log-level",
         "warning", app_path], cwd=ROOT, env={**os.environ, **env}, start_new_session=True)
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        try:
            socket.create_connection(("127.0.0.1", port), timeout=1).close()
            return process
        except OSError:
            time.sleep(0.1)
    process.kill()
    raise RuntimeError(f"gunicorn did not start for {app_path}")


def stop(process: subprocess.Popen) -> None:
    os.killpg(process.pid, signal.SIGTERM)
    process.wait(timeout=30)


def wrk(url: str, seconds: int, headers: dict | None = None) -> float:
    """Requests per second measured by wrk (2 threads, 16 connections)."""
    command = ["wrk", "-t2", "-c16", f"-d{seconds}s", url]
    for name, value in (headers or {}).items():
        command += ["-H", f"{name}: {value}"]
    output = subprocess.run(command, check=True, capture_output=True, text=True).stdout
    non_2xx = re.search(r"Non-2xx or 3xx responses: (\d+)", output)
    if non_2xx:
        raise RuntimeError(f"{url}: {non_2xx.group(1)} error responses\n{output}")
    return float(re.search(r"Requests/sec:\s+([\d.]+)", output).group(1))


def prepare(url: str, instance: Path):
    """Migrate, import the shipped courses, and give a clinician a course ready for the post-test."""
    from flask_migrate import upgrade

    from academy import create_app
    from academy.accounts.service import create_user
    from academy.content.sync import Source, import_content
    from academy.learning import enrollment

    app = create_app({"SQLALCHEMY_DATABASE_URI": url, "INSTANCE_PATH": str(instance), "SECRET_KEY": SECRET})
    with app.app_context():
        upgrade()
        import_content([Source(ROOT / "courses", ROOT / "quizzes")])
        user = create_user("bench@example.org", "Bench Clinician", "clinician", "bench password 12345")
        course = enrollment.published_course("kap-medical-screening")
        taking = enrollment.start_course(user, course)
        for module in taking.version.modules:
            enrollment.complete_module(taking, module)
    client = app.test_client()
    page = client.get("/login").get_data(as_text=True)
    token = re.search(r'name="csrf_token" type="hidden" value="([^"]+)"', page).group(1)
    client.post("/login", data={"email": "bench@example.org", "password": "bench password 12345",
                                "csrf_token": token})
    return app, client.get_cookie("session").value


def grading_times(app, runs: int) -> list[float]:
    """Milliseconds to grade and record one 20-question submission (attempt opened beforehand)."""
    from academy.extensions import db
    from academy.learning import attempts, enrollment
    from academy.models import Attempt, AttemptGrant, Question, User

    times = []
    with app.app_context():
        user = db.session.scalar(db.select(User))
        course = enrollment.published_course("kap-medical-screening")
        taking = enrollment.current_enrollment(user, course)
        version = taking.version
        version.settings = {**version.settings, "questions_per_attempt": 20, "attempt_wait_hours": 0,
                            "attempts_allowed": None}
        db.session.add(AttemptGrant(user_id=user.id, course_id=course.id, extra_attempts=runs))
        db.session.commit()
        keys = {q.qid: q for q in db.session.scalars(db.select(Question).where(Question.version_id == version.id))}
        for _ in range(runs):
            attempt = attempts.open_attempt(user, taking)
            answers = {}
            for item in attempt.draw:
                question = keys[item["qid"]]
                answers[item["qid"]] = (item["choices"][:1] if question.type == "multiple" else
                                        item["choices"][0] if question.choices else "0")
            start = time.perf_counter()
            attempts.submit(user, attempt, answers)
            times.append((time.perf_counter() - start) * 1000)
            db.session.execute(db.delete(Attempt).where(Attempt.id == attempt.id))
            db.session.commit()
    return times


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--seconds", type=int, default=10)
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--database-url", help="default: a temporary SQLite file")
    args = parser.parse_args()
    if shutil.which("wrk") is None:
        sys.exit("wrk is needed: apt-get install wrk")
    with tempfile.TemporaryDirectory() as tmp:
        tmp = Path(tmp)
        url = args.database_url or f"sqlite:///{tmp / 'bench.sqlite3'}"
        app, cookie = prepare(url, tmp / "instance")
        env = {"DATABASE_URL": url, "SECRET_KEY": SECRET, "ACADEMY_INSTANCE_PATH": str(tmp / "instance")}
        base_port, app_port = free_port(), free_port()
        baseline = serve("bench.baseline:app", {}, base_port)
        academy = serve("bench.academy_ok:app", env, app_port)
        signed_in = {"Cookie": f"session={cookie}"}
        urls = {"bare": (f"http://127.0.0.1:{base_port}/", None),
                "public": (f"http://127.0.0.1:{app_port}/bench/public", None),
                "ok": (f"http://127.0.0.1:{app_port}/bench/ok", signed_in),
                "module": (f"http://127.0.0.1:{app_port}/courses/kap-medical-screening/modules/1", signed_in)}
        rates = {name: [] for name in urls}
        try:
            for address, headers in urls.values():
                wrk(address, 2, headers)  # warm up
            for _ in range(args.rounds):
                for name, (address, headers) in urls.items():
                    rates[name].append(wrk(address, args.seconds, headers))
        finally:
            stop(academy)
            stop(baseline)
        times = grading_times(app, 50)
    median = statistics.median(times)
    bare, public, ok, module = (statistics.median(rates[name]) for name in ("bare", "public", "ok", "module"))
    print(f"database: {url.split(':')[0]}; gunicorn 2 workers; wrk 2 threads, 16 connections; "
          f"median of {args.rounds} rounds of {args.seconds} s")
    print("| measurement | value | baseline | ratio | goal | met |")
    print("| --- | --- | --- | --- | --- | --- |")
    print(f"| module page, signed-in clinician, vs Academy's /bench/ok for the same clinician | {module:.0f} req/s | "
          f"{ok:.0f} req/s | {module / ok:.2f} | ≥ 0.5 | {'yes' if module / ok >= 0.5 else 'NO'} |")
    print(f"| module page, signed-in clinician, vs a bare Flask app | {module:.0f} req/s | {bare:.0f} req/s | "
          f"{module / bare:.2f} | ≥ 0.5 | {'yes' if module / bare >= 0.5 else 'NO'} |")
    print(f"| Academy's /bench/ok vs a bare Flask app (the ceiling for a signed-in page) | {ok:.0f} req/s | "
          f"{bare:.0f} req/s | {ok / bare:.2f} | – | – |")
    print(f"| Academy's /bench/public (no user, no database) vs a bare Flask app | {public:.0f} req/s | "
          f"{bare:.0f} req/s | {public / bare:.2f} | – | – |")
    print(f"| grade + record 20-question submission (median of {len(times)}) | {median:.1f} ms | – | – | "
          f"< 20 ms | {'yes' if median < 20 else 'NO'} |")

if __name__ == "__main__":
    main()
