"""Images: recognised by their content (never by their name) and stored under their SHA-256."""
from __future__ import annotations

import hashlib

from academy.extensions import db
from academy.models import Media

# Content type → test on the first bytes. SVG is deliberately absent: it can carry script.
SIGNATURES = {
    "image/png": lambda data: data.startswith(b"\x89PNG\r\n\x1a\n"),
    "image/jpeg": lambda data: data.startswith(b"\xff\xd8\xff"),
    "image/gif": lambda data: data[:6] in (b"GIF87a", b"GIF89a"),
    "image/webp": lambda data: data[:4] == b"RIFF" and data[8:12] == b"WEBP",
}


def sniff(data: bytes) -> str | None:
    """The image's content type from its bytes, or None when it is not an allowed image."""
    return next((kind for kind, matches in SIGNATURES.items() if matches(data)), None)


def media_url(sha256: str) -> str:
    return f"/media/{sha256}"


def store(data: bytes) -> str:
    """Add an image to the media store (in the current transaction) unless it is there; return its hash."""
    content_type = sniff(data)
    if content_type is None:
        raise ValueError("not a PNG, JPEG, GIF or WebP image")
    digest = hashlib.sha256(data).hexdigest()
    if db.session.get(Media, digest) is None:
        db.session.add(Media(sha256=digest, content_type=content_type, size=len(data), data=data))
    return digest
