"""The clinician's journey through the real routes, on SQLite and PostgreSQL."""
import re
import shutil
from datetime import timedelta
from pathlib import Path

import pytest

from academy.content.sync import Source, import_content
from academy.extensions import db
from academy.models import Attempt, Completion, Course, Question, User
from tests.conftest import Browserless, csrf_from, outbox, statements_of

DATA = Path(__file__).resolve().parents[1] / "data" / "valid"
GOOD = "a long enough passphrase for tests"


@pytest.fixture
def content(app, tmp_path):
    root = tmp_path / "content"
    shutil.copytree(DATA, root)
    report = import_content([Source(root / "courses", root / "quizzes")])
    assert not report.errors
    return root


def attempt_id(response) -> str:
    return re.search(r"/attempts/([\w-]+)", response.headers["Location"]).group(1)


def form_answers(public_id: str, correct: bool) -> dict:
    """Build the answers a clinician would give, from the stored key (right or all wrong)."""
    attempt = db.session.scalar(db.select(Attempt).where(Attempt.public_id == public_id))
    data = {}
    for item in attempt.draw:
        question = db.session.scalar(db.select(Question).where(Question.version_id == attempt.version_id,
                                                               Question.qid == item["qid"]))
        key, name = question.answer_key, f"q-{question.qid}"
        if question.type in ("single", "true_false"):
            data[name] = key["correct"][0] if correct else next(k for k in item["choices"] if k not in key["correct"])
        elif question.type == "multiple":
            data[name] = key["correct"] if correct else [k for k in item["choices"] if k not in key["correct"]]
            data[f"{name}-present"] = "1"
        elif question.type == "short":
            data[name] = key["accepted"][0].upper() if correct else "something else"
        else:
            data[name] = str(key["min"]) if correct else str(key["max"] + 1000)
    return data


def read_all_modules(web, slug: str, count: int):
    for position in range(1, count + 1):
        page = web.client.get(f"/courses/{slug}/modules/{position}")
        assert page.status_code == 200
        web.form_post(f"/courses/{slug}/modules/{position}/complete", {},
                      form_url=f"/courses/{slug}/modules/{position}")


