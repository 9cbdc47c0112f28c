"""Template filters: dates in the configured time zone, CE hours."""
from __future__ import annotations

from datetime import datetime, timezone
from decimal import Decimal
from zoneinfo import ZoneInfo

from flask import current_app


def _zone() -> ZoneInfo:
    return ZoneInfo(current_app.config["ACADEMY_TIMEZONE"])


def localdate(value: datetime | None) -> str:
    return value.astimezone(_zone()).strftime("%Y-%m-%d") if value else ""


def localtime(value: datetime | None) -> str:
    return value.astimezone(_zone()).strftime("%Y-%m-%d %H:%M %Z") if value else ""


def hours(value: Decimal | float) -> str:
    """1.25 → "1.25", 2.00 → "2", 1.50 → "1.5"."""
    text = f"{Decimal(str(value)):.2f}".rstrip("0").rstrip(".")
    return text or "0"


def register_filters(app) -> None:
    app.jinja_env.filters.update(localdate=localdate, localtime=localtime, hours=hours)
    app.jinja_env.globals["now"] = lambda: datetime.now(timezone.utc)
