"""The ``flask academy …`` command group: thin wrappers over the services."""
from __future__ import annotations

import secrets
import sys
from pathlib import Path

import click
from flask import current_app
from flask.cli import with_appcontext

from academy.accounts import service
from academy.accounts.service import AccountError, PasswordRejected
from academy.cli_admin import demo_data_command, send_reminders_command
from academy.cli_questions import gift_group, item_analysis_command
from academy.models import ROLES
from academy.models.user import find_user_by_email


@click.group("academy")
def academy_group():
    """Academy administration commands."""


academy_group.add_command(send_reminders_command)
academy_group.add_command(demo_data_command)
academy_group.add_command(gift_group)
academy_group.add_command(item_analysis_command)


@academy_group.command("create-user")
@click.option("--email", required=True)
@click.option("--name", "full_name", required=True, help="Full name as printed on certificates.")
@click.option("--role", type=click.Choice(ROLES), default="clinician", show_default=True)
@click.option("--password-stdin", is_flag=True, help="Read the password from standard input.")
@with_appcontext
def create_user(email: str, full_name: str, role: str, password_stdin: bool):
    """Create a confirmed account (asks for the password unless --password-stdin)."""
    if password_stdin:
        password = sys.stdin.readline().rstrip("\r\n")
    else:
        password = click.prompt("Password", hide_input=True, confirmation_prompt=True)
    try:
        user = service.create_user(email, full_name, role, password)
    except (AccountError, PasswordRejected) as exc:
        raise click.ClickException(str(exc)) from None
    click.echo(f"Created {user.role} {user.email}.")


@academy_group.command("set-role")
@click.argument("email")
@click.argument("role", type=click.Choice(ROLES))
@with_appcontext
def set_role(email: str, role: str):
    """Change an account's role (audit-logged; the user's sessions end)."""
    user = find_user_by_email(email)
    if user is None:
        raise click.ClickException(f"No account uses the email {email}.")
    service.set_role(None, user, role)
    click.echo(f"{user.email} is now {role}.")


@academy_group.command("reset-2fa")
@click.argument("email")
@with_appcontext
def reset_two_factor(email: str):
    """Turn off an account's two-factor sign-in (lost app and recovery codes; audit-logged, sessions end)."""
    from academy.accounts import twofactor

    user = find_user_by_email(email)
    if user is None:
        raise click.ClickException(f"No account uses the email {email}.")
    try:
        twofactor.reset(None, user)
    except twofactor.TwoFactorError as exc:
        raise click.ClickException(str(exc)) from None
    click.echo(f"Two-factor sign-in is off for {user.email}; their sessions have ended and they have been told "
               "by email.")


DEMO_ACCOUNTS = (
    ("clinician", "clinician@academy.example.com", "Dana Clinician", "LCSW"),
    ("trainer", "trainer@academy.example.com", "Toni Trainer", "PsyD"),
    ("administrator", "admin@academy.example.com", "Alex Administrator", ""),
)


@academy_group.command("demo")
@with_appcontext
def demo():
    """Create the demo accounts (clinician, trainer, administrator) once.

    Passwords are random; they are printed and kept in instance/demo-accounts.txt
    (one account a line: ROLE EMAIL PASSWORD). Running it again keeps them.
    """
    path = Path(current_app.instance_path) / "demo-accounts.txt"
    known = {}
    if path.exists():
        for line in path.read_text().splitlines():
            parts = line.split(" ")
            if len(parts) == 3:
                known[parts[1]] = parts[2]
    lines = []
    for role, email, name, credentials in DEMO_ACCOUNTS:
        user = find_user_by_email(email)
        password = known.get(email)
        if user is None:
            password = secrets.token_urlsafe(12)
            service.create_user(email, name, role, password, profile=service.Profile(
                full_name=name, credentials=credentials,
                profession="Social worker" if role == "clinician" else ""))
        elif password is None:
            # The account exists but its password was not kept: issue a new one.
            password = secrets.token_urlsafe(12)
            service.set_password_for_demo(user, password)
        lines.append(f"{role} {email} {password}")
    path.write_text("\n".join(lines) + "\n")
    path.chmod(0o600)
    click.echo("Demo accounts (also in instance/demo-accounts.txt):")
    for line in lines:
        click.echo("  " + line)


def _default_source():
    from academy.content.sync import Source

    root = Path(current_app.root_path).parent
    courses = Path(current_app.config["ACADEMY_COURSES_DIR"] or "courses")
    quizzes = Path(current_app.config["ACADEMY_QUIZZES_DIR"] or "quizzes")
    return Source(courses if courses.is_absolute() else root / courses,
                  quizzes if quizzes.is_absolute() else root / quizzes)