def test_whole_journey(app, web, content):
    # register and confirm
    web.form_post("/register", {"email": "nurse@example.org", "full_name": "Łukasz Nguyễn", "credentials": "RN",
                                "profession": "Nurse", "license_number": "RN-1", "license_state": "WA",
                                "password": GOOD, "confirm": GOOD})
    link = re.search(r"http://academy\.test(/confirm/\S+)", outbox(app)[-1]).group(1)
    web.form_post(link, {})
    assert web.login("nurse@example.org", GOOD).status_code == 302

    # catalog: both courses; the follow-up needs the sample course first
    catalog = web.client.get("/courses").get_data(as_text=True)
    assert "Sample Course" in catalog and "Follow-up Course" in catalog
    assert "Complete first: Sample Course" in catalog
    refused = web.form_post("/courses/follow-up-course/start", {}, form_url="/courses/follow-up-course",
                            follow=True)
    assert "Complete these courses first: Sample Course" in refused.get_data(as_text=True)

    # start, read the modules
    started = web.form_post("/courses/sample-course/start", {}, form_url="/courses/sample-course")
    assert started.headers["Location"].endswith("/courses/sample-course/modules/1")
    early = web.form_post("/courses/sample-course/test", {}, form_url="/courses/sample-course", follow=True)
    assert "Finish the modules first: 0 of 2 are complete." in early.get_data(as_text=True)
    read_all_modules(web, "sample-course", 2)
    assert "Post-test" not in web.client.get("/courses").get_data(as_text=True)
    assert "In progress (100%)" in web.client.get("/courses").get_data(as_text=True)

    # fail the first attempt
    opened = web.form_post("/courses/sample-course/test", {}, form_url="/courses/sample-course")
    first = attempt_id(opened)
    assert web.client.get(f"/attempts/{first}").status_code == 200
    web.form_post(f"/attempts/{first}/submit", form_answers(first, correct=False), form_url=f"/attempts/{first}")
    result = web.client.get(f"/attempts/{first}").get_data(as_text=True)
    assert "did not pass" in result and "Rationale" not in result  # review only after passing
    assert "Attempts left: 2." in result and "Your next attempt can start after" in result
    history = re.search(r"<h2>Attempt history</h2>(.*?)</table>", result, re.S).group(1)
    assert re.findall(r"<tr><td>.*?</tr>", history, re.S)[0].count("Not passed") == 1

    # no evaluation (and so no credit) before passing
    ratings = {key: "4" for key in ("objectives_met", "relevance", "quality", "bias_free", "recommend")}
    early = web.form_post("/courses/sample-course/evaluation",
                          {**ratings, "hours_claimed": "0.25", "attest": "y"}, follow=True)
    assert "pass the post-test before the evaluation" in early.get_data(as_text=True)
    assert db.session.scalar(db.select(db.func.count(Completion.id))) == 0

    # the retake waits 1.5 hours
    wait = web.form_post("/courses/sample-course/test", {}, form_url="/courses/sample-course", follow=True)
    assert "You can start your next attempt after" in wait.get_data(as_text=True)
    attempt = db.session.scalar(db.select(Attempt).where(Attempt.public_id == first))
    attempt.submitted_at -= timedelta(hours=2)
    db.session.commit()

    # pass the second attempt
    second = attempt_id(web.form_post("/courses/sample-course/test", {}, form_url="/courses/sample-course"))
    assert second != first
    web.form_post(f"/attempts/{second}/submit", form_answers(second, correct=True), form_url=f"/attempts/{second}")
    result = web.client.get(f"/attempts/{second}").get_data(as_text=True)
    assert "100.0%" in result and "passed" in result and "Rationale" in result

    # evaluation and attestation, then completion
    page = "/courses/sample-course/evaluation"
    over = web.form_post(page, {**ratings, "hours_claimed": "5", "attest": "y"})
    assert "at most 0.25 hours" in over.get_data(as_text=True)
    unattested = web.form_post(page, {**ratings, "hours_claimed": "0.25"})
    assert "Confirm the attestation" in unattested.get_data(as_text=True)
    done = web.form_post(page, {**ratings, "hours_claimed": "0.25", "attest": "y", "comments": "Clear."})
    assert done.status_code == 302
    user = db.session.scalar(db.select(User).where(User.email == "nurse@example.org"))
    [completion] = db.session.scalars(db.select(Completion).where(Completion.user_id == user.id)).all()
    assert str(completion.hours) == "0.25"

    # transcript, catalog status, and the follow-up course is open now
    learning = web.client.get("/learning").get_data(as_text=True)
    assert "Sample Course" in learning and "0.25" in learning
    assert "Certified until" in web.client.get("/courses").get_data(as_text=True)
    assert web.form_post("/courses/follow-up-course/start", {},
                         form_url="/courses/follow-up-course").status_code == 302
    transcript = web.client.get("/learning/transcript").get_data(as_text=True)
    assert "Łukasz Nguyễn" in transcript and "RN-1" in transcript
    per_year = re.search(r"<caption>Hours per year</caption>.*?<tbody>(.*?)</tbody>", transcript, re.S).group(1)
    from academy.learning.certificates import local_date
    year = local_date(completion.completed_at).year  # the year in Academy's time zone
    assert re.findall(r"<td>(\d{4})</td><td>([\d.]+)</td>", per_year) == [(str(year), "0.25")]
    assert "0.25 in total" in transcript

    # a second evaluation does not complete twice
    web.client.get(page)
    assert db.session.scalar(db.select(db.func.count(Completion.id))) == 1

    # own data export
    export = web.client.get("/profile/export.json")
    assert export.status_code == 200 and export.json["completions"][0]["course"] == "sample-course"
    assert [a["passed"] for a in export.json["attempts"]] == [False, True] and len(export.json["evaluations"]) == 1
    [certificate] = export.json["certificates"]
    assert certificate["course"] == "sample-course" and certificate["certified"]["holder_name"] == "Łukasz Nguyễn"
    from academy.models import Certificate
    assert certificate["code"] == db.session.scalar(db.select(Certificate.code))
    assert "password_hash" not in export.get_data(as_text=True)


