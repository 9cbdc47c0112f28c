"""The render cache kept in the database (see parse.RenderCache)."""
from __future__ import annotations

from collections.abc import Iterator, MutableMapping

from sqlalchemy import delete, insert

from academy.content.render import Found, Rendered
from academy.extensions import db
from academy.models import RenderedText


def _to_json(rendered: Rendered) -> dict:
    def items(found):
        return [[f.value, f.line, f.alt] for f in found]
    return {"html": rendered.html, "links": items(rendered.links), "images": items(rendered.images),
            "raw_html": items(rendered.raw_html), "lost_text": items(rendered.lost_text)}


def _from_json(value: dict) -> Rendered:
    def items(rows):
        return tuple(Found(v, line, alt) for v, line, alt in rows)
    return Rendered(value["html"], items(value["links"]), items(value["images"]), items(value["raw_html"]),
                    items(value.get("lost_text", [])))


class StoredRenderCache(MutableMapping):
    """Loads every entry once; new entries are written, and unused ones pruned, by `save`."""

    def __init__(self) -> None:
        self._stored = dict(db.session.execute(db.select(RenderedText.key, RenderedText.value)).all())
        self._new: dict[str, Rendered] = {}
        self._used: set[str] = set()

    def __getitem__(self, key: str) -> Rendered:
        if key in self._new:
            return self._new[key]
        value = _from_json(self._stored[key])
        self._used.add(key)
        return value

    def __setitem__(self, key: str, value: Rendered) -> None:
        self._new[key] = value

    def __delitem__(self, key: str) -> None:
        raise TypeError("entries are pruned by save()")

    def __iter__(self) -> Iterator[str]:
        return iter(self._stored.keys() | self._new.keys())

    def __len__(self) -> int:
        return len(self._stored.keys() | self._new.keys())

    def save(self, *, prune: bool) -> None:
        """Add the new entries (in the caller's transaction); with `prune`, drop those this run did not use."""
        if self._new:
            db.session.execute(insert(RenderedText), [{"key": k, "value": _to_json(v)} for k, v in self._new.items()])
        if prune:
            unused = list(self._stored.keys() - self._used)
            for start in range(0, len(unused), 500):
                db.session.execute(delete(RenderedText).where(RenderedText.key.in_(unused[start:start + 500])))
