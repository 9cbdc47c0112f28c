"""The item analysis page: who may see it, what it says before there are enough responses, and its markup."""
from __future__ import annotations

import random
import re
import shutil
from pathlib import Path

import pytest

from academy.content.sync import Source, import_content
from academy.learning.attempts import drawn_questions, open_attempt, submit
from academy.learning.enrollment import complete_module, published_course, start_course
from academy.extensions import db
from academy.models import Course, CourseTrainer
from tests.conftest import Browserless

DATA = Path(__file__).resolve().parents[1] / "data" / "valid"
PAGE = "/courses/sample-course/item-analysis"


@pytest.fixture
def site(app, tmp_path):
    """The sample content imported, on an app that serves the item analysis page."""
    root = tmp_path / "content"
    shutil.copytree(DATA, root)
    assert not import_content([Source(root / "courses", root / "quizzes")]).errors
    return app


def signed_in(app, make_user, role: str, *, assigned: bool = True) -> Browserless:
    """A signed-in user; trainers are assigned to the sample course unless `assigned` is false."""
    user = make_user(role)
    if role == "trainer" and assigned:
        course = db.session.scalar(db.select(Course).where(Course.slug == "sample-course"))
        db.session.add(CourseTrainer(course_id=course.id, user_id=user.id))
        db.session.commit()
    web = Browserless(app.test_client())
    assert web.login(user.email).status_code == 302
    return web


def sit(user, seed: int, right: bool) -> None:
    enrollment = start_course(user, published_course("sample-course"))
    for module in enrollment.version.modules:
        complete_module(enrollment, module)
    attempt = open_attempt(user, enrollment, rng=random.Random(seed))
    answers = {}
    for question in drawn_questions(attempt):
        key = question.answer_key
        if question.type in ("single", "true_false"):
            answers[question.qid] = key["correct"][0] if right else ""
        elif question.type == "multiple":
            answers[question.qid] = key["correct"] if right else []
        elif question.type == "short":
            answers[question.qid] = key["accepted"][0] if right else "no"
        else:
            answers[question.qid] = str(key["min"]) if right else "-1000"
    submit(user, attempt, answers)


@pytest.mark.parametrize(("role", "status"), [("clinician", 403), ("trainer", 200), ("administrator", 200)])
def test_only_trainers_and_administrators_see_it(site, make_user, role: str, status: int) -> None:
    assert signed_in(site, make_user, role).client.get(PAGE).status_code == status


def test_a_trainer_sees_only_the_courses_assigned_to_them(site, make_user) -> None:
    assert signed_in(site, make_user, "trainer", assigned=False).client.get(PAGE).status_code == 404


def test_signed_out_visitors_are_sent_to_sign_in(site) -> None:
    response = site.test_client().get(PAGE)
    assert response.status_code == 302 and "/login" in response.headers["Location"]


def test_an_unknown_course_is_404(site, make_user) -> None:
    assert signed_in(site, make_user, "trainer").client.get("/courses/nope/item-analysis").status_code == 404


def test_nothing_is_shown_before_there_are_enough_responses(site, make_user) -> None:
    html = signed_in(site, make_user, "trainer").client.get(PAGE).get_data(as_text=True)
    assert "Item analysis: Sample Course" in html
    assert ("Not shown yet: 0 submitted attempts so far; figures are shown from 10, because with fewer each "
            "clinician&#39;s answer swings them (and could be told apart).") in html
    assert html.count("Not shown yet: 0 responses so far") == 7
    assert "<svg" not in html and "Facility is the mean score" in html


def test_figures_histogram_and_flags_once_there_are_enough(site, make_user) -> None:
    site.config["ACADEMY_ITEM_ANALYSIS_MIN_RESPONSES"] = 1
    for seed, right in ((1, True), (2, True), (3, False)):
        sit(make_user(), seed, right)
    html = signed_in(site, make_user, "administrator").client.get(PAGE).get_data(as_text=True)
    assert "3 submitted attempts" in html and "Mean score</dt><dd>66.7%" in html
    assert "Not computed: the attempts drew different questions" in html  # KR-20 with random draws
    # the histogram: an SVG with a text equivalent, and the same figures in a table
    assert re.search(r'<svg [^>]*role="img" aria-labelledby="histogram-title histogram-desc"', html)
    assert "<desc id=\"histogram-desc\">Attempts per 10-point score band: 0–10%: 1;" in html
    assert '<th scope="row">90–100%</th><td>2</td>' in html
    assert "<caption>Figures per question</caption>" in html and '<th scope="col">Discrimination</th>' in html
    assert "Choices picked: <code>sample-single</code>" in html


def test_flags_are_written_out(site, make_user) -> None:
    site.config["ACADEMY_ITEM_ANALYSIS_MIN_RESPONSES"] = 1
    for seed in (1, 2):
        sit(make_user(), seed, True)  # every answer right: every question is too easy
    html = signed_in(site, make_user, "trainer").client.get(PAGE).get_data(as_text=True)
    shown = html.count('<th scope="row"><code>') - html.count("Not shown yet: 0 responses")  # drawn at least once
    assert shown >= 6 and html.count('<strong class="flag">Flag: too easy</strong>') == shown


def test_the_page_obeys_the_content_security_policy(site, make_user) -> None:
    site.config["ACADEMY_ITEM_ANALYSIS_MIN_RESPONSES"] = 1
    sit(make_user(), 1, True)
    response = signed_in(site, make_user, "trainer").client.get(PAGE)
    html = response.get_data(as_text=True)
    assert "script-src 'self'" in response.headers["Content-Security-Policy"]
    assert " style=" not in html and "<style" not in html and "<script" not in html
    assert '<link rel="stylesheet" href="/static/item_analysis.css">' in html
