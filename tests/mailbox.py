"""The outside world of the email channel's tests: the buyers' mail provider (an aiosmtpd server that keeps what
kefu sends) and a buyer's mail client (smtplib)."""

from __future__ import annotations

import smtplib
from email import message_from_bytes, policy
from email.message import EmailMessage
from typing import List, Optional


class Mailbox:
    """aiosmtpd's handler: keeps every mail it is given."""

    def __init__(self) -> None:
        self.mails: List[EmailMessage] = []

    async def handle_DATA(self, server, session, envelope) -> str:  # noqa: N802 - aiosmtpd's name
        self.mails.append(message_from_bytes(envelope.original_content, policy=policy.default))
        return "250 OK"

    def to(self, address: str) -> List[EmailMessage]:
        return [m for m in self.mails if address in str(m["To"])]


def buyer_mail(text: str, message_id: str, subject: str = "My order", reply_to: Optional[EmailMessage] = None,
               sender: str = "Lily Chen <lily@example.com>") -> EmailMessage:  # fmt: skip
    """A buyer's mail; with reply_to, an answer to that mail as a mail client writes it."""
    msg = EmailMessage()
    msg["From"], msg["To"], msg["Message-ID"] = sender, "help@shop.example", message_id
    msg["Subject"] = f"Re: {reply_to['Subject']}" if reply_to is not None else subject
    if reply_to is not None:
        msg["In-Reply-To"] = reply_to["Message-ID"]
        msg["References"] = f"{reply_to['References'] or ''} {reply_to['Message-ID']}".strip()
    msg.set_content(text)
    return msg


def send(port: int, msg: EmailMessage) -> None:
    with smtplib.SMTP("127.0.0.1", port, timeout=60) as smtp:
        smtp.send_message(msg)


def content(msg: EmailMessage) -> str:
    return msg.get_content().replace("\r\n", "\n").strip()
