"""Realistic demonstration data at scale: clinicians in groups, their learning records and certificates.

It exists to try the administration views at the size they are built for
(10,000 clinicians) and to benchmark them. Everything is written with bulk
inserts in one transaction, a chunk of clinicians at a time so memory stays
flat, and follows the rules the application itself keeps: modules are read
before the first attempt, attempts draw real questions and are graded by the
real grader against the course's pass mark, a completion stands on a passed
attempt and an evaluation, and its certificate carries the same snapshot the
application would have frozen that day. The random choices come from the
seed (a generator per clinician), so a seed gives the same people and
histories, dated back from the moment it runs; certificate codes and attempt
ids come from `secrets`, as in production.
"""
from __future__ import annotations

import random
import secrets
import time
import unicodedata
from collections import Counter
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from decimal import Decimal
from itertools import accumulate

from flask import current_app
from sqlalchemy import insert, text

from academy.accounts.passwords import hash_password
from academy.admin.records import published_courses
from academy.audit import record_event
from academy.certificates import codes
from academy.certificates.snapshot import Snapshot
from academy.database import write_intent
from academy.extensions import db
from academy.learning.certificates import add_months, local_date
from academy.learning.completion import LIKERT_ITEMS
from academy.learning.grading import grade, score_percent
from academy.models import (Attempt, AttemptGrant, Certificate, Completion, Enrollment, Evaluation, Group,
                            GroupMembership, Module, ModuleProgress, Question, RequirementAssignment,
                            RequirementCourse, RequirementSet, User)
from academy.models.base import utcnow

DEMO_DOMAIN = "demo.academy.example.com"
CHUNK = 500  # clinicians generated and written at a time

FIRST_NAMES = (
    "Łukasz", "Zoë", "José", "Siobhán", "Søren", "Aoife", "Chidi", "Priya", "Wei", "Fatima", "Ngozi", "Björn",
    "Renée", "François", "Mateo", "Ana", "Mei", "Hiroshi", "Yuki", "Olumide", "Amara", "Jamal", "Leila",
    "Dmitri", "Olga", "Kwame", "Ines", "Raúl", "Camila", "Sarah", "Michael", "Jennifer", "David", "Emily",
    "James", "Maria", "Robert", "Linda", "Daniel", "Jessica", "Thomas", "Ashley", "Christopher", "Laura",
    "Anh", "Minh", "Thảo", "Arjun", "Sunita", "Tomás", "Niamh", "Eilidh", "Henrik", "Agnieszka", "Mehmet",
    "Ayşe", "Kalani", "Dakota", "Noa", "Yael",
)
LAST_NAMES = (
    "Nguyễn", "Kowalski", "O'Brien", "García", "Núñez", "Müller", "Åberg", "Dvořák", "Yılmaz", "Oyelaran",
    "Okafor", "Mensah", "Chen", "Wang", "Tanaka", "Sato", "Kim", "Park", "Patel", "Sharma", "Haddad",
    "Rahman", "Ivanova", "Petrov", "Smith", "Johnson", "Williams", "Brown", "Jones", "Miller", "Davis",
    "Rodríguez", "Martínez", "Hernández", "Lopez", "Wilson", "Anderson", "Taylor", "Thomas", "Moore",
    "Jackson", "Martin", "Lee", "Thompson", "White", "Harris", "Clark", "Lewis", "Walker", "Young",
    "Mac Giolla Phádraig", "van der Berg", "Støre", "Lindqvist", "Kealoha", "Begay", "Cohen", "Levi",
    "Fitzgerald", "Ó Súilleabháin",
)
# profession → (share in %, credentials, license number prefix)
PROFESSIONS = {
    "Psychologist": (20, ("PhD", "PsyD"), "PSY"),
    "LCSW": (24, ("LCSW",), "LCSW"),
    "Psychiatrist": (10, ("MD", "DO"), "MD"),
    "Nurse practitioner": (14, ("PMHNP-BC", "APRN"), "NP"),
    "Counselor": (20, ("LPC", "LMHC"), "LPC"),
    "Marriage and family therapist": (12, ("LMFT",), "LMFT"),
}
# Where KAP is practised most, weighted by a rough share of the clinicians.
STATES = {"CA": 18, "NY": 10, "TX": 8, "WA": 7, "OR": 6, "CO": 6, "MA": 5, "IL": 5, "FL": 5, "AZ": 4,
          "MN": 4, "NC": 4, "PA": 4, "MI": 3, "GA": 3, "VA": 3, "UT": 2, "NM": 2, "HI": 1}
