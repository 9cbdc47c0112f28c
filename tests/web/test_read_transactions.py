"""How a GET request's transaction ends (academy.database.end_read_only_transaction).

A GET that wrote nothing ends with COMMIT, so PostgreSQL keeps the statements
psycopg prepared; anything a GET changed without committing is still thrown
away, however it got to the database.
"""
import pytest
from sqlalchemy import column, event, select, table, update

from academy.extensions import db
from academy.models import User
from academy.security import public
from tests.conftest import BACKEND


def _add_probe_routes(app):
    """GET routes that change a user's name without committing, each in its own way."""

    def pending(user_id):
        db.session.get(User, user_id).full_name = "Changed, pending"
        return "ok"

    def flushed(user_id):
        db.session.get(User, user_id).full_name = "Changed, flushed"
        db.session.flush()
        return "ok"

    def statement(user_id):
        db.session.execute(update(User).where(User.id == user_id).values(full_name="Changed, statement"))
        return "ok"

    def read(user_id):
        return db.session.get(User, user_id).full_name

    def prepared(user_id):
        """Reads the user, then lists the statements prepared on this connection."""
        db.session.get(User, user_id)
        catalog = table("pg_prepared_statements", column("statement"))  # a SELECT, unlike text()
        return db.session.scalars(select(catalog.c.statement)).all()

    for view in (pending, flushed, statement, read, prepared):
        app.add_url_rule(f"/probe/{view.__name__}/<int:user_id>", f"probe_{view.__name__}", public(view))


@pytest.fixture
def probe(make_app):
    app = make_app()
    _add_probe_routes(app)
    with app.app_context():
        from academy.accounts.service import create_user

        user_id = create_user("probe@example.org", "Original Name", "clinician", "probe password 12345").id
        endings = []
        event.listen(db.engine, "commit", lambda conn: endings.append("commit"))
        event.listen(db.engine, "rollback", lambda conn: endings.append("rollback"))
    return app, user_id, endings


def _name(app, user_id):
    with app.app_context():
        return db.session.scalar(db.select(User.full_name).where(User.id == user_id))


@pytest.mark.parametrize("way", ["pending", "flushed", "statement"])
def test_a_get_that_changed_something_without_committing_is_rolled_back(probe, way):
    app, user_id, endings = probe
    endings.clear()
    assert app.test_client().get(f"/probe/{way}/{user_id}").status_code == 200
    assert "commit" not in endings
    assert _name(app, user_id) == "Original Name"


def test_a_get_that_only_read_ends_with_commit(probe):
    app, user_id, endings = probe
    endings.clear()
    response = app.test_client().get(f"/probe/read/{user_id}")
    assert response.get_data(as_text=True) == "Original Name"
    assert endings == ["commit"]


if BACKEND == "postgresql":
    def test_postgresql_keeps_prepared_statements_from_page_to_page(probe):
        """psycopg prepares a statement on its fifth run on a connection; a ROLLBACK would drop it."""
        app, user_id, _ = probe
        client = app.test_client()
        for _ in range(20):
            statements = client.get(f"/probe/prepared/{user_id}").get_json()
        assert any("FROM users" in statement for statement in statements), statements
