"""The email channel's SMTP receiver: the shop's MX (or a forwarding rule) delivers buyers' mail here, and each
message is posted to Rasa's email channel (connectors/email/) with the gateway secret.

    python -m scripts.email_gateway --port 2525                       # receive, post to RASA_URL
    python -m scripts.email_gateway sink --port 2526 --dir var/mail   # the demo's outside world: keep each mail
                                                                      # kefu sends as an .eml file

What the sender's server is told: 250 taken (answered, ignored as automatic, or a duplicate); 552 over
MAX_MAIL_BYTES; 550 a mail the channel refuses for good (no From address, no text), with its reason; 451 try again
later (Rasa down or busy), so the sending server keeps the mail and delivers it again. A mail bigger than the
channel takes loses its attachments first (connectors/email/mail.py without_attachments).
"""

from __future__ import annotations

import argparse
import asyncio
import signal
import time
from pathlib import Path
from typing import Any, Optional

import aiohttp
from aiosmtpd.controller import Controller
from aiosmtpd.smtp import SMTP, Envelope, Session

from connectors.email.mail import without_attachments
from shop.formats import MAX_MAIL_BYTES, MAX_MAIL_TEXT_BYTES
from shop.settings import Settings

POST_TIMEOUT_S = 60  # a turn with a slow carrier lookup still fits


def smtp_answer(status: int, body: Any) -> str:
    """The SMTP reply for the channel's HTTP answer."""
    if status == 200:
        return "250 2.0.0 OK: received"
    error = str(body.get("error") if isinstance(body, dict) else "")[:200] or "refused"
    if status == 400:
        return f"550 5.6.0 Message refused: {error}"
    if status == 413:
        return "552 5.3.4 Message too big"
    return "451 4.3.0 Temporarily unable to take the message, please try again later"


class Gateway:
    """aiosmtpd's handler: every mail it accepts is posted to the channel."""

    def __init__(self, channel_url: str, secret: str) -> None:
        self.channel_url = channel_url
        self.secret = secret

    async def handle_DATA(self, server: SMTP, session: Session, envelope: Envelope) -> str:  # noqa: N802 - aiosmtpd
        raw = envelope.original_content or envelope.content or b""
        if isinstance(raw, str):
            raw = raw.encode("utf-8", errors="replace")
        if len(raw) > MAX_MAIL_TEXT_BYTES:
            slim: Optional[bytes] = without_attachments(raw)
            if slim is None:
                return "550 5.6.0 Message refused: it could not be read"
            if len(slim) > MAX_MAIL_TEXT_BYTES:
                return "552 5.3.4 Message too big"
            raw = slim
        return await self.post(raw)

    async def post(self, raw: bytes) -> str:
        headers = {"Authorization": f"Bearer {self.secret}", "Content-Type": "message/rfc822"}
        try:
            async with aiohttp.ClientSession(timeout=aiohttp.ClientTimeout(total=POST_TIMEOUT_S)) as http:
                async with http.post(self.channel_url, data=raw, headers=headers) as r:
                    try:
                        body = await r.json(content_type=None)
                    except ValueError:
                        body = {}
                    return smtp_answer(r.status, body)
        except (aiohttp.ClientError, asyncio.TimeoutError):
            return smtp_answer(503, {})


class Sink:
    """The demo's outside mail server: keeps each mail it is given as an .eml file."""

    def __init__(self, folder: Path) -> None:
        self.folder = folder
        folder.mkdir(parents=True, exist_ok=True)

    async def handle_DATA(self, server: SMTP, session: Session, envelope: Envelope) -> str:  # noqa: N802 - aiosmtpd
        name = f"{time.time_ns()}-{envelope.rcpt_tos[0] if envelope.rcpt_tos else 'unknown'}.eml"
        (self.folder / name.replace("/", "_")).write_bytes(envelope.original_content or b"")
        return "250 2.0.0 OK: kept"


def serve(handler: Any, host: str, port: int) -> None:
    controller = Controller(handler, hostname=host, port=port, data_size_limit=MAX_MAIL_BYTES)
    controller.start()
    print(f"listening on smtp://{host}:{port}", flush=True)
    stop_signals = {signal.SIGINT, signal.SIGTERM}
    signal.pthread_sigmask(signal.SIG_BLOCK, stop_signals)
    try:
        signal.sigwait(stop_signals)
    finally:
        controller.stop()


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("mode", nargs="?", choices=("gateway", "sink"), default="gateway")
    ap.add_argument("--host", default="127.0.0.1")
    ap.add_argument("--port", type=int, default=2525)
    ap.add_argument("--channel-url", default="", help="default: RASA_URL + /webhooks/email/inbound")
    ap.add_argument("--dir", type=Path, default=None, help="sink: where to keep the mails (default var/mail)")
    args = ap.parse_args()
    settings = Settings.from_env()
    if args.mode == "sink":
        serve(Sink(args.dir or settings.var_dir / "mail"), args.host, args.port)
        return
    if not settings.email.gateway_secret:
        raise SystemExit("EMAIL_GATEWAY_SECRET is not set: the email channel would refuse every mail")
    url = args.channel_url or f"{settings.rasa_url.rstrip('/')}/webhooks/email/inbound"
    serve(Gateway(url, settings.email.gateway_secret), args.host, args.port)


if __name__ == "__main__":
    main()