SITES = (
    "Portland Downtown Clinic", "Seattle Capitol Hill Clinic", "Bay Area Ketamine Center", "Los Angeles Westside",
    "San Diego Coastal Clinic", "Denver Integrative Health", "Boulder Wellness Center", "Austin Mind Clinic",
    "Houston Medical Center", "New York Midtown Practice", "Brooklyn Community Clinic", "Boston Back Bay",
    "Chicago Loop Clinic", "Minneapolis Riverside", "Miami Beach Wellness", "Phoenix Desert Clinic",
    "Santa Fe Healing Arts", "Salt Lake Mountain Clinic", "Atlanta Midtown", "Honolulu Island Care",
)
REQUIREMENT_SET = "KAP clinician clearance"
REQUIRED_COURSES = ("kap-medical-screening", "kap-psychological-assessment", "suicide-risk-assessment")
COMMENTS = (
    "Clear and practical; the case examples helped most.",
    "The module on monitoring was the most useful for our clinic.",
    "Would like more on documentation templates.",
    "Good references. Some questions were harder than the material.",
    "Très utile — merci.",
    "Applied it in team supervision the following week.",
    "A little long, but thorough.",
)
# Relative odds that a clinician takes 0, 1, 2, 3 or 4 of the published courses.
ENGAGEMENT = (1, 2, 5, 12, 80)
HISTORY_YEARS = 5             # how long ago clinicians joined, at most
ABILITY = (0.72, 0.12)        # mean and spread of a clinician's chance to answer a question right
PRACTICE_GAIN = 0.02          # better on each further attempt
RECERTIFY_SHARE = 0.85        # of expiring certificates that are renewed
GRANT_SHARE = 0.9             # of clinicians out of attempts who are granted another
TRIES_WHEN_UNLIMITED = 4      # attempts people make at most when the course does not limit them
EVALUATE_SHARE = 0.95         # of passed post-tests followed by the evaluation
REVOKE_SHARE = 0.004          # of current certificates revoked
INACTIVE_SHARE = 0.02         # of accounts deactivated


# What the report counts, in the order it is printed.
COUNTED = ("clinicians", "groups", "memberships", "enrollments", "module_progress", "attempts", "grants",
           "completions", "evaluations", "certificates", "superseded_certificates", "revoked_certificates",
           "requirement_assignments")


class DemoDataError(Exception):
    """Demo data cannot be created; the message says why and what to do."""


@dataclass(frozen=True)
class CourseInfo:
    """What histories need to know of a published course's current version."""

    id: int
    version_id: int
    slug: str
    title: str
    version: str
    ce_hours: Decimal
    settings: dict
    module_ids: tuple[int, ...]
    questions: tuple[QuestionInfo, ...]   # in the author's order


@dataclass(frozen=True)
class QuestionInfo:
    """A question as plain data: read a million times, so no ORM attribute access."""

    qid: str
    type: str
    keys: tuple[str, ...]   # choice keys in the author's order
    answer_key: dict


@dataclass(eq=False)
class Person:
    row: dict           # the users row
    ability: float
    # The person's own generator: an event that falls before or after "now" depending on when the
    # command runs changes how many numbers one history draws, and must not shift everyone after.
    rng: random.Random
    id: int = 0


@dataclass(eq=False)
class Sitting:
    """One post-test attempt."""

    row: dict
    passed: bool
    id: int = 0


@dataclass(eq=False)
class Study:
    """One enrollment and what came of it."""

    person: Person
    course: CourseInfo
    cycle: int
    started_at: datetime
    read: list[datetime] = field(default_factory=list)      # when each module was completed, in order
    sittings: list[Sitting] = field(default_factory=list)
    granted_at: datetime | None = None                       # an extra attempt granted by an administrator
    completed_at: datetime | None = None
    hours: Decimal | None = None
    expires_on: date | None = None
    id: int = 0
    completion_id: int = 0
    certificate_id: int = 0

    @property
    def passing(self) -> Sitting | None:
        return next((sitting for sitting in self.sittings if sitting.passed), None)


@dataclass
class DemoReport:
    counts: Counter
    password: str
    seconds: float


