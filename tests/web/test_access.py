"""Deny by default: every route is declared public or role-restricted, and the server enforces it."""
import re

import pytest
from flask import Blueprint

from academy.security import PUBLIC, access_of, roles

# The only routes anyone may reach signed out. Adding a public route means adding it here, on purpose.
EXPECTED_PUBLIC = {
    "static", "auth.login", "auth.second_factor", "auth.register", "auth.confirm_email", "auth.forgot_password",
    "auth.reset_password", "main.healthz", "certificates.verify_form", "certificates.verify",
    "certificates.credential", "certificates.jwks",
}


def test_every_route_is_classified(app):
    unclassified, public = [], set()
    for rule in app.url_map.iter_rules():
        access = access_of(app, rule.endpoint)
        if access is None:
            unclassified.append(f"{rule.endpoint} ({rule.rule})")
        elif access == PUBLIC:
            public.add(rule.endpoint)
        else:
            assert access and access <= {"clinician", "trainer", "administrator"}, rule.endpoint
    assert not unclassified, f"routes without a declared access rule: {unclassified}"
    assert public == EXPECTED_PUBLIC


def sample_url(rule) -> str:
    """The rule with every variable filled in (1 for numbers, "x" otherwise)."""
    return re.sub(r"<(?:int:)?[^>]+>", lambda m: "1" if m.group(0).startswith("<int:") else "x", rule.rule)


def test_signed_out_requests_to_private_routes_are_refused(app, client):
    for rule in app.url_map.iter_rules():
        if access_of(app, rule.endpoint) == PUBLIC:
            continue
        url = sample_url(rule)
        for method in rule.methods - {"HEAD", "OPTIONS"}:
            response = client.open(url, method=method)
            if method == "GET":
                assert response.status_code == 302, (url, response.status_code)
                assert "/login" in response.headers["Location"]
            else:  # refused by the CSRF check or the sign-in guard, whichever runs first
                assert response.status_code in (400, 401), (method, url, response.status_code)


def _probe_app(make_app):
    """An app with one route per role, to show the guard enforces declarations (and denies undeclared)."""
    app = make_app()
    probe = Blueprint("probe", __name__)

    @probe.route("/probe/admin")
    @roles("administrator")
    def admin_only():
        return "admin"

    @probe.route("/probe/trainer")
    @roles("trainer", "administrator")
    def trainer_only():
        return "trainer"

    @probe.route("/probe/undeclared")
    def undeclared():
        return "oops"

    app.register_blueprint(probe)
    return app


@pytest.mark.parametrize("role,admin,trainer", [
    ("clinician", 403, 403), ("trainer", 403, 200), ("administrator", 200, 200)])
def test_roles_are_checked_on_the_server(make_app, make_user, role, admin, trainer):
    from tests.conftest import Browserless

    app = _probe_app(make_app)
    with app.app_context():
        web = Browserless(app.test_client())
        web.login(make_user(role).email)
        assert web.client.get("/probe/admin").status_code == admin
        assert web.client.get("/probe/trainer").status_code == trainer
        assert web.client.get("/probe/undeclared").status_code == 403


def test_missing_page_is_404_with_a_friendly_page(client):
    response = client.get("/no/such/page")
    assert response.status_code == 404
    assert "There is nothing at this address" in response.get_data(as_text=True)


def test_errors_show_no_traceback(make_app, make_user):
    app = make_app()
    app.config["PROPAGATE_EXCEPTIONS"] = False
    probe = Blueprint("boom", __name__)

    @probe.route("/boom")
    @roles("clinician")
    def boom():
        raise RuntimeError("secret internals")

    app.register_blueprint(probe)
    with app.app_context():
        from tests.conftest import Browserless
        web = Browserless(app.test_client())
        web.login(make_user().email)
        response = web.client.get("/boom")
        body = response.get_data(as_text=True)
        assert response.status_code == 500
        assert "Something went wrong" in body
        assert "Traceback" not in body and "secret internals" not in body


class TestHeaders:
    def test_security_headers_on_pages(self, client):
        response = client.get("/login")
        csp = response.headers["Content-Security-Policy"]
        assert "script-src 'self'" in csp and "unsafe-inline" not in csp
        assert "frame-ancestors 'none'" in csp
        assert response.headers["X-Content-Type-Options"] == "nosniff"
        assert response.headers["Referrer-Policy"] == "same-origin"
        assert response.headers["Cache-Control"] == "no-store"

    def test_signed_in_pages_are_not_stored(self, web, make_user):
        web.login(make_user().email)
        assert web.client.get("/").headers["Cache-Control"] == "no-store"

    def test_no_inline_script_in_pages(self, web, make_user):
        import re
        web.login(make_user().email)
        for url in ("/", "/account/password"):
            html = web.client.get(url).get_data(as_text=True)
            assert not re.search(r"<script(?![^>]*\bsrc=)", html), url
            assert " style=" not in html and " onclick=" not in html


class TestHealth:
    def test_ok(self, client):
        assert client.get("/healthz").status_code == 200

    def test_database_unreachable_is_503(self, make_app, tmp_path):
        app = make_app(SQLALCHEMY_DATABASE_URI=f"sqlite:///{tmp_path}/missing/dir/db.sqlite3")
        response = app.test_client().get("/healthz")
        assert response.status_code == 503
        assert response.json["database"] == "unreachable"
