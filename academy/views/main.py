"""The home page and the health check."""
from __future__ import annotations

from flask import Blueprint, render_template
from flask_login import current_user
from sqlalchemy import text

from academy.extensions import db
from academy.forms.auth import ConfirmForm
from academy.security import public, signed_in

bp = Blueprint("main", __name__)


@bp.route("/")
@signed_in
def home():
    from academy.admin.records import clearances, requirement_sets
    from academy.learning.certificates import today

    user = current_user._get_current_object()
    requirements = clearances([user], today()).get(user.id, {})
    names = {s.id: s.name for s in requirement_sets()} if requirements else {}
    return render_template("main/home.html", form=ConfirmForm(),
                           requirements=[(names[set_id], status) for set_id, status in requirements.items()])


@bp.route("/healthz")
@public
def healthz():
    try:
        db.session.execute(text("SELECT 1"))
    except Exception:  # any failure to reach the database means "not healthy"
        db.session.rollback()
        return {"status": "unavailable", "database": "unreachable"}, 503
    return {"status": "ok", "database": "ok"}, 200
