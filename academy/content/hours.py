"""CE hours: the one formula, so the checker, the catalog and certificates agree."""
from __future__ import annotations

from collections.abc import Iterable


def computed_ce_hours(module_minutes: Iterable[int], quiz_minutes: int) -> float:
    """(sum of module minutes + quiz minutes) / 60, rounded DOWN to a multiple of 0.25.

    Rounding down means a certificate never claims more time than the course
    estimates; integer arithmetic avoids float surprises at the boundaries.
    """
    total_minutes = sum(module_minutes) + quiz_minutes
    return (total_minutes * 4 // 60) / 4


def ce_hours(module_minutes: Iterable[int], quiz_minutes: int, override: float | None = None) -> float:
    """The course's CE hours: the `ce_hours` override from course.md if set, else the computed value."""
    if override is not None:
        return float(override)
    return computed_ce_hours(module_minutes, quiz_minutes)