def create_demo_data(clinicians: int, *, seed: int = 1) -> DemoReport:
    """Create `clinicians` demo clinicians with their groups, learning records, certificates and a
    requirement set, in one transaction."""
    started = time.perf_counter()
    with write_intent():
        _refuse_if_present()
        builder = Builder(seed, utcnow(), _catalog())
        for first in range(0, clinicians, CHUNK):
            builder.write_chunk(range(first, min(first + CHUNK, clinicians)))
        builder.write_requirement_set()
        record_event(None, "demo_data.create", None, {"seed": seed, **builder.counts}, actor_label="cli")
        db.session.commit()
    _refresh_statistics()
    return DemoReport(builder.counts, builder.password, time.perf_counter() - started)


def _refresh_statistics() -> None:
    """What a database needs after a bulk load, before autovacuum would get to it: statistics for the
    planner and, on PostgreSQL, the visibility map that lets the dashboard count from indexes alone."""
    if db.engine.dialect.name == "postgresql":
        with db.engine.connect().execution_options(isolation_level="AUTOCOMMIT") as connection:
            connection.exec_driver_sql("VACUUM ANALYZE")
    else:
        db.session.execute(text("ANALYZE"))
        db.session.commit()


def _refuse_if_present() -> None:
    if db.session.scalar(db.select(User.id).where(User.email.like(f"%@{DEMO_DOMAIN}")).limit(1)):
        raise DemoDataError(f"Demo clinicians (@{DEMO_DOMAIN}) exist in this database already; "
                            "use a fresh database to create them again.")


def _catalog() -> list[CourseInfo]:
    """The published courses as plain data; a course without a post-test cannot be completed, so it is left out."""
    courses = published_courses()
    if not courses:
        raise DemoDataError("There is no published course: run `flask academy import` first.")
    version_ids = [course.current_version_id for course in courses]
    modules, questions = {}, {}
    for version_id, module_id in db.session.execute(db.select(Module.version_id, Module.id).where(
            Module.version_id.in_(version_ids)).order_by(Module.position)):
        modules.setdefault(version_id, []).append(module_id)
    for question in db.session.scalars(db.select(Question).where(Question.version_id.in_(version_ids))
                                       .order_by(Question.position)):
        questions.setdefault(question.version_id, []).append(QuestionInfo(
            question.qid, question.type, tuple(choice["key"] for choice in question.choices), question.answer_key))
    return [CourseInfo(course.id, course.current_version_id, course.slug, course.current_version.title,
                       course.current_version.version, course.current_version.ce_hours,
                       course.current_version.settings, tuple(modules.get(course.current_version_id, ())),
                       tuple(questions.get(course.current_version_id, ())))
            for course in courses if questions.get(course.current_version_id)]


def _insert(model, rows: list[dict]) -> list[int]:
    """Bulk insert; the new ids in the order of the rows."""
    if not rows:
        return []
    return db.session.execute(insert(model).returning(model.id, sort_by_parameter_order=True), rows).scalars().all()


def _insert_plain(model, rows: list[dict]) -> None:
    if rows:
        db.session.execute(insert(model), rows)


