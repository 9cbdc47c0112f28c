"""Academy: training and CE certification for clinicians in ketamine-assisted psychotherapy."""
from __future__ import annotations

from functools import partial

from flask import Flask


def create_app(config: dict | None = None) -> Flask:
    """Build an app: configuration, extensions, blueprints, error pages, CLI."""
    import os

    instance_path = (config or {}).get("INSTANCE_PATH") or os.environ.get("ACADEMY_INSTANCE_PATH")
    app = Flask(__name__, instance_relative_config=True, instance_path=instance_path)
    from academy.config import load_config

    load_config(app, config)
    register_extensions(app)
    register_blueprints(app)
    register_errorhandlers(app)
    register_commands(app)
    return app


def register_extensions(app: Flask) -> None:
    from academy import models  # noqa: F401  (registers the tables with SQLAlchemy)
    from academy.database import configure_engine, end_read_only_transaction
    from academy.extensions import csrf, db, limiter, login_manager, migrate
    from academy.security import add_security_headers, enforce_access, enforce_session_lifetime

    db.init_app(app)
    migrate.init_app(app, db, directory=str(_project_root() / "migrations"))
    csrf.init_app(app)
    limiter.init_app(app)
    login_manager.init_app(app)
    login_manager.login_view = "auth.login"
    login_manager.login_message = "Sign in to continue."
    login_manager.session_protection = None  # sessions are rotated at sign-in instead
    login_manager.user_loader(_load_user)
    with app.app_context():
        configure_engine(db.engine)
    app.teardown_request(partial(end_read_only_transaction, db.session))
    app.before_request(enforce_session_lifetime)
    app.before_request(enforce_access)
    app.after_request(add_security_headers)


def _load_user(session_id: str):
    """Resolve "<user id>:<session version>"; a stale version means the session has ended."""
    from academy.extensions import db
    from academy.models import User

    user_id, _, version = session_id.partition(":")
    if not (user_id.isdigit() and version.isdigit()):
        return None
    user = db.session.get(User, int(user_id))
    if user is None or not user.active or user.session_version != int(version):
        return None
    return user


def register_blueprints(app: Flask) -> None:
    from academy.views import (account, admin, auth, author, certificates, item_analysis, learn, main, media, quiz,
                               twofactor)
    from academy.views.filters import register_filters

    for module in (auth, main, media, learn, quiz, account, certificates, admin, author, item_analysis, twofactor):
        app.register_blueprint(module.bp)
    register_filters(app)


def register_errorhandlers(app: Flask) -> None:
    from flask import render_template, request
    from flask_wtf.csrf import CSRFError
    from sqlalchemy.exc import OperationalError

    from academy.extensions import db

    messages = {
        400: ("Bad request", "The request could not be understood. Go back, reload the page and try again."),
        401: ("Sign in needed", "Your session has ended. Sign in and try again."),
        403: ("Not allowed", "Your account does not have access to this page."),
        404: ("Not found", "There is nothing at this address. Check the link, or start from the home page."),
        405: ("Not allowed", "This address does not accept that kind of request."),
        413: ("Too large", "What you sent is larger than Academy accepts."),
        429: ("Too many attempts", "Too many attempts in a short time. Wait a few minutes, then try again."),
        500: ("Something went wrong", "An unexpected error happened. It has been logged; try again shortly."),
        503: ("Temporarily unavailable", "Academy cannot reach its database right now. Try again in a minute."),
    }

    def render(code: int, detail: str | None = None):
        title, text = messages[code]
        if request.accept_mimetypes.best == "application/json":
            return {"error": title, "message": detail or text}, code
        return render_template("errors/error.html", code=code, title=title, text=detail or text), code

    for code in messages:
        app.register_error_handler(code, lambda exc, code=code: render(code))

    @app.errorhandler(CSRFError)
    def csrf_error(exc):
        return render(400, "This form has expired or was sent from another site. Reload the page and try again.")

    @app.errorhandler(OperationalError)
    def database_down(exc):
        from flask import g

        from academy.extensions import login_manager

        try:
            db.session.rollback()
        except OperationalError:
            pass  # the connection is gone; the pool replaces it when the database is back
        # The page must not ask the database who is signed in.
        g._login_user = login_manager.anonymous_user()
        app.logger.warning("database unavailable: %s", exc)
        return render(503)


def register_commands(app: Flask) -> None:
    from academy.cli import academy_group

    app.cli.add_command(academy_group)


def _project_root():
    from pathlib import Path

    return Path(__file__).resolve().parent.parent
