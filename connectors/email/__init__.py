"""Email as a Rasa channel: mails in from an SMTP gateway, replies out by SMTP, each in the buyer's thread."""

from connectors.email.channel import EmailInput, EmailOutput

__all__ = ["EmailInput", "EmailOutput"]