@pytest.fixture
def ready(app, content, make_user):
    """A confirmed clinician who has read every module of the sample course."""
    user = make_user()
    web = Browserless(app.test_client())
    web.login(user.email)
    web.form_post("/courses/sample-course/start", {}, form_url="/courses/sample-course")
    read_all_modules(web, "sample-course", 2)
    return web


def open_attempt(web) -> str:
    return attempt_id(web.form_post("/courses/sample-course/test", {}, form_url="/courses/sample-course"))


def test_attempt_page_has_no_answer_key(ready):
    public_id = open_attempt(ready)
    html = ready.client.get(f"/attempts/{public_id}").get_data(as_text=True)
    for question in db.session.scalars(db.select(Question)):
        key = question.answer_key
        for text in [key["rationale"], key.get("general"), key.get("when_correct"), *key.get("feedback", {}).values()]:
            if text:
                assert text not in html
        for accepted in key.get("accepted", []):
            assert accepted not in html
    assert "correct" not in html.lower().replace("incorrect", "")


def test_reload_shows_the_same_draw_and_saved_answers(ready):
    public_id = open_attempt(ready)
    first = ready.client.get(f"/attempts/{public_id}").get_data(as_text=True)
    assert open_attempt(ready) == public_id  # starting again returns the open attempt
    without_tokens = lambda html: re.sub(r'name="csrf_token"[^>]*>', "", html)  # noqa: E731
    again = ready.client.get(f"/attempts/{public_id}").get_data(as_text=True)
    assert without_tokens(again) == without_tokens(first)
    attempt = db.session.scalar(db.select(Attempt).where(Attempt.public_id == public_id))
    assert len(attempt.draw) == 6  # questions_per_attempt
    answers = form_answers(public_id, correct=True)
    qid = attempt.draw[0]["qid"]
    one = {k: v for k, v in answers.items() if k.startswith(f"q-{qid}")}
    saved = ready.client.post(f"/attempts/{public_id}/save", data={
        **one, "csrf_token": re.search(r'name="csrf_token" value="([^"]+)"', first).group(1)},
        headers={"Accept": "application/json"})
    assert saved.json == {"saved": True}
    db.session.expire_all()
    assert qid in attempt.answers


def test_answers_outside_the_draw_are_refused(ready):
    public_id = open_attempt(ready)
    attempt = db.session.scalar(db.select(Attempt).where(Attempt.public_id == public_id))
    drawn = {item["qid"] for item in attempt.draw}
    other = next(q.qid for q in db.session.scalars(db.select(Question)) if q.qid not in drawn)
    refused = ready.form_post(f"/attempts/{public_id}/submit", {f"q-{other}": "a"},
                              form_url=f"/attempts/{public_id}", follow=True)
    assert "not part of this attempt" in refused.get_data(as_text=True)
    single = next(item for item in attempt.draw if db.session.scalar(
        db.select(Question.type).where(Question.qid == item["qid"])) in ("single", "true_false"))
    wrong_choice = ready.form_post(f"/attempts/{public_id}/submit", {f"q-{single['qid']}": "z"},
                                   form_url=f"/attempts/{public_id}", follow=True)
    assert "not one of the question" in wrong_choice.get_data(as_text=True)
    db.session.expire_all()
    assert attempt.status == "open"


def test_client_score_and_user_fields_are_ignored(ready):
    public_id = open_attempt(ready)
    answers = form_answers(public_id, correct=False)
    ready.form_post(f"/attempts/{public_id}/submit", {**answers, "score": "100", "passed": "1",
                                                      "user_id": "999"}, form_url=f"/attempts/{public_id}")
    attempt = db.session.scalar(db.select(Attempt).where(Attempt.public_id == public_id))
    assert attempt.passed is False and float(attempt.score) < 80


