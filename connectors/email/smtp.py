"""Our mails out, by SMTP (the shop's mail server or relay), on a worker thread so the event loop never waits."""

from __future__ import annotations

import asyncio
import logging
import smtplib
import ssl
from email.message import EmailMessage

from shop.settings import EmailSettings

log = logging.getLogger(__name__)
TIMEOUT_S = 10.0
TRIES = 3  # a relay that is restarting; after that the failure is recorded for the agents to see


class SendFailed(Exception):
    """The mail server did not take the message after every try."""


def send_now(settings: EmailSettings, msg: EmailMessage) -> None:
    with smtplib.SMTP(settings.smtp_host, settings.smtp_port, timeout=TIMEOUT_S) as smtp:
        if settings.smtp_starttls:
            smtp.starttls(context=ssl.create_default_context())
        if settings.smtp_user:
            smtp.login(settings.smtp_user, settings.smtp_password)
        smtp.send_message(msg)


async def send(settings: EmailSettings, msg: EmailMessage, first_delay_s: float = 1.0) -> None:
    """Send, trying again after 1 s and 2 s on a refused connection or a temporary (4xx) answer."""
    delay = first_delay_s
    for attempt in range(1, TRIES + 1):
        try:
            await asyncio.to_thread(send_now, settings, msg)
            return
        except smtplib.SMTPResponseException as exc:
            if not 400 <= exc.smtp_code < 500 or attempt == TRIES:  # 5xx: permanent, trying again changes nothing
                raise SendFailed(f"SMTP {exc.smtp_code}") from exc
            reason = f"SMTP {exc.smtp_code}"
        except (OSError, smtplib.SMTPException) as exc:
            if attempt == TRIES:
                raise SendFailed(exc.__class__.__name__) from exc
            reason = exc.__class__.__name__
        log.warning("mail %s not sent (%s), try %d again in %.0f s", msg["Message-ID"], reason, attempt + 1, delay)
        await asyncio.sleep(delay)
        delay *= 2
