"""Every state-changing route needs a CSRF token, and no GET changes anything."""
from __future__ import annotations

from sqlalchemy import func, select

from academy.extensions import db
from tests.conftest import csrf_from
from tests.security.test_route_matrix import ACTORS, EXPECTED, QUERY, sign_in, url_for_rule, world  # noqa: F401

# Appended on purpose by GET routes: downloading an export is itself an audited event.
LOGGED_ON_READ = {"audit_events"}


def row_counts() -> dict[str, int]:
    db.session.rollback()
    return {table.name: db.session.scalar(select(func.count()).select_from(table))
            for table in db.metadata.sorted_tables if table.name not in LOGGED_ON_READ}


def test_post_without_a_csrf_token_is_refused_and_changes_nothing(app, world):
    users, values = world
    before = row_counts()
    refused = 0
    for actor in ("owner", "trainer_assigned", "administrator"):
        web = sign_in(app, users, actor)
        before = row_counts()
        for rule in app.url_map.iter_rules():
            if "POST" not in rule.methods or actor not in EXPECTED.get(rule.endpoint, ()):
                continue
            response = web.client.post(url_for_rule(rule, values) + QUERY.get(rule.endpoint, ""),
                                       data={"confirm": "yes", "trainer": values["trainer"], "level": "minor",
                                             "text": "x", "role": "trainer", "active": "0"})
            assert response.status_code == 400, (actor, rule.rule, response.status_code)
            assert "This form has expired" in response.get_data(as_text=True)
            refused += 1
        assert row_counts() == before, actor
    assert refused > 40


def test_a_forged_or_stale_token_is_refused(app, world):
    users, values = world
    web = sign_in(app, users, "administrator")
    token = csrf_from(web.client.get("/account/password").get_data(as_text=True))
    forged = token[:-3] + ("abc" if not token.endswith("abc") else "xyz")
    response = web.client.post(f"/admin/users/{values['user_id']}/active",
                               data={"csrf_token": forged, "confirm": "yes", "active": "0"})
    assert response.status_code == 400
    db.session.expire_all()
    assert users["owner"].active


def test_no_get_changes_state(app, world):
    users, values = world
    for actor in ACTORS:
        web = sign_in(app, users, actor)
        before = row_counts()
        for rule in app.url_map.iter_rules():
            if "GET" in rule.methods and rule.endpoint in EXPECTED:
                web.client.get(url_for_rule(rule, values) + QUERY.get(rule.endpoint, ""))
        assert row_counts() == before, actor
