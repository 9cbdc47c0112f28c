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
from academy.models import ROLES
from academy.models.user import find_user_by_email


@click.group("academy")
def academy_group():
    """Academy administration commands."""


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
