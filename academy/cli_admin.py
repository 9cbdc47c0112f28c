"""Administration commands of the ``flask academy …`` group (registered in academy.cli): thin wrappers."""
from __future__ import annotations

import sys
from datetime import datetime

import click
from flask.cli import with_appcontext


@click.command("send-reminders")
@click.option("--today", type=click.DateTime(formats=["%Y-%m-%d"]),
              help="Act as if it were this day (YYYY-MM-DD), for testing. Default: today.")
@with_appcontext
def send_reminders_command(today: datetime | None):
    """Email the certificate-expiry and requirement-due reminders that are due.

    Each reminder is sent once however often this runs, so run it from cron
    (e.g. hourly). Exits with status 1 when the mail server refused messages
    (they are retried on the next run).
    """
    from academy.admin.reminders import send_reminders
    from academy.learning.certificates import today as local_today

    summary = send_reminders(today.date() if today else local_today())
    click.echo(summary.report())
    if summary.failed:
        sys.exit(1)


@click.command("demo-data")
@click.option("--clinicians", type=click.IntRange(min=1), default=10_000, show_default=True,
              help="How many demo clinicians to create.")
@click.option("--seed", type=int, default=1, show_default=True, help="The same seed gives the same data.")
@with_appcontext
def demo_data_command(clinicians: int, seed: int):
    """Create realistic demo clinicians with groups, attempts, completions, certificates and a requirement set.

    Needs the courses imported first (flask academy import). Refuses to run on
    a database that has demo clinicians already. All demo clinicians share one
    password, printed at the end.
    """
    from academy.admin.demo_data import DEMO_DOMAIN, DemoDataError, create_demo_data

    try:
        report = create_demo_data(clinicians, seed=seed)
    except DemoDataError as exc:
        raise click.ClickException(str(exc)) from None
    click.echo(f"Created demo data in {report.seconds:.1f} s:")
    width = max(len(name) for name in report.counts)
    for name, count in report.counts.items():
        click.echo(f"  {name.replace('_', ' '):<{width}}  {count:>9,}")
    click.echo(f"Every demo clinician (…@{DEMO_DOMAIN}) signs in with the password: {report.password}")
