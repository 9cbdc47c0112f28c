"""Configuration: defaults, then instance/config.py, then the environment, then test overrides.

Everything is read inside ``create_app`` (never at import time) so that tests and
several app servers can each build an app with their own settings.
"""
from __future__ import annotations

import os
import secrets
from pathlib import Path

DEFAULTS: dict[str, object] = {
    "ACADEMY_BASE_URL": "http://127.0.0.1:5000",
    "ACADEMY_TIMEZONE": "UTC",
    "ACADEMY_SELF_REGISTRATION": True,
    "ACADEMY_COURSES_DIR": "courses",
    "ACADEMY_QUIZZES_DIR": "quizzes",
    "ACADEMY_MAIL_FROM": "Academy <academy@localhost>",
    "ACADEMY_SMTP_HOST": "",
    "ACADEMY_SMTP_PORT": 587,
    "ACADEMY_SMTP_USER": "",
    "ACADEMY_SMTP_PASSWORD": "",
    "ACADEMY_SMTP_STARTTLS": True,
    "ACADEMY_IDLE_MINUTES": 60,
    "ACADEMY_SESSION_HOURS": 12,
    "ACADEMY_SECURE_COOKIES": False,
    "ACADEMY_LOGIN_LIMIT": "10 per 15 minutes",
    "ACADEMY_2FA_REQUIRED_ROLES": "administrator,trainer",
    "ACADEMY_2FA_LIMIT": "5 per 15 minutes",
    "ACADEMY_RATELIMIT_STORAGE_URL": "memory://",
    "ACADEMY_TOKEN_HOURS": 24,
    "ACADEMY_RETENTION_YEARS": 6,
    "ACADEMY_VERIFY_LIMIT": "30 per minute",
    "ACADEMY_KEYS_DIR": "",
    "ACADEMY_PROVIDER_NAME": "Academy demonstration provider",
    "ACADEMY_SIGNATORY": "Education Director",
}

# Settings whose environment value is not a plain string.
_INT_KEYS = {"ACADEMY_SMTP_PORT", "ACADEMY_IDLE_MINUTES", "ACADEMY_SESSION_HOURS",
             "ACADEMY_TOKEN_HOURS", "ACADEMY_RETENTION_YEARS"}
_BOOL_KEYS = {"ACADEMY_SELF_REGISTRATION", "ACADEMY_SMTP_STARTTLS", "ACADEMY_SECURE_COOKIES"}


def _parse_env(key: str, raw: str) -> object:
    if key in _INT_KEYS:
        return int(raw)
    if key in _BOOL_KEYS:
        return raw.strip().lower() in {"1", "true", "yes", "on"}
    return raw


def load_config(app, overrides: dict | None) -> None:
    """Fill ``app.config`` in the documented order of precedence."""
    instance = Path(app.instance_path)
    instance.mkdir(parents=True, exist_ok=True)
    app.config.update(DEFAULTS)
    app.config["SQLALCHEMY_DATABASE_URI"] = f"sqlite:///{instance / 'academy.sqlite3'}"
    app.config.from_pyfile("config.py", silent=True)

    for key, value in os.environ.items():
        if key.startswith("ACADEMY_") and key != "ACADEMY_TEST_DATABASE_URL":
            app.config[key] = _parse_env(key, value)
    if os.environ.get("DATABASE_URL"):
        app.config["SQLALCHEMY_DATABASE_URI"] = os.environ["DATABASE_URL"]
    if os.environ.get("SECRET_KEY"):
        app.config["SECRET_KEY"] = os.environ["SECRET_KEY"]

    app.config.update(overrides or {})
    app.config["SQLALCHEMY_DATABASE_URI"] = _normalise_db_url(app.config["SQLALCHEMY_DATABASE_URI"])
    if not app.config.get("SECRET_KEY"):
        app.config["SECRET_KEY"] = _instance_secret(instance)
    _derive(app)


def _normalise_db_url(url: str) -> str:
    """Point plain postgres URLs at psycopg 3, the only PostgreSQL driver we ship."""
    for prefix in ("postgres://", "postgresql://"):
        if url.startswith(prefix):
            return "postgresql+psycopg://" + url[len(prefix):]
    return url


def _instance_secret(instance: Path) -> str:
    """Generate the secret key once and reuse it, so sessions survive restarts."""
    path = instance / "secret_key"
    if not path.exists():
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        with os.fdopen(fd, "w") as handle:
            handle.write(secrets.token_hex(32))
    return path.read_text().strip()


def _derive(app) -> None:
    """Settings of Flask and its extensions that follow from Academy's own."""
    from datetime import timedelta

    cfg = app.config
    cfg["SESSION_COOKIE_HTTPONLY"] = True
    cfg["SESSION_COOKIE_SAMESITE"] = "Lax"
    cfg["SESSION_COOKIE_SECURE"] = bool(cfg["ACADEMY_SECURE_COOKIES"])
    cfg["REMEMBER_COOKIE_SECURE"] = bool(cfg["ACADEMY_SECURE_COOKIES"])
    cfg["PERMANENT_SESSION_LIFETIME"] = timedelta(hours=int(cfg["ACADEMY_SESSION_HOURS"]))
    # The cookie is re-signed only when the session changes (sign-in, and the
    # idle clock once a minute: academy.security); the server enforces both limits.
    cfg["SESSION_REFRESH_EACH_REQUEST"] = False
    cfg["SQLALCHEMY_TRACK_MODIFICATIONS"] = False
    cfg.setdefault("RATELIMIT_STORAGE_URI", cfg["ACADEMY_RATELIMIT_STORAGE_URL"])
    cfg.setdefault("RATELIMIT_HEADERS_ENABLED", False)
    cfg.setdefault("WTF_CSRF_TIME_LIMIT", None)  # the token lives as long as the session
    cfg["MAX_CONTENT_LENGTH"] = cfg.get("MAX_CONTENT_LENGTH") or 16 * 1024 * 1024
    if not cfg["SQLALCHEMY_DATABASE_URI"].startswith("sqlite"):
        # Check a pooled connection before use, so service resumes on its own after the
        # database restarts (requests in between get a 503).
        cfg.setdefault("SQLALCHEMY_ENGINE_OPTIONS", {"pool_pre_ping": True})
    cfg["ACADEMY_2FA_REQUIRED_ROLES"] = _role_names(cfg["ACADEMY_2FA_REQUIRED_ROLES"])


def _role_names(value) -> frozenset[str]:
    """Parse a list of roles ("administrator,trainer", or a list in instance/config.py).

    A misspelt role is an error rather than ignored: ignoring it would quietly
    let that role sign in with a password alone.
    """
    from academy.models.user import ROLES

    names = value.split(",") if isinstance(value, str) else value
    roles = frozenset(name.strip() for name in names if name.strip())
    unknown = roles - set(ROLES)
    if unknown:
        raise ValueError(f"ACADEMY_2FA_REQUIRED_ROLES: unknown role(s) {', '.join(sorted(unknown))}; "
                         f"use any of {', '.join(ROLES)}")
    return roles
