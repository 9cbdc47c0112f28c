"""The schema comes from migrations: they must agree with the models and keep data."""
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from alembic.script import ScriptDirectory
from flask_migrate import downgrade, upgrade
from sqlalchemy import inspect, text

from academy import create_app
from academy.extensions import db
from tests.conftest import BASE_CONFIG


def _empty_app(databases, tmp_path):
    url = databases.create_empty(tmp_path)
    return url, create_app({**BASE_CONFIG, "SQLALCHEMY_DATABASE_URI": url,
                            "INSTANCE_PATH": str(tmp_path / "instance")})


def _script(app) -> ScriptDirectory:
    return ScriptDirectory.from_config(app.extensions["migrate"].migrate.get_config())


def test_single_head(app):
    assert len(_script(app).get_heads()) == 1


def test_upgrade_head_gives_exactly_the_models_schema(databases, tmp_path):
    url, app = _empty_app(databases, tmp_path)
    try:
        with app.app_context():
            upgrade()
            with db.engine.connect() as conn:
                diff = compare_metadata(MigrationContext.configure(conn, opts={"compare_type": True}),
                                        db.metadata)
            assert diff == [], f"models and migrations disagree: {diff}"
            tables = set(inspect(db.engine).get_table_names())
            assert {"users", "audit_events", "user_tokens"} <= tables
            db.engine.dispose()
    finally:
        databases.drop(url)


def _seed(conn, n: int) -> None:
    conn.execute(text(
        "INSERT INTO users (email, full_name, credentials, profession, license_number, license_state,"
        " role, password_hash, active, session_version, created_at)"
        " VALUES (:email, 'Seed', '', '', '', '', 'clinician', 'x', :active, 1, :now)"),
        {"email": f"seed{n}@example.org", "active": True, "now": "2026-01-01 00:00:00"})


def test_every_step_down_and_up_keeps_seeded_rows(databases, tmp_path):
    url, app = _empty_app(databases, tmp_path)
    try:
        with app.app_context():
            script = _script(app)
            revisions = [rev.revision for rev in reversed(list(script.walk_revisions()))]
            upgrade(revision=revisions[0])  # the base revision creates the users table
            with db.engine.begin() as conn:
                _seed(conn, 0)
            for revision in revisions[1:]:
                upgrade(revision=revision)
                downgrade(revision="-1")
                upgrade(revision=revision)
            upgrade()
            with db.engine.connect() as conn:
                emails = conn.execute(text("SELECT email FROM users")).scalars().all()
            assert emails == ["seed0@example.org"]
            # The whole chain also goes down to nothing and back up again.
            downgrade(revision="base")
            assert "users" not in inspect(db.engine).get_table_names()
            upgrade()
            assert "users" in inspect(db.engine).get_table_names()
            db.engine.dispose()
    finally:
        databases.drop(url)
