"""Demo data: consistent with the application's own rules, near the target counts, created once."""
from collections import Counter, defaultdict
from pathlib import Path

import pytest

from academy import create_app
from academy.accounts.passwords import verify_password
from academy.admin.demo_data import DEMO_DOMAIN, HISTORY_YEARS, DemoDataError, create_demo_data
from academy.cli_admin import demo_data_command
from academy.content.sync import Source, import_content
from academy.extensions import db
from academy.learning.certificates import add_months, local_date, today
from academy.learning.grading import Graded, score_percent
from academy.models import (Attempt, Certificate, Completion, CourseVersion, Enrollment, Evaluation, Group,
                            GroupMembership, Module, ModuleProgress, Question, RequirementAssignment,
                            RequirementCourse, RequirementSet, User)
from tests.conftest import BASE_CONFIG

ROOT = Path(__file__).resolve().parents[2]
CLINICIANS = 40


def import_shipped() -> None:
    """The courses Academy ships with, imported as `flask academy import` would."""
    report = import_content([Source(ROOT / "courses", ROOT / "quizzes")])
    assert not report.errors


@pytest.fixture
def shipped(app):
    import_shipped()


@pytest.fixture
def demo(shipped):
    return create_demo_data(CLINICIANS, seed=7)


def all_of(model):
    return db.session.scalars(db.select(model)).all()


def test_counts_are_near_the_targets(demo):
    counts = demo.counts
    assert counts["clinicians"] == CLINICIANS == db.session.scalar(db.select(db.func.count(User.id)))
    assert counts["groups"] == 20 and counts["memberships"] >= CLINICIANS * 0.8
    assert 5 * CLINICIANS <= counts["attempts"] <= 12 * CLINICIANS
    assert 1.5 * CLINICIANS <= counts["completions"] <= 4 * CLINICIANS
    assert counts["certificates"] == counts["completions"] == counts["evaluations"]
    assert {name: len(all_of(model)) for name, model in [
        ("attempts", Attempt), ("completions", Completion), ("certificates", Certificate), ("groups", Group),
        ("module_progress", ModuleProgress), ("memberships", GroupMembership)]} == \
        {name: counts[name] for name in ("attempts", "completions", "certificates", "groups", "module_progress",
                                         "memberships")}


def test_people_look_real_and_share_one_password(demo):
    users = all_of(User)
    assert all(user.email.endswith(f"@{DEMO_DOMAIN}") and user.email.isascii() for user in users)
    assert any(not user.full_name.isascii() for user in users)
    assert {user.role for user in users} == {"clinician"} and all(user.is_verified for user in users)
    assert len({user.profession for user in users}) >= 4
    assert all(user.license_number and len(user.license_state) == 2 for user in users)
    assert len({user.password_hash for user in users}) == 1
    assert verify_password(users[0].password_hash, demo.password)


def test_attempts_draw_real_questions_and_are_graded_against_the_pass_mark(demo):
    versions = {version.id: version for version in all_of(CourseVersion)}
    qids = defaultdict(set)
    for version_id, qid in db.session.execute(db.select(Question.version_id, Question.qid)):
        qids[version_id].add(qid)
    submitted = [attempt for attempt in all_of(Attempt) if attempt.status == "submitted"]
    assert submitted
    for attempt in submitted:
        settings = versions[attempt.version_id].settings
        drawn = [item["qid"] for item in attempt.draw]
        assert len(drawn) == len(set(drawn)) == settings["questions_per_attempt"]
        assert set(drawn) <= qids[attempt.version_id]
        assert set(attempt.answers) == set(attempt.results) == set(drawn)
        score = score_percent([Graded(r["score"], r["correct"]) for r in attempt.results.values()])
        assert float(attempt.score) == score
        assert attempt.passed == (score >= settings["pass_mark"])
    passed = sum(attempt.passed for attempt in submitted) / len(submitted)
    assert 0.2 < passed < 0.8


def test_enrollments_progress_and_attempts_follow_the_rules(demo):
    modules = Counter(version_id for version_id, in db.session.execute(db.select(Module.version_id)))
    read = defaultdict(list)
    for progress in all_of(ModuleProgress):
        read[progress.enrollment_id].append(progress.completed_at)
    attempts = defaultdict(list)
    for attempt in all_of(Attempt):
        attempts[attempt.enrollment_id].append(attempt)
    for enrollment in all_of(Enrollment):
        sittings = sorted(attempts[enrollment.id], key=lambda attempt: attempt.number)
        assert [attempt.number for attempt in sittings] == list(range(1, len(sittings) + 1))
        assert all(attempt.user_id == enrollment.user_id and attempt.version_id == enrollment.version_id
                   for attempt in sittings)
        if sittings:  # every module read before the first attempt
            assert len(read[enrollment.id]) == modules[enrollment.version_id]
            assert max(read[enrollment.id]) <= sittings[0].started_at
        assert sum(attempt.passed is True for attempt in sittings) <= 1


