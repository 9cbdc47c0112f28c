"""Snapshot: what a certificate certifies, frozen at the moment it is issued.

A certificate must keep saying what it said on the day it was issued, even
after the course is retitled, its CE hours change or the holder edits their
profile. So the web layer copies everything the certificate shows into a
Snapshot, stores `to_json()` in a JSON column, and renders the PDF, the
verification page and the credential only from `from_json()` of that.
"""
from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, fields
from datetime import date
from decimal import Decimal
from typing import Any

DEFAULT_DELIVERY_FORMAT = "Self-paced online, enduring material"
KINDS = ("course", "program")
ACCREDITATION_KEYS = ("body", "statement", "credits", "credit_type", "provider_number", "course_number")
# Bumped if the stored shape ever changes, so old rows can still be read.
FORMAT = 1

_DATE_FIELDS = ("completion_date", "issue_date", "expires_on")


@dataclass(frozen=True, kw_only=True)
class Snapshot:
    """Every field a certificate shows; `accreditation` entries use ACCREDITATION_KEYS.

    Numbers (`ce_hours`, each entry's `credits`) are kept as Decimal so that
    "1.5" hours never prints as 1.4999…; floats and strings are converted.
    `program_courses` lists (title, code) of the course certificates a
    program certificate stands on; it is empty for a course certificate.
    """

    code: str
    kind: str
    holder_name: str
    holder_credentials: str = ""
    license_number: str | None = None
    license_state: str | None = None
    course_title: str
    course_version: str
    completion_date: date
    issue_date: date
    delivery_format: str = DEFAULT_DELIVERY_FORMAT
    ce_hours: Decimal
    accreditation: tuple[dict[str, Any], ...] = ()
    provider_name: str
    signatory: str
    expires_on: date | None = None
    program_courses: tuple[tuple[str, str], ...] = ()

    def __post_init__(self) -> None:
        if self.kind not in KINDS:
            raise ValueError(f"kind must be one of {KINDS}, not {self.kind!r}")
        object.__setattr__(self, "holder_credentials", self.holder_credentials or "")
        object.__setattr__(self, "ce_hours", _decimal(self.ce_hours))
        object.__setattr__(self, "accreditation", tuple(_accreditation(entry) for entry in self.accreditation))
        object.__setattr__(self, "program_courses", tuple((title, code) for title, code in self.program_courses))

    def to_json(self) -> dict[str, Any]:
        """A dict of JSON types only: dates as ISO strings, numbers as decimal strings."""
        data: dict[str, Any] = {"format": FORMAT}
        for field in fields(self):
            data[field.name] = getattr(self, field.name)
        for name in _DATE_FIELDS:
            data[name] = data[name].isoformat() if data[name] is not None else None
        data["ce_hours"] = str(self.ce_hours)
        data["accreditation"] = [
            {**entry, "credits": None if entry["credits"] is None else str(entry["credits"])}
            for entry in self.accreditation
        ]
        data["program_courses"] = [list(pair) for pair in self.program_courses]
        return data

    @classmethod
    def from_json(cls, data: Mapping[str, Any]) -> Snapshot:
        """Rebuild a Snapshot from `to_json()` output (after a JSON round trip)."""
        values = dict(data)
        stored_format = values.pop("format", None)
        if stored_format != FORMAT:
            raise ValueError(f"unknown snapshot format {stored_format!r}")
        for name in _DATE_FIELDS:
            if values.get(name) is not None:
                values[name] = date.fromisoformat(values[name])
        return cls(**values)


def _decimal(value: Decimal | float | int | str) -> Decimal:
    # str() first: Decimal(0.1) would keep the float's binary error.
    return value if isinstance(value, Decimal) else Decimal(str(value))


def _accreditation(entry: Mapping[str, Any]) -> dict[str, Any]:
    unknown = set(entry) - set(ACCREDITATION_KEYS)
    if unknown:
        raise ValueError(f"unknown accreditation keys: {sorted(unknown)}")
    if not entry.get("statement"):
        raise ValueError("an accreditation entry needs its statement")
    cleaned = {key: entry.get(key) for key in ACCREDITATION_KEYS}
    if cleaned["credits"] is not None:
        cleaned["credits"] = _decimal(cleaned["credits"])
    return cleaned