def _relative(problem) -> str:
    """Show paths relative to the working directory, as editors and CI annotations expect."""
    try:
        path = Path(problem.path).resolve().relative_to(Path.cwd())
    except ValueError:
        path = Path(problem.path)
    return f"{path}:{problem.line}: {problem.severity}: {problem.message}"


@academy_group.command("check")
@click.argument("paths", nargs=-1, type=click.Path(exists=True, path_type=Path))
@click.option("--strict", is_flag=True, help="Warnings fail the check too.")
@click.option("--format", "output", type=click.Choice(["text", "json"]), default="text", show_default=True)
@with_appcontext
def check(paths: tuple[Path, ...], strict: bool, output: str):
    """Check course and quiz files; report every problem as path:line: severity: message.

    PATHS are courses folders or single course folders (default: the configured courses/).
    """
    import json

    from academy.content.sync import check_sources, sources_for

    content, problems = check_sources(sources_for(list(paths), _default_source()))
    errors = sum(p.severity == "error" for p in problems)
    warnings = len(problems) - errors
    if output == "json":
        click.echo(json.dumps({"courses": sorted(content.courses), "errors": errors, "warnings": warnings,
                               "problems": [{"path": p.path, "line": p.line, "severity": p.severity,
                                             "message": p.message} for p in problems]}, indent=2))
    else:
        for problem in problems:
            click.echo(_relative(problem))
        click.echo(f"{len(content.courses)} courses checked: {errors} errors, {warnings} warnings.",
                   err=bool(problems))
    if errors or (strict and warnings):
        sys.exit(1)


def _progress(done: int, total: int) -> None:
    """A one-line progress count on a terminal, for long imports only."""
    if total >= 20 and sys.stderr.isatty():
        click.echo(f"\rImporting courses: {done}/{total}", nl=(done == total), err=True)


@academy_group.command("import")
@click.argument("paths", nargs=-1, type=click.Path(exists=True, path_type=Path))
@click.option("--dry-run", is_flag=True, help="Show what would change; save nothing.")
@click.option("--force", is_flag=True, help="Overwrite courses edited in the browser since their last import.")
@click.option("--on-conflict", type=click.Choice(["fail", "warn"]), default="fail", show_default=True,
              help="Whether skipping a course edited in the browser is an error (exit 1) or a warning.")
@with_appcontext
def import_command(paths: tuple[Path, ...], dry_run: bool, force: bool, on_conflict: str):
    """Validate and import course files as new course versions (all or nothing).

    PATHS are courses folders or single course folders (default: the configured
    courses/). Courses from files that are missing from a full folder import are
    retired from the catalog, never deleted.
    """
    from academy.content.sync import import_content, sources_for

    sources = sources_for(list(paths), _default_source())
    report = import_content(sources, dry_run=dry_run, force=force, progress=_progress)
    for problem in report.problems:
        click.echo(_relative(problem), err=True)
    if report.errors:
        click.echo(f"Nothing imported: {len(report.errors)} errors. Fix them and run the import again.", err=True)
        sys.exit(1)
    for slug in report.skipped:
        click.echo(f"{'warning' if on_conflict == 'warn' else 'error'}: skipped {slug}: it was edited in the "
                   "browser since its last import; use --force to overwrite the browser edits", err=True)
    click.echo(report.summary())
    for name in ("added", "changed", "retired"):
        for slug in getattr(report, name):
            click.echo(f"  {name}: {slug}")
    if report.skipped and on_conflict == "fail":
        sys.exit(1)


@academy_group.command("grant")
@click.argument("email")
@click.argument("course_slug")
@click.option("--attempts", type=click.IntRange(min=0), default=0, help="Extra post-test attempts.")
@click.option("--minutes", type=click.IntRange(min=0), default=0, help="Extra minutes per timed attempt.")
@click.option("--reason", default="", help="Why (kept in the audit trail).")
@with_appcontext
def grant(email: str, course_slug: str, attempts: int, minutes: int, reason: str):
    """Give a clinician extra post-test attempts or extra time on a course (audit-logged)."""
    from academy.learning.attempts import grant as grant_allowance
    from academy.learning.enrollment import published_course
    from academy.learning.errors import LearningError, NotFound

    user = find_user_by_email(email)
    if user is None:
        raise click.ClickException(f"No account uses the email {email}.")
    try:
        course = published_course(course_slug)
        grant_allowance(None, user, course.id, attempts=attempts, minutes=minutes, reason=reason)
    except NotFound:
        raise click.ClickException(f"No published course has the slug '{course_slug}'.") from None
    except LearningError as exc:
        raise click.ClickException(str(exc)) from None
    click.echo(f"Granted {user.email} {attempts} extra attempt(s) and {minutes} extra minute(s) on {course_slug}.")


@academy_group.group("keys")
def keys_group():
    """Signing keys for certificate credentials (kept in instance/keys or ACADEMY_KEYS_DIR)."""


