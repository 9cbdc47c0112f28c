"""Fixtures: an app per test on a real database, migrated once per run and copied per test.

The backend is chosen by ACADEMY_TEST_BACKEND (``sqlite``, the default, or
``postgresql``). PostgreSQL uses ACADEMY_TEST_DATABASE_URL when set (never
DATABASE_URL, so a test run cannot touch real data) or else a throwaway cluster.
"""
from __future__ import annotations

import itertools
import os
import re
import shutil
import threading
from pathlib import Path

import pytest
from flask import g, has_app_context
from flask.testing import FlaskClient
from sqlalchemy import create_engine, text
from sqlalchemy.engine import make_url
from werkzeug.serving import make_server

from academy import create_app
from academy.extensions import db

BACKEND = os.environ.get("ACADEMY_TEST_BACKEND", "sqlite")
REQUIRE_ALL = os.environ.get("ACADEMY_REQUIRE_ALL") == "1"
PASSWORD = "correct horse battery staple"

BASE_CONFIG = {
    "TESTING": True,
    "ACADEMY_BASE_URL": "http://academy.test",
    "SECRET_KEY": "test secret key, not for production",
    "ACADEMY_COURSES_DIR": "",
    "ACADEMY_QUIZZES_DIR": "",
    "ACADEMY_LOGIN_LIMIT": "5 per 15 minutes",
    # Tests sign in trainers and administrators with a password alone; the two-factor
    # tests build their apps with the roles that require it.
    "ACADEMY_2FA_REQUIRED_ROLES": "",
}


def missing(what: str, how: str):
    """Skip with a message saying how to install what is missing; fail under ACADEMY_REQUIRE_ALL=1."""
    message = f"{what} not available: {how}"
    if REQUIRE_ALL:
        pytest.fail(message + " (ACADEMY_REQUIRE_ALL=1 makes this a failure)", pytrace=False)
    pytest.skip(message)


def _migrate(url: str, instance: Path) -> None:
    from flask_migrate import upgrade

    app = create_app({**BASE_CONFIG, "SQLALCHEMY_DATABASE_URI": url, "INSTANCE_PATH": str(instance)})
    with app.app_context():
        upgrade()
        db.engine.dispose()


class SQLiteDatabases:
    """Migrate one file, then give each test a copy of it."""

    def __init__(self, root: Path) -> None:
        self.template = root / "template.sqlite3"
        _migrate(f"sqlite:///{self.template}", root / "instance")

    def create(self, directory: Path) -> str:
        target = directory / "academy.sqlite3"
        shutil.copyfile(self.template, target)
        return f"sqlite:///{target}"

    def create_empty(self, directory: Path) -> str:
        return f"sqlite:///{directory / 'empty.sqlite3'}"

    def drop(self, url: str) -> None:
        pass

    def close(self) -> None:
        pass


class PostgresDatabases:
    """Migrate a template database, then CREATE DATABASE … TEMPLATE it for each test."""

    def __init__(self, root: Path) -> None:
        self.cluster = None
        url = os.environ.get("ACADEMY_TEST_DATABASE_URL")
        if not url:
            from tests.support.pgcluster import Cluster, server_bin_dir

            if server_bin_dir() is None:
                missing("PostgreSQL", "apt-get install postgresql (or set ACADEMY_TEST_DATABASE_URL)")
            self.cluster = Cluster()
            url = self.cluster.start()
        self.server = make_url(url).set(drivername="postgresql+psycopg")
        self.admin = create_engine(self.server, isolation_level="AUTOCOMMIT", pool_pre_ping=True)
        self.prefix = f"academy_test_{os.getpid()}"
        self.template = f"{self.prefix}_template"
        self._counter = itertools.count()
        with self.admin.connect() as conn:
            conn.execute(text(f'DROP DATABASE IF EXISTS "{self.template}"'))
            conn.execute(text(f'CREATE DATABASE "{self.template}"'))
        _migrate(self._url(self.template), root / "instance")

    def _url(self, name: str) -> str:
        return self.server.set(database=name).render_as_string(hide_password=False)

    def create(self, directory: Path) -> str:
        name = f"{self.prefix}_{next(self._counter)}"
        with self.admin.connect() as conn:
            conn.execute(text(f'CREATE DATABASE "{name}" TEMPLATE "{self.template}" STRATEGY FILE_COPY'))
        return self._url(name)

    def create_empty(self, directory: Path) -> str:
        name = f"{self.prefix}_{next(self._counter)}"
        with self.admin.connect() as conn:
            conn.execute(text(f'CREATE DATABASE "{name}"'))
        return self._url(name)

    def drop(self, url: str) -> None:
        name = make_url(url).database
        with self.admin.connect() as conn:
            conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))

    def close(self) -> None:
        with self.admin.connect() as conn:
            conn.execute(text(f'DROP DATABASE IF EXISTS "{self.template}" WITH (FORCE)'))
        self.admin.dispose()
        if self.cluster is not None:
            self.cluster.stop()


@pytest.fixture(scope="session")
def databases(tmp_path_factory):
    root = tmp_path_factory.mktemp("db")
    manager = PostgresDatabases(root) if BACKEND == "postgresql" else SQLiteDatabases(root)
    yield manager
    manager.close()


