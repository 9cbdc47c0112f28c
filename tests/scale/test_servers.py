"""Real gunicorn processes on one database: scale-out, concurrency and a worker killed mid-request.

Every request goes to 127.0.0.1; every loop is bounded.
"""
from __future__ import annotations

import http.client
import random
import shutil
import threading
import time
from pathlib import Path

import pytest

from academy.accounts.passwords import hash_password
from academy.content.sync import Source, import_content
from academy.extensions import db
from academy.learning.attempts import drawn_questions, open_attempt
from academy.learning.enrollment import complete_module, published_course, start_course
from academy.models import Attempt, User
from tests.conftest import BASE_CONFIG, PASSWORD
from tests.support.servers import Client, Server
from tests.web.test_shared_rate_limit import redis_url  # noqa: F401

DATA = Path(__file__).resolve().parents[1] / "data" / "valid"


@pytest.fixture
def site(app, tmp_path):
    root = tmp_path / "content"
    shutil.copytree(DATA, root)
    assert not import_content([Source(root / "courses", root / "quizzes")]).errors
    return app


def server_env(app, **extra) -> dict[str, str]:
    """The same database, secret and instance as the test's app: what several app servers share."""
    return {"DATABASE_URL": app.config["SQLALCHEMY_DATABASE_URI"], "SECRET_KEY": BASE_CONFIG["SECRET_KEY"],
            "ACADEMY_INSTANCE_PATH": app.instance_path, "ACADEMY_LOGIN_LIMIT": "1000 per minute",
            "ACADEMY_2FA_REQUIRED_ROLES": "", "ACADEMY_BASE_URL": "http://academy.test", **extra}


def clinicians_with_open_attempts(count: int) -> list[tuple[str, str, dict]]:
    """(email, attempt id, right answers as form fields) for `count` clinicians ready to submit."""
    password_hash = hash_password(PASSWORD)
    ready = []
    course = published_course("sample-course")
    for n in range(count):
        user = User(email=f"load{n}@example.org", full_name=f"Load {n}", password_hash=password_hash,
                    role="clinician", email_verified_at=db.func.now())
        db.session.add(user)
        db.session.commit()
        user = db.session.get(User, user.id)
        enrollment = start_course(user, course)
        for module in enrollment.version.modules:
            complete_module(enrollment, module)
        attempt = open_attempt(user, enrollment, rng=random.Random(n))
        ready.append((user.email, attempt.public_id, _right_answers(attempt)))
    db.session.commit()
    return ready


def _right_answers(attempt) -> dict:
    form = {}
    for question in drawn_questions(attempt):
        key, name = question.answer_key, f"q-{question.qid}"
        if question.type in ("single", "true_false"):
            form[name] = key["correct"][0]
        elif question.type == "multiple":
            form[name], form[f"{name}-present"] = key["correct"], "1"
        elif question.type == "short":
            form[name] = key["accepted"][0]
        else:
            form[name] = str(key["min"])
    return form


def assert_each_recorded_once(expected: int) -> None:
    db.session.rollback()
    attempts = db.session.scalars(db.select(Attempt)).all()
    assert len(attempts) == expected
    for attempt in attempts:
        assert attempt.status == "submitted" and attempt.passed is True
        assert attempt.score is not None and attempt.results  # no half-written rows


def run_all(jobs) -> None:
    threads = [threading.Thread(target=job) for job in jobs]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=120)
    assert not any(thread.is_alive() for thread in threads)


def test_two_instances_share_sessions_rate_limits_and_records(site, redis_url):  # noqa: F811
    ready = clinicians_with_open_attempts(6)
    env = server_env(site, ACADEMY_RATELIMIT_STORAGE_URL=redis_url)
    first, second = Server(env, workers=2), Server(env, workers=2)
    try:
        # signed in on one instance, the session continues on the other
        email, public_id, answers = ready[0]
        client = Client(first.url)
        assert client.login(email, PASSWORD) == 302
        assert client.request("/learning", base=second.url)[0] == 200
        # the same submissions sent through both instances at once are recorded once each
        statuses = []

        def submit(email, public_id, answers, base):
            def job():
                c = Client(base)
                c.login(email, PASSWORD)
                statuses.append(c.post(f"/attempts/{public_id}/submit", answers, form=f"/attempts/{public_id}")[0])
            return job
        run_all([submit(e, p, a, base) for e, p, a in ready[1:] for base in (first.url, second.url)])
        assert statuses == [302] * 10
        db.session.rollback()
        submitted = [a for a in db.session.scalars(db.select(Attempt)) if a.status == "submitted"]
        assert len(submitted) == 5 and all(a.results for a in submitted)
    finally:
        first.stop()
        second.stop()
    # sign-in throttling holds across instances and workers (shared Redis)
    env = server_env(site, ACADEMY_RATELIMIT_STORAGE_URL=redis_url, ACADEMY_LOGIN_LIMIT="5 per 15 minutes")
    first, second = Server(env, workers=2), Server(env, workers=2)
    try:
        guessers = [Client(first.url), Client(second.url)]
        for attempt in range(5):
            assert guessers[attempt % 2].login("load5@example.org", "wrong password here") == 200
        assert Client(second.url).login("load5@example.org", PASSWORD) == 429
        assert Client(first.url).login("load5@example.org", PASSWORD) == 429
    finally:
        first.stop()
        second.stop()


def test_fifty_concurrent_submissions_across_four_workers(site):
    ready = clinicians_with_open_attempts(50)
    server = Server(server_env(site), workers=4)
    statuses = []
    try:
        clients = []
        for email, public_id, answers in ready:
            client = Client(server.url)
            assert client.login(email, PASSWORD) == 302
            clients.append((client, public_id, answers, client.token(f"/attempts/{public_id}")))
        barrier = threading.Barrier(len(clients))

        def job(client, public_id, answers, token):
            def run():
                barrier.wait(timeout=60)
                statuses.append(client.request(f"/attempts/{public_id}/submit", {**answers, "csrf_token": token})[0])
            return run
        run_all([job(*c) for c in clients])
    finally:
        server.stop()
    assert statuses == [302] * 50, statuses
    assert_each_recorded_once(50)


def test_a_worker_killed_mid_submission_loses_nothing_and_retries_record_once(site):
    ready = clinicians_with_open_attempts(20)
    server = Server(server_env(site), workers=2)
    results = []
    try:
        prepared = []
        for email, public_id, answers in ready:
            client = Client(server.url)
            assert client.login(email, PASSWORD) == 302
            prepared.append((client, public_id, answers, client.token(f"/attempts/{public_id}")))
        start = threading.Event()

        def job(client, public_id, answers, token):
            def run():
                start.wait(timeout=60)
                for _ in range(30):  # the client retries the same submission until it gets an answer
                    try:
                        results.append(client.request(f"/attempts/{public_id}/submit",
                                                      {**answers, "csrf_token": token})[0])
                        return
                    except (OSError, http.client.HTTPException):  # the worker died under the request
                        time.sleep(0.2)
            return run
        threads = [threading.Thread(target=job(*p)) for p in prepared]
        for thread in threads:
            thread.start()
        start.set()
        victim = server.workers()[0]
        import os
        import signal
        os.kill(victim, signal.SIGKILL)
        for thread in threads:
            thread.join(timeout=120)
    finally:
        server.stop()
    assert len(results) == 20 and all(status in (302, 200) for status in results), results
    assert_each_recorded_once(20)