def test_double_submission_records_once(ready):
    public_id = open_attempt(ready)
    page = ready.client.get(f"/attempts/{public_id}").get_data(as_text=True)
    token = re.search(r'name="csrf_token" value="([^"]+)"', page).group(1)
    right = {**form_answers(public_id, correct=True), "csrf_token": token}
    wrong = {**form_answers(public_id, correct=False), "csrf_token": token}
    assert ready.client.post(f"/attempts/{public_id}/submit", data=right).status_code == 302
    assert ready.client.post(f"/attempts/{public_id}/submit", data=wrong).status_code == 302
    attempt = db.session.scalar(db.select(Attempt).where(Attempt.public_id == public_id))
    assert attempt.passed is True
    assert db.session.scalar(db.select(db.func.count(Attempt.id))) == 1


def test_attempt_limit(ready):
    for _ in range(3):
        public_id = open_attempt(ready)
        ready.form_post(f"/attempts/{public_id}/submit", form_answers(public_id, correct=False),
                        form_url=f"/attempts/{public_id}")
        for attempt in db.session.scalars(db.select(Attempt)):
            attempt.submitted_at -= timedelta(hours=2)
        db.session.commit()
    refused = ready.form_post("/courses/sample-course/test", {}, form_url="/courses/sample-course", follow=True)
    assert "used all your attempts" in refused.get_data(as_text=True)


def test_time_limit_extend_and_late_submission(ready):
    public_id = open_attempt(ready)
    attempt = db.session.scalar(db.select(Attempt).where(Attempt.public_id == public_id))
    deadline = attempt.deadline_at
    assert deadline is not None  # the sample course has a 30-minute limit
    page = ready.client.get(f"/attempts/{public_id}").get_data(as_text=True)
    assert "Extend time" in page and "data-deadline" in page
    ready.form_post(f"/attempts/{public_id}/extend", {}, form_url=f"/attempts/{public_id}")
    db.session.expire_all()
    assert attempt.deadline_at > deadline and attempt.extensions == 1
    # time runs out: late answers are refused, answers saved before count
    attempt.deadline_at = attempt.deadline_at - timedelta(hours=2)
    db.session.commit()
    late = ready.form_post(f"/attempts/{public_id}/submit", form_answers(public_id, correct=True),
                           form_url=f"/attempts/{public_id}", follow=True)
    assert "time ran out" in late.get_data(as_text=True)
    db.session.expire_all()
    assert attempt.status == "submitted" and float(attempt.score) == 0.0


def test_another_clinicians_attempt_and_records_are_404(app, ready, make_user):
    public_id = open_attempt(ready)
    other = Browserless(app.test_client())
    other.login(make_user().email)
    assert other.client.get(f"/attempts/{public_id}").status_code == 404
    page = other.client.get("/courses").get_data(as_text=True)
    assert other.client.post(f"/attempts/{public_id}/submit", data={
        "csrf_token": re.search(r'name="csrf_token" value="([^"]+)"', page).group(1)}).status_code == 404
    assert "Sample Course" not in other.client.get("/learning").get_data(as_text=True).split("Completed courses")[0]


def test_unconfirmed_clinician_cannot_start(app, content, web):
    web.form_post("/register", {"email": "new@example.org", "full_name": "New Person", "password": GOOD,
                                "confirm": GOOD})
    web.login("new@example.org", GOOD)
    page = web.form_post("/courses/sample-course/start", {}, form_url="/courses/sample-course", follow=True)
    assert "Confirm your email address before you start" in page.get_data(as_text=True)


def test_retired_course_is_hidden(app, ready):
    course = db.session.scalar(db.select(Course).where(Course.slug == "sample-course"))
    course.retired_at = course.created_at
    db.session.commit()
    assert ready.client.get("/courses/sample-course").status_code == 404
    assert "Sample Course" not in ready.client.get("/courses").get_data(as_text=True)


