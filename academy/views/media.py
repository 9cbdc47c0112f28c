"""Serving images from the media store."""
from __future__ import annotations

from flask import Blueprint, abort, make_response

from academy.extensions import db
from academy.models import Media
from academy.security import signed_in

bp = Blueprint("media", __name__)


@bp.route("/media/<sha256>")
@signed_in
def image(sha256: str):
    media = db.session.get(Media, sha256.lower()) if len(sha256) == 64 else None
    if media is None:
        abort(404)
    response = make_response(media.data)
    # The type recorded when the bytes were checked, never one guessed from a name.
    response.headers["Content-Type"] = media.content_type
    response.headers["Content-Disposition"] = "inline"
    # Content-addressed: a given URL never changes, so the browser may keep it.
    response.headers["Cache-Control"] = "private, max-age=31536000, immutable"
    return response
