"""Outgoing mail: SMTP when configured, else the message is written to the log."""

from __future__ import annotations

import smtplib
from email.message import EmailMessage
from urllib.parse import unquote, urlsplit

import structlog

log = structlog.get_logger("clickstream.auth")


def send_mail(smtp_url: str | None, sender: str, to: str, subject: str, body: str) -> None:
    """Send a plain-text message, or log it when there is no SMTP server."""
    if not smtp_url:
        log.info("mail_not_sent_no_smtp", to=to, subject=subject, body=body)
        return
    parts = urlsplit(smtp_url)
    message = EmailMessage()
    message["From"], message["To"], message["Subject"] = sender, to, subject
    message.set_content(body)
    secure = parts.scheme == "smtps"
    factory = smtplib.SMTP_SSL if secure else smtplib.SMTP
    with factory(parts.hostname or "127.0.0.1", parts.port or (465 if secure else 25)) as smtp:
        if not secure and parts.port == 587:
            smtp.starttls()
        if parts.username:
            smtp.login(unquote(parts.username), unquote(parts.password or ""))
        smtp.send_message(message)
    log.info("mail_sent", to=to, subject=subject)
