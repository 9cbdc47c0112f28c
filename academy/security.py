"""Access control (deny by default), session lifetime, and security headers.

Every view declares who may reach it: ``@public`` or ``@roles(...)``. A guard
that runs before every request enforces the declaration, so a route that
forgot to declare anything is refused rather than open; a test walks the URL
map and fails for any undeclared route.
"""
from __future__ import annotations

import time
from flask import abort, current_app, redirect, request, session, url_for
from flask_login import current_user, logout_user

from academy.models import ROLES

PUBLIC = "public"
ACCESS_ATTR = "academy_access"
# Flask's own static route serves vendored CSS/JS; nothing private lives there.
PUBLIC_ENDPOINTS = {"static"}


def public(view):
    """Mark a view as reachable without signing in."""
    setattr(view, ACCESS_ATTR, PUBLIC)
    return view


def roles(*names: str):
    """Mark a view as reachable only by signed-in users with one of these roles."""
    unknown = set(names) - set(ROLES)
    if unknown:
        raise ValueError(f"unknown roles: {unknown}")

    def decorate(view):
        setattr(view, ACCESS_ATTR, frozenset(names))
        return view
    return decorate


signed_in = roles(*ROLES)


def access_of(app, endpoint: str):
    """The declared access of an endpoint: PUBLIC, a frozenset of roles, or None."""
    if endpoint in PUBLIC_ENDPOINTS:
        return PUBLIC
    view = app.view_functions.get(endpoint)
    return getattr(view, ACCESS_ATTR, None) if view else None


def enforce_access():
    """before_request: refuse anything the endpoint's declaration does not allow."""
    if request.endpoint is None:  # 404s and 405s are handled by Flask itself
        return None
    allowed = access_of(current_app, request.endpoint)
    if allowed == PUBLIC:
        return None
    if not current_user.is_authenticated:
        if request.method == "GET":
            return redirect(url_for("auth.login", next=request.full_path.rstrip("?")))
        abort(401)
    if allowed is None or current_user.role not in allowed:
        abort(403)
    return None


def enforce_session_lifetime():
    """before_request: end sessions idle too long or older than the absolute lifetime."""
    if not current_user.is_authenticated:
        return None
    now = time.time()
    idle = int(current_app.config["ACADEMY_IDLE_MINUTES"]) * 60
    lifetime = int(current_app.config["ACADEMY_SESSION_HOURS"]) * 3600
    started = session.get("signed_in_at", 0)
    last_seen = session.get("last_seen", started)
    if now - last_seen > idle or now - started > lifetime:
        logout_user()
        session.clear()
        if request.method == "GET":
            return redirect(url_for("auth.login", expired=1))
        abort(401)
    # Refreshed once a minute rather than on every request: the idle limit is
    # counted in minutes, and an unchanged session is not sent back as a cookie.
    if now - last_seen >= 60:
        session["last_seen"] = now
    return None


def start_session() -> None:
    """Called at sign-in: a fresh session (new CSRF token) with its clock started."""
    session.clear()
    session.permanent = True
    session["signed_in_at"] = session["last_seen"] = time.time()


CSP = ("default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; "
       "font-src 'self'; object-src 'none'; base-uri 'none'; form-action 'self'; "
       "frame-ancestors 'none'")


def add_security_headers(response):
    """after_request: headers every response carries."""
    headers = response.headers
    headers.setdefault("Content-Security-Policy", CSP)
    headers.setdefault("X-Content-Type-Options", "nosniff")
    headers.setdefault("X-Frame-Options", "DENY")
    headers.setdefault("Referrer-Policy", "same-origin")
    headers.setdefault("Cross-Origin-Opener-Policy", "same-origin")
    # Pages (signed-in ones, and forms with their CSRF tokens) must not be kept
    # by the browser or a proxy; only vendored static files may be cached.
    if request.endpoint not in PUBLIC_ENDPOINTS and "Cache-Control" not in headers:
        headers["Cache-Control"] = "no-store"
    if current_app.config.get("ACADEMY_SECURE_COOKIES"):
        headers.setdefault("Strict-Transport-Security", "max-age=31536000")
    return response


def client_ip() -> str:
    return request.remote_addr or ""


def safe_next(target: str | None) -> str | None:
    """Only same-site relative paths are followed after sign-in (no open redirect)."""
    if target and target.startswith("/") and not target.startswith("//") and "\\" not in target:
        return target
    return None