@keys_group.command("init")
@click.option("--if-missing", is_flag=True, help="Do nothing (and succeed) when keys exist already.")
@with_appcontext
def keys_init(if_missing: bool):
    """Create the first Ed25519 signing key."""
    from academy.certificates.keys import KeyRingError, init_keys
    from academy.learning.certificates import keys_dir

    folder = keys_dir()
    if if_missing and folder.is_dir() and any(folder.glob("ed25519-*.pem")):
        click.echo(f"Signing keys exist in {folder}.")
        return
    try:
        kid = init_keys(folder)
    except KeyRingError as exc:
        raise click.ClickException(str(exc)) from None
    click.echo(f"Created signing key {kid} in {folder}.")


@keys_group.command("rotate")
@with_appcontext
def keys_rotate():
    """Add a new signing key and sign with it from now on; older keys still verify."""
    from academy.certificates.keys import KeyRingError, rotate_keys
    from academy.learning.certificates import keys_dir

    try:
        kid = rotate_keys(keys_dir())
    except KeyRingError as exc:
        raise click.ClickException(str(exc)) from None
    click.echo(f"Signing with the new key {kid}; earlier keys are kept for verification.")


@academy_group.command("verify-credential")
@click.argument("file", type=click.Path(exists=True, dir_okay=False, path_type=Path))
@with_appcontext
def verify_credential(file: Path):
    """Verify a downloaded credential offline against this server's public keys.

    FILE holds the VC-JWT, or the JSON from /verify/<code>.json. Offline
    verification cannot see a later revocation: the verify page shows the status.
    """
    import json

    from academy.certificates.credential import CredentialInvalid, verify
    from academy.certificates.keys import KeyRingError, load_keyring
    from academy.learning.certificates import keys_dir

    text = file.read_text().strip()
    if text.startswith("{"):
        try:
            text = json.loads(text)["jwt"]
        except (ValueError, KeyError):
            raise click.ClickException("The JSON file has no 'jwt' member: download it from /verify/<code>.json.")
    try:
        keys = load_keyring(keys_dir()).public_keys()
        credential = verify(text, keys)
    except KeyRingError as exc:
        raise click.ClickException(f"No signing keys to verify with: {exc}") from None
    except CredentialInvalid as exc:
        click.echo(f"INVALID: {exc}", err=True)
        sys.exit(1)
    subject = credential["credentialSubject"]
    click.echo(f"VALID signature: {credential['name']}")
    click.echo(f"  holder: {subject.get('identifier', [{}])[0].get('identityHash', '')}")
    click.echo(f"  verify the current status (revocation) at {credential['id']}")


@academy_group.command("export")
@click.argument("course_slug")
@click.argument("directory", type=click.Path(file_okay=False, path_type=Path))
@click.option("--force", is_flag=True, help="Replace the course's files if they exist in DIRECTORY.")
@with_appcontext
def export(course_slug: str, directory: Path, force: bool):
    """Write a course's current version as files (DIRECTORY/courses/<slug>/, DIRECTORY/quizzes/<slug>.md)."""
    from academy.content.files import ExportError, export_course

    try:
        written = export_course(course_slug, directory, replace=force)
    except ExportError as exc:
        raise click.ClickException(str(exc)) from None
    click.echo(f"Wrote {len(written)} files under {directory}.")


@academy_group.command("backup")
@click.argument("path", type=click.Path(dir_okay=False, path_type=Path))
@with_appcontext
def backup_command(path: Path):
    """Back up the SQLite database to PATH while Academy keeps running."""
    from academy.ops.backup import BackupError, backup

    try:
        size = backup(current_app.config["SQLALCHEMY_DATABASE_URI"], path)
    except BackupError as exc:
        raise click.ClickException(str(exc)) from None
    click.echo(f"Backed up to {path} ({size} bytes). Keep the signing keys folder too (instance/keys).")


@academy_group.command("restore")
@click.argument("path", type=click.Path(exists=True, dir_okay=False, path_type=Path))
@click.option("--yes", is_flag=True, help="Do not ask for confirmation.")
@with_appcontext
def restore_command(path: Path, yes: bool):
    """Replace the SQLite database with the backup at PATH, then run `flask db upgrade`."""
    from academy.extensions import db
    from academy.ops.backup import BackupError, restore

    if not yes:
        click.confirm("This replaces every record in the database with the backup. Continue?", abort=True)
    db.session.remove()
    db.engine.dispose()
    try:
        restore(path, current_app.config["SQLALCHEMY_DATABASE_URI"])
    except BackupError as exc:
        raise click.ClickException(str(exc)) from None
    click.echo(f"Restored from {path}. Run `flask db upgrade` if the backup is from an older release.")
