"""The home page and the health check."""
from __future__ import annotations

from flask import Blueprint, render_template
from sqlalchemy import text

from academy.extensions import db
from academy.forms.auth import ConfirmForm
from academy.security import public, signed_in

bp = Blueprint("main", __name__)


@bp.route("/")
@signed_in
def home():
    return render_template("main/home.html", form=ConfirmForm())


@bp.route("/healthz")
@public
def healthz():
    try:
        db.session.execute(text("SELECT 1"))
    except Exception:  # any failure to reach the database means "not healthy"
        db.session.rollback()
        return {"status": "unavailable", "database": "unreachable"}, 503
    return {"status": "ok", "database": "ok"}, 200