class Builder:
    """Invents people and their histories from a seed, and writes them chunk by chunk."""

    def __init__(self, seed: int, now: datetime, catalog: list[CourseInfo]) -> None:
        self.seed, self.now, self.catalog = seed, now, catalog
        self.password = secrets.token_urlsafe(12)
        # One hash for every demo clinician: 10,000 scrypt hashes would take minutes.
        self.password_hash = hash_password(self.password)
        self.counts = Counter(dict.fromkeys(COUNTED, 0))
        self.group_ids = self._groups()
        self.provider_name = current_app.config["ACADEMY_PROVIDER_NAME"]
        self.signatory = current_app.config["ACADEMY_SIGNATORY"]

    # ------------------------------------------------------------ writing

    def write_chunk(self, indexes: range) -> None:
        """Invent the people and their histories, then write them table by table, each after the ids it needs."""
        people = [self._person(index) for index in indexes]
        studies = [study for person in people for study in self._studies(person)]
        for person, user_id in zip(people, _insert(User, [person.row for person in people])):
            person.id = user_id
        memberships = [{"user_id": person.id, "group_id": group_id} for person in people
                       for group_id in self._memberships(person)]
        _insert_plain(GroupMembership, memberships)
        for study, enrollment_id in zip(studies, _insert(Enrollment, [self._enrollment_row(s) for s in studies])):
            study.id = enrollment_id
        _insert_plain(ModuleProgress, [{"enrollment_id": study.id, "module_id": module_id, "completed_at": moment}
                                       for study in studies for module_id, moment in zip(study.course.module_ids,
                                                                                         study.read)])
        sittings = [(study, sitting) for study in studies for sitting in study.sittings]
        _insert_plain(Attempt, [{**sitting.row, "enrollment_id": study.id, "user_id": study.person.id}
                                for study, sitting in sittings])
        self._read_back_passing_ids([study.passing for study in studies if study.completed_at])
        _insert_plain(AttemptGrant, [self._grant_row(study) for study in studies if study.granted_at])
        self._write_completions([study for study in studies if study.completed_at])
        self.counts.update(clinicians=len(people), memberships=len(memberships), enrollments=len(studies),
                           attempts=len(sittings),
                           module_progress=sum(len(study.read) for study in studies),
                           grants=sum(1 for study in studies if study.granted_at))

    @staticmethod
    def _read_back_passing_ids(passing: list[Sitting]) -> None:
        """Ids of the attempts completions stand on, found by their unique public id.

        Attempts are the largest table: inserting them without RETURNING and
        reading back only these ids is twice as fast on PostgreSQL.
        """
        by_public_id = {sitting.row["public_id"]: sitting for sitting in passing}
        for public_id, attempt_id in db.session.execute(
                db.select(Attempt.public_id, Attempt.id).where(Attempt.public_id.in_(list(by_public_id)))):
            by_public_id[public_id].id = attempt_id

    def _write_completions(self, completed: list[Study]) -> None:
        for study, completion_id in zip(completed, _insert(Completion, [self._completion_row(s) for s in completed])):
            study.completion_id = completion_id
        _insert_plain(Evaluation, [self._evaluation_row(study) for study in completed])
        # The newest certificate of a course first, so that the earlier ones can point to it as superseded.
        newest = {(study.person.id, study.course.id): study for study in completed}
        current = list(newest.values())
        rows = [self._certificate_row(study) for study in current]
        for study, certificate_id in zip(current, _insert(Certificate, rows)):
            study.certificate_id = certificate_id
        earlier = [study for study in completed if newest[(study.person.id, study.course.id)] is not study]
        _insert_plain(Certificate, [self._certificate_row(study, newest[(study.person.id, study.course.id)])
                                    for study in earlier])
        self.counts.update(completions=len(completed), evaluations=len(completed), certificates=len(completed),
                           superseded_certificates=len(earlier),
                           revoked_certificates=sum(row["revoked_at"] is not None for row in rows))

    def write_requirement_set(self) -> None:
        """The KAP clearance, assigned to two professions and one site with due dates around today."""
        course_ids = [course.id for course in self.catalog if course.slug in REQUIRED_COURSES]
        if not course_ids:
            return
        set_id = db.session.scalar(db.select(RequirementSet.id).where(RequirementSet.name == REQUIREMENT_SET))
        if set_id is None:
            [set_id] = _insert(RequirementSet, [{
                "name": REQUIREMENT_SET, "window_days": 60, "created_at": self.now,
                "description": "Current certificates in medical screening, psychological assessment and "
                               "suicide risk assessment."}])
            _insert_plain(RequirementCourse, [{"requirement_set_id": set_id, "course_id": course_id}
                                              for course_id in course_ids])
        today = local_date(self.now)
        targets = [("profession", {"profession": "Psychiatrist"}, today + timedelta(days=45)),
                   ("profession", {"profession": "Nurse practitioner"}, today - timedelta(days=14)),
                   ("group", {"group_id": self.group_ids[0]}, today + timedelta(days=21))]
        _insert_plain(RequirementAssignment, [
            {"requirement_set_id": set_id, "target_type": kind, "profession": None, "group_id": None,
             "user_id": None, **target, "due_on": due_on, "created_at": self.now}
            for kind, target, due_on in targets])
        self.counts.update(requirement_assignments=len(targets))

    def _groups(self) -> list[int]:
        """The sites' group ids, creating the sites that do not exist yet."""
        existing = dict(db.session.execute(db.select(Group.name, Group.id).where(Group.name.in_(SITES))).all())
        missing = [name for name in SITES if name not in existing]
        existing.update(zip(missing, _insert(Group, [{"name": name, "created_at": self.now} for name in missing])))
        self.counts.update(groups=len(missing))
        return [existing[name] for name in SITES]

    # ------------------------------------------------------------ people

    def _person(self, index: int) -> Person:
        rng = random.Random(f"{self.seed}:{index}")
        first, last = rng.choice(FIRST_NAMES), rng.choice(LAST_NAMES)
        profession = rng.choices(list(PROFESSIONS), [share for share, _, _ in PROFESSIONS.values()])[0]
        _, credentials, prefix = PROFESSIONS[profession]
        # Up to five years of history: with certificates valid two years, long-standing clinicians have
        # renewed once or twice, and current certificates expire from years ago to two years ahead.
        # At 10,000 clinicians this gives the administration issue's scale: about 90,000 attempts and
        # 30,000 certificates.
        joined = self.now - timedelta(days=rng.uniform(30, HISTORY_YEARS * 365))
        row = {"email": f"{_ascii(first)}.{_ascii(last)}.{index + 1}@{DEMO_DOMAIN}", "full_name": f"{first} {last}",
               "credentials": rng.choice(credentials), "profession": profession,
               "license_number": f"{prefix}{rng.randint(10000, 999999)}",
               "license_state": rng.choices(list(STATES), list(STATES.values()))[0], "role": "clinician",
               "password_hash": self.password_hash, "active": rng.random() >= INACTIVE_SHARE, "session_version": 1,
               "email_verified_at": joined + timedelta(minutes=rng.uniform(1, 600)), "created_at": joined,
               "last_login_at": None}
        mean, spread = ABILITY
        return Person(row, min(0.97, max(0.4, rng.gauss(mean, spread))), rng)

    def _memberships(self, person: Person) -> list[int]:
        """Most clinicians work at one site, some at two, a few at none."""
        count = person.rng.choices((0, 1, 2), (8, 80, 12))[0]
        return person.rng.sample(self.group_ids, count)

    # ------------------------------------------------------------ histories

    def _studies(self, person: Person) -> list[Study]:
        """The person's enrollments: some of the courses, one after another (prerequisites first)."""
        rng = person.rng
        weights = ENGAGEMENT[:len(self.catalog) + 1]
        courses = rng.sample(self.catalog, rng.choices(range(len(weights)), weights)[0])
        courses.sort(key=lambda course: len(course.settings.get("prerequisites") or ()))
        studies, start = [], person.row["created_at"]
        for course in courses:
            ready = _prerequisites_done(course, studies, start)
            if ready is not None:
                start = ready + timedelta(days=rng.uniform(1, 90))
                studies += self._cycles(person, course, start)
        person.row["last_login_at"] = max((study.read[-1] if study.read else study.started_at for study in studies),
                                          default=person.row["email_verified_at"])
        return studies

    def _cycles(self, person: Person, course: CourseInfo, start: datetime) -> list[Study]:
        """The first enrollment in a course, then a renewal near each expiry, while there is time."""
        studies, cycle = [], 1
        while start < self.now:
            study = self._study(person, course, cycle, start)
            studies.append(study)
            if study.expires_on is None or person.rng.random() >= RECERTIFY_SHARE:
                break
            window = int(course.settings.get("recertification_window_days", 90))
            renew = study.expires_on - timedelta(days=person.rng.uniform(0, window))
            start, cycle = datetime.combine(renew, start.timetz()), cycle + 1
        return studies

    def _study(self, person: Person, course: CourseInfo, cycle: int, start: datetime) -> Study:
        """Read the modules (a few give up), then sit the post-test until passed or out of attempts."""
        rng = person.rng
        study = Study(person, course, cycle, start)
        gaps = (timedelta(minutes=rng.uniform(10, 4 * 24 * 60)) for _ in course.module_ids)
        reading = list(accumulate(gaps, initial=start))[1:]
        if rng.random() < 0.08:
            reading = reading[:rng.randrange(len(reading) + 1)]
        study.read = [moment for moment in reading if moment <= self.now]
        if len(study.read) < len(course.module_ids):
            return study
        self._sit_post_test(study, study.read[-1] if study.read else start)
        if study.passing is not None:
            self._evaluate(study)
        return study

    def _sit_post_test(self, study: Study, ready: datetime) -> None:
        """Attempts until one passes or none are left; some who run out are granted one more."""
        rng, settings = study.person.rng, study.course.settings
        allowed = settings.get("attempts_allowed") or TRIES_WHEN_UNLIMITED
        moment = ready + timedelta(minutes=rng.uniform(5, 3 * 24 * 60))
        while len(study.sittings) < allowed and moment <= self.now:
            sitting = self._sitting(study, len(study.sittings) + 1, moment)
            study.sittings.append(sitting)
            if sitting.passed or sitting.row["status"] == "open":
                return
            wait = timedelta(hours=float(settings.get("attempt_wait_hours") or 0))
            moment = sitting.row["submitted_at"] + wait + timedelta(minutes=rng.uniform(1, 7 * 24 * 60))
            if len(study.sittings) == allowed and settings.get("attempts_allowed") and self._grant(study):
                allowed += 1
                moment = max(moment, study.granted_at + timedelta(minutes=rng.uniform(30, 3 * 24 * 60)))

    def _grant(self, study: Study) -> bool:
        rng = study.person.rng
        granted = study.sittings[-1].row["submitted_at"] + timedelta(days=rng.uniform(1, 5))
        if study.granted_at is not None or granted > self.now or rng.random() >= GRANT_SHARE:
            return False
        study.granted_at = granted
        return True

    def _sitting(self, study: Study, number: int, started: datetime) -> Sitting:
        """An attempt with a real draw, answers right with the person's (practised) ability, graded for real."""
        rng, course = study.person.rng, study.course
        settings = course.settings
        limit = settings.get("time_limit_minutes")
        count = min(settings.get("questions_per_attempt") or len(course.questions), len(course.questions))
        shuffle = settings.get("shuffle", True)
        picked = rng.sample(range(len(course.questions)), count)
        chosen = [course.questions[index] for index in (picked if shuffle else sorted(picked))]
        draw = [{"qid": question.qid, "choices": _choice_order(rng, question, shuffle)} for question in chosen]
        chance = min(0.99, study.person.ability + PRACTICE_GAIN * (number - 1))
        answers = {question.qid: _response(rng, question, rng.random() < chance) for question in chosen}
        submitted = started + timedelta(minutes=rng.uniform(6, min(limit or 45, 45)))
        row = {"public_id": secrets.token_urlsafe(16), "version_id": course.version_id, "number": number,
               "started_at": started, "deadline_at": started + timedelta(minutes=limit) if limit else None,
               "extensions": 0, "draw": draw}
        if submitted > self.now:  # still answering
            return Sitting({**row, "status": "open", "answers": {}, "submitted_at": None, "score": None,
                            "passed": None, "results": None}, False)
        partial = bool(settings.get("partial_credit"))
        graded = {question.qid: grade(question.type, question.answer_key, answers[question.qid],
                                      partial_credit=partial) for question in chosen}
        score = score_percent(list(graded.values()))
        passed = score >= float(settings.get("pass_mark", 80))
        return Sitting({**row, "status": "submitted", "answers": answers, "submitted_at": submitted,
                        "score": Decimal(str(score)), "passed": passed,
                        "results": {qid: {"score": g.score, "correct": g.correct} for qid, g in graded.items()}},
                       passed)

    def _evaluate(self, study: Study) -> None:
        """Most who pass fill in the evaluation the same day or soon after; that completes the course."""
        rng = study.person.rng
        completed = study.passing.row["submitted_at"] + timedelta(minutes=rng.uniform(3, 3 * 24 * 60))
        if completed > self.now or rng.random() >= EVALUATE_SHARE:
            return
        study.completed_at = completed
        # Hours claimed in quarter hours, mostly the full credit.
        study.hours = max(Decimal("0.25"), study.course.ce_hours - Decimal("0.25") * rng.choices((0, 1, 2),
                                                                                                (80, 15, 5))[0])
        validity = study.course.settings.get("validity_months")
        study.expires_on = add_months(local_date(completed), validity) if validity else None

    # ------------------------------------------------------------ rows

    def _enrollment_row(self, study: Study) -> dict:
        return {"user_id": study.person.id, "course_id": study.course.id, "version_id": study.course.version_id,
                "cycle": study.cycle, "started_at": study.started_at, "superseded_at": None}

    def _grant_row(self, study: Study) -> dict:
        return {"user_id": study.person.id, "course_id": study.course.id, "extra_attempts": 1, "extra_minutes": 0,
                "granted_by_id": None, "reason": "Demo: another attempt after a review of the material.",
                "created_at": study.granted_at}

    def _completion_row(self, study: Study) -> dict:
        return {"enrollment_id": study.id, "user_id": study.person.id, "course_id": study.course.id,
                "version_id": study.course.version_id, "attempt_id": study.passing.id, "hours": study.hours,
                "completed_at": study.completed_at}

    def _evaluation_row(self, study: Study) -> dict:
        rng = study.person.rng
        ratings = {item: rng.choices((1, 2, 3, 4, 5), (1, 3, 12, 40, 44))[0] for item in LIKERT_ITEMS}
        return {"enrollment_id": study.id, "ratings": ratings, "hours_claimed": study.hours,
                "comments": rng.choice(COMMENTS) if rng.random() < 0.2 else "", "submitted_at": study.completed_at}

    def _certificate_row(self, study: Study, newer: Study | None = None) -> dict:
        """A course certificate as issued on completion; `newer` is the renewal that superseded it."""
        person, course = study.person.row, study.course
        completed_on = local_date(study.completed_at)
        snapshot = Snapshot(
            code=codes.new_code(), kind="course", holder_name=person["full_name"],
            holder_credentials=person["credentials"], license_number=person["license_number"],
            license_state=person["license_state"], course_title=course.title, course_version=course.version,
            completion_date=completed_on, issue_date=completed_on, ce_hours=course.ce_hours,
            accreditation=tuple(course.settings.get("accreditation") or ()), provider_name=self.provider_name,
            signatory=self.signatory, expires_on=study.expires_on).to_json()
        revoked = newer is None and study.person.rng.random() < REVOKE_SHARE
        return {"code": snapshot["code"], "kind": "course", "user_id": study.person.id,
                "completion_id": study.completion_id, "generation": 0, "course_id": course.id,
                "version_id": course.version_id, "program_id": None, "basis": None, "snapshot": snapshot,
                "issued_at": study.completed_at, "expires_on": study.expires_on, "recertify_by": None,
                "revoked_at": min(self.now, study.completed_at + timedelta(days=30)) if revoked else None,
                "revoked_reason": "Demo: license under review by the state board." if revoked else None,
                "revoked_by_id": None, "superseded_by_id": newer.certificate_id if newer else None,
                "superseded_at": newer.completed_at if newer else None}