class AppClient(FlaskClient):
    """A test client whose requests do not inherit the signed-in user of another client.

    Tests keep an app context pushed so they can query the database; Flask then
    reuses that context (and its ``g``) for test-client requests, where
    Flask-Login caches the current user and Flask-WTF the CSRF token. Emptying
    ``g`` around each request makes each client behave like its own browser.
    """

    def open(self, *args, **kwargs):
        self._forget_request_state()
        try:
            return super().open(*args, **kwargs)
        finally:
            self._forget_request_state()

    @staticmethod
    def _forget_request_state():
        if has_app_context():
            vars(g).clear()


@pytest.fixture
def make_app(databases, tmp_path):
    """Build apps on a fresh copy of the migrated database (several share it, like app servers)."""
    url = databases.create(tmp_path)
    apps = []

    def factory(**overrides):
        config = {**BASE_CONFIG, "SQLALCHEMY_DATABASE_URI": url,
                  "INSTANCE_PATH": str(tmp_path / "instance"), **overrides}
        app = create_app(config)
        app.test_client_class = AppClient
        apps.append(app)
        return app

    yield factory
    for app in apps:
        with app.app_context():
            db.session.remove()
            db.engine.dispose()
    databases.drop(url)


@pytest.fixture
def app(make_app):
    app = make_app()
    with app.app_context():
        yield app


@pytest.fixture
def client(app):
    return app.test_client()


@pytest.fixture
def runner(app):
    return app.test_cli_runner()


CSRF_RE = re.compile(r'name="csrf_token" type="hidden" value="([^"]+)"|name="csrf_token" value="([^"]+)"')


def statements_of(client, url: str) -> list[str]:
    """The SQL statements a GET of `url` runs (transaction control left out); the response must be 200."""
    from sqlalchemy import event

    statements = []

    def listener(conn, cursor, statement, *args):
        if not statement.lstrip().upper().startswith(("BEGIN", "SAVEPOINT", "RELEASE", "COMMIT", "ROLLBACK")):
            statements.append(statement)
    event.listen(db.engine, "before_cursor_execute", listener)
    try:
        assert client.get(url).status_code == 200
    finally:
        event.remove(db.engine, "before_cursor_execute", listener)
    return statements


def csrf_from(html: str) -> str:
    match = CSRF_RE.search(html)
    assert match, "no CSRF token in the page"
    return match.group(1) or match.group(2)


class Browserless:
    """Drive pages through the test client the way a person would: GET the form, POST it with its token."""

    def __init__(self, client):
        self.client = client

    def form_post(self, url: str, data: dict, *, form_url: str | None = None, follow: bool = False):
        page = self.client.get(form_url or url)
        token = csrf_from(page.get_data(as_text=True))
        return self.client.post(url, data={**data, "csrf_token": token}, follow_redirects=follow)

    def login(self, email: str, password: str = PASSWORD, **kwargs):
        return self.form_post("/login", {"email": email, "password": password}, **kwargs)

    def logout(self):
        return self.form_post("/logout", {}, form_url="/")


@pytest.fixture
def web(client):
    return Browserless(client)


@pytest.fixture
def make_user(app):
    """Factory for confirmed accounts with a known password."""
    from academy.accounts.service import Profile, create_user

    counter = itertools.count(1)

    def factory(role: str = "clinician", email: str | None = None, password: str = PASSWORD, **profile):
        number = next(counter)
        email = email or f"{role}{number}@example.org"
        name = profile.pop("full_name", f"Test {role.title()} {number}")
        return create_user(email, name, role, password, profile=Profile(full_name=name, **profile))

    return factory


def outbox(app) -> list[str]:
    """The text of every email written to the test instance's outbox, oldest first."""
    from email import message_from_bytes, policy

    folder = Path(app.instance_path) / "outbox"
    if not folder.exists():
        return []
    messages = []
    for path in sorted(folder.glob("*.eml"), key=lambda p: p.stat().st_mtime_ns):
        message = message_from_bytes(path.read_bytes(), policy=policy.default)
        messages.append(f"To: {message['To']}\nSubject: {message['Subject']}\n\n"
                        + message.get_body(preferencelist=("plain",)).get_content())
    return messages


# ---------------------------------------------------------------- real browser
# One Chromium for the whole session, shared by tests/browser and tests/security: Playwright's sync
# API cannot run two instances at once.
CHROMIUM = Path("/usr/bin/chromium")
CHROMIUM_ARGS = ["--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
                 "--disable-background-networking", "--disable-component-update", "--disable-sync",
                 "--disable-dev-shm-usage"]


@pytest.fixture(scope="session")
def browser():
    """Debian's Chromium driven by Playwright (never a downloaded browser)."""
    if not CHROMIUM.exists() and not shutil.which("chromium"):
        missing("Chromium", "apt-get install chromium")
    try:
        from playwright.sync_api import sync_playwright
    except ImportError:
        missing("Playwright", "pip install -e '.[test]'")
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_ARGS)
        yield browser
        browser.close()


@pytest.fixture
def live_server(app):
    """Serve the test's app on a free loopback port for the duration of the test."""
    server = make_server("127.0.0.1", 0, app, threaded=True)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_port}"
    server.shutdown()
    thread.join(timeout=5)


@pytest.fixture
def page(browser):
    context = browser.new_context()
    page = context.new_page()
    errors: list[str] = []
    page.on("pageerror", lambda exc: errors.append(str(exc)))
    yield page
    context.close()
    assert not errors, f"JavaScript errors in the page: {errors}"
