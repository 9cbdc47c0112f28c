"""Administering people: invitations, bulk import, roles, activation, groups and requirement sets."""
from __future__ import annotations

import csv
import io
import secrets
from dataclasses import dataclass
from datetime import date

from flask import current_app

from academy.accounts import passwords, tokens
from academy.accounts.service import AccountError, Profile, check_email, set_active, set_role
from academy.audit import record_event
from academy.extensions import db
from academy.mail import send_mail
from academy.models import (Course, Group, GroupMembership, RequirementAssignment, RequirementCourse,
                            RequirementSet, TokenPurpose, User)
from academy.models.base import utcnow
from academy.models.user import find_user_by_email

INVITE_HOURS = 72
IMPORT_COLUMNS = ("email", "full_name", "credentials", "profession", "license_number", "license_state", "groups")

__all__ = ["AccountError", "invite", "bulk_import", "parse_import", "ImportRow", "set_role", "set_active",
           "create_group", "set_groups", "create_requirement_set", "assign_requirement", "remove_assignment"]


def _link(path: str) -> str:
    return current_app.config["ACADEMY_BASE_URL"].rstrip("/") + path


def _new_account(email: str, profile: Profile, role: str) -> User:
    # An unusable random password: the person chooses theirs through the emailed link.
    user = User(email=email, role=role, password_hash=passwords.hash_password(secrets.token_urlsafe(32)),
                full_name=profile.full_name.strip(), credentials=profile.credentials.strip(),
                profession=profile.profession.strip(), license_number=profile.license_number.strip(),
                license_state=profile.license_state.strip(), email_verified_at=utcnow())
    db.session.add(user)
    db.session.flush()
    return user


def _send_invitation(user: User, secret: str) -> None:
    send_mail(user.email, "You are invited to Academy",
              f"Hello {user.full_name},\n\nAn administrator created an Academy account for you "
              f"({user.role}). Choose your password here to sign in:\n{_link('/reset-password/' + secret)}\n\n"
              f"The link works once and expires in {INVITE_HOURS} hours.")


def invite(admin: User, email: str, profile: Profile, role: str, *, ip: str = "") -> User:
    """Create an account and email a one-time link to set its password."""
    email = check_email(email)
    if find_user_by_email(email) is not None:
        raise AccountError(f"An account with the email {email} already exists.")
    if not profile.full_name.strip():
        raise AccountError("A full name is required.")
    user = _new_account(email, profile, role)
    secret = tokens.issue(user, TokenPurpose.RESET_PASSWORD.value, INVITE_HOURS)
    record_event(admin, "user.invite", user, {"role": role}, ip=ip)
    db.session.commit()
    _send_invitation(user, secret)
    return user


@dataclass(frozen=True)
class ImportRow:
    line: int
    email: str
    profile: Profile
    groups: tuple[str, ...]


def parse_import(text: str) -> tuple[list[ImportRow], list[str]]:
    """Read a clinicians CSV; every problem is reported with its line, nothing is created here."""
    reader = csv.DictReader(io.StringIO(text))
    header = [name.strip().lower() for name in (reader.fieldnames or [])]
    missing = [name for name in ("email", "full_name") if name not in header]
    if missing:
        return [], [f"line 1: the header must include {', '.join(missing)} (columns: {', '.join(IMPORT_COLUMNS)})"]
    unknown = [name for name in header if name not in IMPORT_COLUMNS]
    if unknown:
        return [], [f"line 1: unknown column(s) {', '.join(unknown)}; allowed: {', '.join(IMPORT_COLUMNS)}"]
    rows, errors, seen = [], [], {}
    for number, raw in enumerate(reader, start=2):
        values = {key.strip().lower(): (value or "").strip() for key, value in raw.items() if key}
        try:
            email = check_email(values.get("email", ""))
        except AccountError as exc:
            errors.append(f"line {number}: {exc}")
            continue
        if not values.get("full_name"):
            errors.append(f"line {number}: full_name is empty")
            continue
        if email in seen:
            errors.append(f"line {number}: {email} also appears on line {seen[email]}")
            continue
        seen[email] = number
        rows.append(ImportRow(number, email, Profile(
            full_name=values["full_name"], credentials=values.get("credentials", ""),
            profession=values.get("profession", ""), license_number=values.get("license_number", ""),
            license_state=values.get("license_state", "")),
            tuple(g.strip() for g in values.get("groups", "").split(";") if g.strip())))
    existing = {email for (email,) in db.session.execute(
        db.select(User.email).where(User.email.in_([r.email for r in rows] or [""])))}
    errors += [f"line {r.line}: an account with the email {r.email} already exists" for r in rows if r.email in existing]
    if not rows and not errors:
        errors.append("the file has no clinicians in it")
    return rows, sorted(errors, key=lambda e: int(e.split(":")[0].split()[1]))


