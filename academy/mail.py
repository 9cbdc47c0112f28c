"""Outgoing email: SMTP when configured, otherwise .eml files in instance/outbox/.

The outbox lets a person running Academy locally (and the tests) read every
message without a mail server.
"""
from __future__ import annotations

import smtplib
import uuid
from email.message import EmailMessage
from email.utils import formatdate, make_msgid
from pathlib import Path

from flask import current_app


def send_mail(to: str, subject: str, body: str) -> None:
    """Send one plain-text message."""
    config = current_app.config
    message = EmailMessage()
    message["From"] = config["ACADEMY_MAIL_FROM"]
    message["To"] = to
    message["Subject"] = subject
    message["Date"] = formatdate(localtime=False)
    message["Message-ID"] = make_msgid(domain="academy")
    message.set_content(body)

    if config.get("ACADEMY_SMTP_HOST"):
        _send_smtp(config, message)
    else:
        outbox = outbox_path()
        outbox.mkdir(parents=True, exist_ok=True)
        name = f"{formatdate(usegmt=True)[5:25].replace(' ', '-').replace(':', '')}-{uuid.uuid4().hex[:8]}.eml"
        (outbox / name).write_bytes(bytes(message))


def outbox_path() -> Path:
    return Path(current_app.config.get("ACADEMY_OUTBOX") or Path(current_app.instance_path) / "outbox")


def _send_smtp(config, message: EmailMessage) -> None:
    with smtplib.SMTP(config["ACADEMY_SMTP_HOST"], int(config["ACADEMY_SMTP_PORT"]), timeout=30) as smtp:
        if config.get("ACADEMY_SMTP_STARTTLS"):
            smtp.starttls()
        if config.get("ACADEMY_SMTP_USER"):
            smtp.login(config["ACADEMY_SMTP_USER"], config["ACADEMY_SMTP_PASSWORD"])
        smtp.send_message(message)