def test_twenty_concurrent_submissions_record_one_result(app, ready):
    """Twenty tabs submit at once, half with right and half with wrong answers: one of them is graded,
    whole, and the others find its result (on PostgreSQL the requests overlap, so only the conditional
    update in `attempts.submit` keeps them from grading twenty times)."""
    import threading

    from sqlalchemy import event

    public_id = open_attempt(ready)
    page = ready.client.get(f"/attempts/{public_id}").get_data(as_text=True)
    token = re.search(r'name="csrf_token" value="([^"]+)"', page).group(1)
    right, wrong = form_answers(public_id, correct=True), form_answers(public_id, correct=False)
    cookie = ready.client.get_cookie("session").value
    db.session.commit()  # the test's own session holds no transaction while the requests run
    statuses, gradings, barrier = [], [], threading.Barrier(20)

    def count_gradings(conn, cursor, statement, *args):
        if statement.lstrip().upper().startswith("UPDATE ATTEMPTS SET ANSWERS"):
            gradings.append(statement)

    def submit(answers):
        client = app.test_client()
        client.set_cookie("session", cookie, domain="localhost")
        barrier.wait()
        statuses.append(client.post(f"/attempts/{public_id}/submit", data={**answers, "csrf_token": token})
                        .status_code)

    event.listen(db.engine, "before_cursor_execute", count_gradings)
    try:
        threads = [threading.Thread(target=submit, args=(right if n % 2 else wrong,)) for n in range(20)]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join(timeout=60)
    finally:
        event.remove(db.engine, "before_cursor_execute", count_gradings)
    assert statuses == [302] * 20
    assert len(gradings) == 1
    db.session.expire_all()
    [attempt] = db.session.scalars(db.select(Attempt)).all()
    assert attempt.status == "submitted"
    assert (attempt.passed, float(attempt.score)) in ((True, 100.0), (False, 0.0))  # one submission, whole


def test_module_page_uses_a_constant_number_of_queries(app, ready):
    counts = [len(statements_of(ready.client, f"/courses/sample-course/modules/{position}")) for position in (1, 2)]
    assert counts[0] == counts[1] <= 2, counts  # the user, then everything the page shows


def test_grant_command_gives_an_extra_attempt_and_time(app, ready, runner, make_user):
    from academy.models import AuditEvent, User

    for _ in range(3):
        public_id = open_attempt(ready)
        ready.form_post(f"/attempts/{public_id}/submit", form_answers(public_id, correct=False),
                        form_url=f"/attempts/{public_id}")
        for attempt in db.session.scalars(db.select(Attempt)):
            attempt.submitted_at -= timedelta(hours=2)
        db.session.commit()
    email = db.session.scalar(db.select(User.email).where(User.role == "clinician"))
    result = runner.invoke(args=["academy", "grant", email, "sample-course", "--attempts", "1",
                                 "--minutes", "15", "--reason", "connection dropped"])
    assert result.exit_code == 0, result.output
    fourth = open_attempt(ready)
    attempt = db.session.scalar(db.select(Attempt).where(Attempt.public_id == fourth))
    assert attempt.number == 4
    assert (attempt.deadline_at - attempt.started_at).total_seconds() == (30 + 15) * 60
    assert db.session.scalar(db.select(AuditEvent).where(AuditEvent.action == "attempt.grant")) is not None
    refused = runner.invoke(args=["academy", "grant", email, "no-such-course", "--attempts", "1"])
    assert refused.exit_code != 0 and "No published course" in refused.output


def test_module_links_redirect_to_the_module_page(ready):
    response = ready.client.get("/courses/sample-course/m/checking-answers")
    assert response.status_code == 302 and response.headers["Location"].endswith("/courses/sample-course/modules/2")
    assert ready.client.get("/courses/sample-course/m/no-such-module").status_code == 404


def test_catalog_queries_do_not_grow_with_the_number_of_courses(app, content, ready):
    before = len(statements_of(ready.client, "/courses"))
    for copy in ("third-course", "fourth-course"):
        shutil.copytree(content / "courses" / "sample-course", content / "courses" / copy)
        shutil.copy(content / "quizzes" / "sample-course.md", content / "quizzes" / f"{copy}.md")
    assert not import_content([Source(content / "courses", content / "quizzes")]).errors
    assert "fourth-course" in ready.client.get("/courses").get_data(as_text=True)
    assert len(statements_of(ready.client, "/courses")) == before