def _prerequisites_done(course: CourseInfo, studies: list[Study], since: datetime) -> datetime | None:
    """When the last of the course's prerequisites was completed (`since` if it has none); None if one is not."""
    completed: dict[str, datetime] = {}
    for study in studies:
        if study.completed_at is not None:
            completed.setdefault(study.course.slug, study.completed_at)
    needed = course.settings.get("prerequisites") or ()
    if any(slug not in completed for slug in needed):
        return None
    return max([since, *(completed[slug] for slug in needed)])


def _choice_order(rng: random.Random, question: QuestionInfo, shuffle: bool) -> list[str]:
    """As the application draws: true/false keeps its order, other choices are shuffled when the course says so."""
    keys = list(question.keys)
    if shuffle and question.type in ("single", "multiple"):
        rng.shuffle(keys)
    return keys


def _response(rng: random.Random, question: QuestionInfo, right: bool):
    """A plausible answer to the question, meant to be right or wrong (the grader has the last word)."""
    key, kind = question.answer_key, question.type
    if kind in ("single", "true_false"):
        wrong = [choice for choice in question.keys if choice not in key["correct"]]
        return rng.choice(key["correct"] if right or not wrong else wrong)
    if kind == "multiple":
        correct = set(key["correct"])
        if right:
            return sorted(correct)
        others = [choice for choice in question.keys if choice not in correct]
        if others and (len(correct) == 1 or rng.random() < 0.5):
            return sorted(correct | {rng.choice(others)})
        return sorted(correct - {rng.choice(sorted(correct))})
    if kind == "short":
        return rng.choice(key["accepted"]) if right else "not sure"
    if kind == "numeric":
        return f"{rng.choice((key['min'], key['max'])):g}" if right else f"{key['max'] + abs(key['max']) + 1:g}"
    raise ValueError(f"demo data cannot answer {kind} questions yet")


_LATIN = str.maketrans({"ł": "l", "Ł": "L", "ø": "o", "Ø": "O", "đ": "d", "ı": "i", "ß": "ss", "æ": "ae"})


def _ascii(name: str) -> str:
    """An email-safe form of a name: "Nguyễn" → "nguyen", "Mac Giolla Phádraig" → "macgiollaphadraig"."""
    decomposed = unicodedata.normalize("NFKD", name.translate(_LATIN))
    return "".join(ch for ch in decomposed if ch.isascii() and ch.isalnum()).lower()