def test_every_certificate_stands_on_a_completion_of_its_holder(demo):
    completions = {completion.id: completion for completion in all_of(Completion)}
    users = {user.id: user for user in all_of(User)}
    evaluated = {evaluation.enrollment_id for evaluation in all_of(Evaluation)}
    certificates = all_of(Certificate)
    for certificate in certificates:
        completion = completions[certificate.completion_id]
        assert (certificate.user_id, certificate.course_id, certificate.version_id) == \
            (completion.user_id, completion.course_id, completion.version_id)
        assert completion.enrollment_id in evaluated
        attempt = db.session.get(Attempt, completion.attempt_id)
        assert attempt.passed and attempt.enrollment_id == completion.enrollment_id
        completed_on = local_date(completion.completed_at)
        assert certificate.expires_on == add_months(completed_on, 24)
        snapshot = certificate.snapshot
        assert snapshot["code"] == certificate.code and len(certificate.code) == 26
        assert snapshot["holder_name"] == users[certificate.user_id].full_name
        assert snapshot["completion_date"] == completed_on.isoformat()
        assert snapshot["expires_on"] == certificate.expires_on.isoformat()
    current = Counter((c.user_id, c.course_id) for c in certificates if c.superseded_by_id is None)
    assert max(current.values()) == 1
    by_id = {certificate.id: certificate for certificate in certificates}
    for certificate in certificates:
        if certificate.superseded_by_id:
            newer = by_id[certificate.superseded_by_id]
            assert (newer.user_id, newer.course_id) == (certificate.user_id, certificate.course_id)
            assert newer.issued_at > certificate.issued_at and certificate.revoked_at is None


def test_expiry_dates_spread_over_expired_expiring_and_valid(demo):
    day = today()
    expiries = [c.expires_on for c in all_of(Certificate) if c.superseded_by_id is None and c.revoked_at is None]
    assert min(expiries) < day < max(expiries)
    # Joined at most HISTORY_YEARS ago, certified for two years: expired at most HISTORY_YEARS - 2 years ago.
    assert all((expiry - day).days >= -(HISTORY_YEARS - 2) * 366 for expiry in expiries)
    assert all((expiry - day).days <= 2 * 366 for expiry in expiries)


def test_the_requirement_set_is_assigned_with_due_dates(demo):
    [clearance] = all_of(RequirementSet)
    assert clearance.name == "KAP clinician clearance"
    slugs = {course.course.slug for course in all_of(RequirementCourse)}
    assert slugs == {"kap-medical-screening", "kap-psychological-assessment", "suicide-risk-assessment"}
    targets = sorted((a.target_type, a.profession or "") for a in all_of(RequirementAssignment))
    assert targets == [("group", ""), ("profession", "Nurse practitioner"), ("profession", "Psychiatrist")]


def fingerprint() -> list:
    people = db.session.execute(db.select(User.full_name, User.profession, User.license_number).order_by(User.id))
    scores = db.session.scalars(db.select(Attempt.score).order_by(Attempt.id))
    return [tuple(row) for row in people] + list(scores)


def test_the_same_seed_gives_the_same_people_and_scores(demo, databases, tmp_path):
    first = fingerprint()
    folder = tmp_path / "second"
    folder.mkdir()
    url = databases.create(folder)
    other = create_app({**BASE_CONFIG, "SQLALCHEMY_DATABASE_URI": url, "INSTANCE_PATH": str(folder / "instance")})
    try:
        with other.app_context():
            import_shipped()
            create_demo_data(CLINICIANS, seed=7)
            assert fingerprint() == first
            db.session.remove()
            db.engine.dispose()
    finally:
        databases.drop(url)


def test_the_command_prints_counts_and_the_password_and_a_second_run_refuses(app, shipped):
    runner = app.test_cli_runner()
    first = runner.invoke(demo_data_command, ["--clinicians", "12", "--seed", "3"])
    assert first.exit_code == 0, first.output
    assert "Created demo data in" in first.output and "clinicians" in first.output
    password = first.output.rsplit("password: ", 1)[1].strip()
    assert verify_password(db.session.scalar(db.select(User.password_hash).limit(1)), password)

    second = runner.invoke(demo_data_command, ["--clinicians", "12"])
    assert second.exit_code == 1
    assert "exist in this database already" in second.output
    assert db.session.scalar(db.select(db.func.count(User.id))) == 12


def test_without_published_courses_it_says_to_import_them(app):
    with pytest.raises(DemoDataError, match="flask academy import"):
        create_demo_data(5)
    assert db.session.scalar(db.select(db.func.count(User.id))) == 0
