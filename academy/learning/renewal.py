"""When a completed course may be taken again.

Until certificates exist (with their expiry and recertification window), a
completed course is complete for good.
"""
from __future__ import annotations

from academy.models import Course, User


def may_retake(user: User, course: Course) -> bool:
    return False