def test_course_updated_mid_way_minor_keeps_the_version_begun_major_moves_and_says_so(app, content, make_user):
    from academy.models import Enrollment
    from tests.services.test_import import edit, run

    web = Browserless(app.test_client())
    web.login(make_user().email)
    web.form_post("/courses/sample-course/start", {}, form_url="/courses/sample-course")
    web.form_post("/courses/sample-course/modules/1/complete", {}, form_url="/courses/sample-course/modules/1")
    module = content / "courses" / "sample-course" / "01-reading-tables.md"
    course_file = content / "courses" / "sample-course" / "course.md"

    edit(module, "Doses are given", "Doses are listed")
    edit(course_file, "version: 1.2.0", "version: 1.3.0")
    assert run(content).changed == ["sample-course"]
    page = web.client.get("/courses/sample-course/modules/1").get_data(as_text=True)
    assert "Doses are given" in page and "You completed this module" in page and "major change" not in page

    edit(module, "Doses are listed", "Doses are written")
    edit(course_file, "version: 1.3.0", "version: 2.0.0")
    assert run(content).changed == ["sample-course"]
    page = web.client.get("/courses/sample-course/modules/1").get_data(as_text=True)
    assert "updated from version 1.2.0 to 2.0.0, a major" in page
    assert "Doses are written" in page and "Mark complete" in page  # the new version, progress started again
    enrollments = db.session.scalars(db.select(Enrollment).order_by(Enrollment.cycle)).all()
    assert [e.version.version for e in enrollments] == ["1.2.0", "2.0.0"]
    assert enrollments[0].superseded_at is not None and enrollments[1].superseded_at is None
    again = web.client.get("/courses/sample-course/modules/1").get_data(as_text=True)
    assert "major change" not in again  # told once


def test_two_requests_moving_the_same_clinician_record_one_move(app, content, make_user):
    """Two tabs open after a major update: the second finds the move the first made, and no error."""
    from academy.learning import enrollment
    from academy.models import Enrollment
    from tests.services.test_import import edit, run

    user = make_user()
    course = enrollment.published_course("sample-course")
    enrollment.start_course(user, course)
    edit(content / "courses" / "sample-course" / "01-reading-tables.md", "Doses are given", "Doses are listed")
    edit(content / "courses" / "sample-course" / "course.md", "version: 1.2.0", "version: 2.0.0")
    run(content)
    course = enrollment.published_course("sample-course")
    first_tab_read, second_tab_read = (enrollment.current_enrollment(user, course) for _ in range(2))
    first, moved = enrollment.kept_or_moved(user, course, first_tab_read)
    second, moved_too = enrollment.kept_or_moved(user, course, second_tab_read)
    assert second.id == first.id and moved == moved_too
    assert db.session.scalar(db.select(db.func.count()).select_from(Enrollment)) == 2


def test_actions_from_a_page_of_the_replaced_version_do_not_count_on_the_new_one(app, content, make_user):
    """A tab opened before a major update still shows the old module; its "Mark complete" moves the
    clinician and says so, and marks nothing in the new version."""
    from academy.models import Enrollment, ModuleProgress
    from tests.services.test_import import edit, run

    web = Browserless(app.test_client())
    web.login(make_user().email)
    web.form_post("/courses/sample-course/start", {}, form_url="/courses/sample-course")
    token = csrf_from(web.client.get("/courses/sample-course/modules/1").get_data(as_text=True))
    edit(content / "courses" / "sample-course" / "01-reading-tables.md", "Doses are given", "Doses are listed")
    edit(content / "courses" / "sample-course" / "course.md", "version: 1.2.0", "version: 2.0.0")
    run(content)
    stale = web.client.post("/courses/sample-course/modules/1/complete", data={"csrf_token": token},
                            follow_redirects=True).get_data(as_text=True)
    assert "updated from version 1.2.0 to 2.0.0, a major" in stale
    new = db.session.scalar(db.select(Enrollment).where(Enrollment.superseded_at.is_(None)))
    assert new.version.version == "2.0.0"
    assert db.session.scalar(db.select(db.func.count()).select_from(ModuleProgress)
                             .where(ModuleProgress.enrollment_id == new.id)) == 0