def bulk_import(admin: User, text: str, *, ip: str = "") -> tuple[int, list[str]]:
    """Create every clinician in the CSV and send invitations, or nothing at all when any row is wrong."""
    rows, errors = parse_import(text)
    if errors:
        return 0, errors
    groups = {g.name.lower(): g for g in db.session.scalars(db.select(Group))}
    invitations = []
    for row in rows:
        user = _new_account(row.email, row.profile, "clinician")
        for name in row.groups:
            group = groups.get(name.lower())
            if group is None:
                group = groups[name.lower()] = Group(name=name)
                db.session.add(group)
                db.session.flush()
            db.session.add(GroupMembership(user_id=user.id, group_id=group.id))
        invitations.append((user, tokens.issue(user, TokenPurpose.RESET_PASSWORD.value, INVITE_HOURS)))
    record_event(admin, "user.bulk_import", None, {"count": len(rows)}, ip=ip)
    db.session.commit()
    for user, secret in invitations:
        _send_invitation(user, secret)
    return len(rows), []


def create_group(admin: User, name: str, *, ip: str = "") -> Group:
    name = name.strip()
    if not name:
        raise AccountError("Give the group a name.")
    if db.session.scalar(db.select(Group).where(db.func.lower(Group.name) == name.lower())):
        raise AccountError(f"A group called {name} exists already.")
    group = Group(name=name[:200])
    db.session.add(group)
    db.session.flush()
    record_event(admin, "group.create", group, ip=ip)
    db.session.commit()
    return group


def set_groups(admin: User, user: User, group_ids: set[int], *, ip: str = "") -> None:
    """Make the clinician's memberships exactly these groups."""
    current = set(db.session.scalars(db.select(GroupMembership.group_id).where(GroupMembership.user_id == user.id)))
    valid = set(db.session.scalars(db.select(Group.id).where(Group.id.in_(group_ids or {0}))))
    for group_id in current - valid:
        db.session.execute(db.delete(GroupMembership).where(GroupMembership.user_id == user.id,
                                                            GroupMembership.group_id == group_id))
    for group_id in valid - current:
        db.session.add(GroupMembership(user_id=user.id, group_id=group_id))
    if current != valid:
        record_event(admin, "user.groups", user, {"groups": sorted(valid)}, ip=ip)
    db.session.commit()


def create_requirement_set(admin: User, name: str, course_ids: list[int], window_days: int, description: str = "",
                           *, ip: str = "") -> RequirementSet:
    name = name.strip()
    if not name:
        raise AccountError("Give the requirement set a name.")
    if not course_ids:
        raise AccountError("Choose at least one course.")
    if db.session.scalar(db.select(RequirementSet).where(db.func.lower(RequirementSet.name) == name.lower())):
        raise AccountError(f"A requirement set called {name} exists already.")
    if not 0 <= window_days <= 365:
        raise AccountError("The expiry window must be between 0 and 365 days.")
    known = set(db.session.scalars(db.select(Course.id).where(Course.id.in_(course_ids))))
    requirement = RequirementSet(name=name[:200], description=description.strip(), window_days=window_days,
                                 courses=[RequirementCourse(course_id=c) for c in course_ids if c in known])
    db.session.add(requirement)
    db.session.flush()
    record_event(admin, "requirement.create", requirement, {"courses": sorted(known)}, ip=ip)
    db.session.commit()
    return requirement


def assign_requirement(admin: User, requirement: RequirementSet, due_on: date, *, profession: str = "",
                       group_id: int | None = None, user_id: int | None = None, ip: str = "") -> RequirementAssignment:
    """Assign a set by profession, by group, or to one clinician, with a due date."""
    targets = [bool(profession.strip()), group_id is not None, user_id is not None]
    if sum(targets) != 1:
        raise AccountError("Assign the requirement to one profession, one group or one clinician.")
    kind = ("profession", "group", "user")[targets.index(True)]
    assignment = RequirementAssignment(requirement_set_id=requirement.id, target_type=kind,
                                       profession=profession.strip() or None, group_id=group_id, user_id=user_id,
                                       due_on=due_on, created_by_id=admin.id)
    db.session.add(assignment)
    record_event(admin, "requirement.assign", requirement,
                 {"target": kind, "profession": profession.strip(), "group_id": group_id, "user_id": user_id,
                  "due_on": due_on.isoformat()}, ip=ip)
    db.session.commit()
    return assignment


def remove_assignment(admin: User, assignment: RequirementAssignment, *, ip: str = "") -> None:
    requirement = db.session.get(RequirementSet, assignment.requirement_set_id)
    record_event(admin, "requirement.unassign", requirement, {"assignment": assignment.id}, ip=ip)
    db.session.delete(assignment)
    db.session.commit()
