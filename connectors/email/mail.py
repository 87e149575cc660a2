"""Email as the bot reads and writes it, without any I/O: one RFC 5322 message in -> the buyer's new words and the
thread it belongs to; a reply out that stays in that thread.

What is stripped is mail clients' convention, not a shop's rule, so the patterns live here rather than in shop.yml:
  quoted history    lines starting with ">", and everything from a reply header on: "On ... wrote:" (one or two
                    lines), "在 ... 写道:", "-----Original Message-----", "----- 原始邮件 -----", an Outlook block
                    ("From:"/"发件人:" followed by Sent/Date/To/Subject lines, and its "_____" line), an HTML
                    <blockquote>
  signatures        everything from a "-- " line, and the mobile footers ("Sent from my iPhone", "发自我的iPhone",
                    "Get Outlook for Android", ...)
"""

from __future__ import annotations

import hashlib
import re
from dataclasses import dataclass, field
from email import policy
from email.message import EmailMessage, Message
from email.parser import BytesParser
from email.utils import formataddr, formatdate, make_msgid, parseaddr
from html.parser import HTMLParser
from typing import List, Optional, Sequence

from shop.formats import CONTROL_CHARS, EMAIL

ADDRESS_RE = re.compile(f"^{EMAIL}$")
MSGID_RE = re.compile(r"<[^<>\s]{1,250}>")
MAX_REFERENCES = 20  # a long thread keeps its root and the newest ones (RFC 5322 3.6.4 allows trimming)
REPLY_PREFIX_RE = re.compile(r"^\s*(re|aw|sv|回复|答复)\s*[:：]", re.IGNORECASE)

# a line from which the rest is quoted history
QUOTE_HEADERS = [
    re.compile(r"^\s*On\b.{0,300}\bwrote:\s*$", re.IGNORECASE),
    re.compile(r"^\s*在.{0,300}写道\s*[:：]\s*$"),
    re.compile(r"^\s*_{10,}\s*$"),  # Outlook's line above the quoted mail's header
    re.compile(r"^\s*-{2,}\s*(Original Message|原始邮件|Forwarded message|转发的邮件)\s*-{2,}\s*$", re.IGNORECASE),
]
OUTLOOK_FROM = re.compile(r"^\s*\*?(From|发件人)\s*\*?\s*[:：]", re.IGNORECASE)
OUTLOOK_NEXT = re.compile(
    r"^\s*\*?(Sent|Date|To|Subject|Cc|发送时间|日期|收件人|主题|抄送)\s*\*?\s*[:：]", re.IGNORECASE
)
# a line from which the rest is a signature
SIGNATURES = [
    re.compile(r"^-- ?$"),
    re.compile(r"^\s*(Sent from my|Sent from Mail for|Get Outlook for)\b", re.IGNORECASE),
    re.compile(r"^\s*(发自我的|来自我的|从我的).{0,40}$"),
]
# a closing line after the buyer's words ("Thanks", "Regards", "谢谢"), with only a name or two under it: a letter's
# habit, not a question, and the bot reads "where is my order? Thanks" worse than the question alone
SIGN_OFF = re.compile(
    r"^\s*(many thanks|thanks a lot|thank you|thanks|thx|best regards|kind regards|regards|best|cheers|br|"
    r"谢谢您|谢谢|多谢|此致|敬礼)[\s!.,~！。，]*$",
    re.IGNORECASE,
)


class BadMail(ValueError):
    """A message we cannot answer; the reason is safe to tell the sender."""


@dataclass(frozen=True)
class Mail:
    address: str  # the sender's address, lower-case
    name: str  # the sender's display name ("" if none)
    subject: str
    message_id: str  # "<...>"; one made from the message's bytes when it has none
    in_reply_to: str  # "<...>" or ""
    references: List[str]  # oldest first, In-Reply-To last if it was not listed
    text: str  # the buyer's new words: no quoted history, no signature
    attachments: List[str] = field(default_factory=list)  # their file names (not kept: the text is what is answered)
    automatic: bool = False  # an auto-reply, a bounce or a mailing list: never answered (mail loops)

    @property
    def thread_ids(self) -> List[str]:
        """Every id this message names of its thread, newest first: where to look it up."""
        return list(reversed(self.references))

    @property
    def root_id(self) -> str:
        return self.references[0] if self.references else self.message_id


def parse(raw: bytes) -> Mail:
    """The mail as the channel needs it; BadMail (with a reason to tell the sender) if it cannot be answered."""
    try:
        return _parse(raw)
    except BadMail:
        raise
    except Exception as exc:  # noqa: BLE001 - whatever a broken mail makes the parser raise: said as such
        raise BadMail("the message could not be read") from exc


def _parse(raw: bytes) -> Mail:
    msg = BytesParser(policy=policy.default).parsebytes(raw)
    sender = _header(msg, "From")
    name, address = parseaddr(sender)
    address = address.strip().lower()
    if not ADDRESS_RE.match(address):
        raise BadMail("the message has no valid From address")
    message_id = first_id(_header(msg, "Message-ID")) or f"<{hashlib.sha256(raw).hexdigest()[:32]}@kefu.invalid>"
    in_reply_to = first_id(_header(msg, "In-Reply-To"))
    references = MSGID_RE.findall(_header(msg, "References"))
    if in_reply_to and in_reply_to not in references:
        references.append(in_reply_to)
    return Mail(
        address=address,
        name=CONTROL_CHARS.sub("", name).strip(),
        subject=CONTROL_CHARS.sub("", _header(msg, "Subject")).strip(),
        message_id=message_id,
        in_reply_to=in_reply_to,
        references=references,
        text=strip_reply(body_text(msg)),
        attachments=attachment_names(msg),
        automatic=is_automatic(msg, address),
    )


DROPPED = "X-Kefu-Dropped-Attachments"  # the gateway's note of what without_attachments() took out


def attachment_names(msg: EmailMessage) -> List[str]:
    names = [p.get_filename() or "unnamed" for p in msg.iter_attachments()] if msg.is_multipart() else []
    dropped = [n.strip() for n in _header(msg, DROPPED).split(",") if n.strip()]
    return names + dropped


def _header(msg: Message, name: str) -> str:
    value = msg.get(name)
    return str(value) if value is not None else ""


def first_id(value: str) -> str:
    found = MSGID_RE.search(value or "")
    return found.group(0) if found else ""


def is_automatic(msg: Message, address: str) -> bool:
    """Whether answering it could start a mail loop (RFC 3834): auto-replies, bounces, lists, bulk mail."""
    auto = _header(msg, "Auto-Submitted").strip().lower()
    precedence = _header(msg, "Precedence").strip().lower()
    local = address.split("@")[0]
    return (
        (auto not in ("", "no"))
        or precedence in ("bulk", "junk", "list", "auto_reply")
        or bool(_header(msg, "List-Id"))
        or local in ("mailer-daemon", "postmaster", "noreply", "no-reply", "donotreply")
    )


def body_text(msg: EmailMessage) -> str:
    """The plain-text body if there is one, else the HTML body as text (quotes in <blockquote> dropped)."""
    part = msg.get_body(preferencelist=("plain", "html"))
    if part is None:
        return ""
    text = _decoded(part)
    return html_to_text(text) if part.get_content_type() == "text/html" else text


def _decoded(part: EmailMessage) -> str:
    try:
        return part.get_content()
    except (LookupError, UnicodeError, AssertionError):  # an unknown or lying charset: keep what decodes
        payload = part.get_payload(decode=True) or b""
        return payload.decode("utf-8", errors="replace")


class _HtmlText(HTMLParser):
    SKIP = {"blockquote", "script", "style", "head", "title"}
    BLOCK = {"br", "p", "div", "li", "tr", "h1", "h2", "h3", "h4", "table", "hr"}

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.parts: List[str] = []
        self.skipping = 0

    def handle_starttag(self, tag: str, attrs) -> None:  # noqa: ANN001 - HTMLParser's signature
        classes = dict(attrs).get("class") or ""
        if tag in self.SKIP or "gmail_quote" in classes or "moz-cite-prefix" in classes:
            self.skipping += 1 if tag not in ("br", "hr") else 0
        elif tag in self.BLOCK and not self.skipping:
            self.parts.append("\n")

    def handle_endtag(self, tag: str) -> None:
        if tag in self.SKIP and self.skipping:
            self.skipping -= 1
        elif tag in self.BLOCK and not self.skipping:
            self.parts.append("\n")

    def handle_data(self, data: str) -> None:
        if not self.skipping:
            self.parts.append(data)


def html_to_text(markup: str) -> str:
    parser = _HtmlText()
    parser.feed(markup)
    parser.close()
    lines = [" ".join(line.split()) for line in "".join(parser.parts).splitlines()]
    return "\n".join(line for line in lines if line)  # each block tag opens and closes a line: no blank runs


def strip_reply(text: str) -> str:
    """The new words of a reply: no quoted history, no signature, no control characters, no blank-line runs."""
    lines = CONTROL_CHARS.sub("", text.replace("\r\n", "\n").replace("\r", "\n")).split("\n")
    kept: List[str] = []
    for i, line in enumerate(lines):
        two = f"{line} {lines[i + 1]}" if i + 1 < len(lines) else line  # "On ... <a@b>\nwrote:" wraps
        if any(p.match(line) or p.match(two) for p in QUOTE_HEADERS) or _outlook_block(lines, i):
            break
        if any(p.match(line) for p in SIGNATURES):
            break
        if line.lstrip().startswith(">"):
            continue
        kept.append(line.rstrip())
    text = "\n".join(_without_sign_off(kept)).strip()
    return re.sub(r"\n{3,}", "\n\n", text)


def _without_sign_off(lines: List[str]) -> List[str]:
    """The lines before a closing "Thanks"/"Regards" and the name under it; all of them when the mail is no more
    than that (a buyer's "Thanks!" is their message)."""
    for i in range(len(lines) - 1, 0, -1):
        tail_is_a_name = all(len(line.split()) <= 3 for line in lines[i + 1 :])
        if SIGN_OFF.match(lines[i]) and tail_is_a_name and any(line.strip() for line in lines[:i]):
            return lines[:i]
    return lines


def _outlook_block(lines: Sequence[str], i: int) -> bool:
    """ "From: ..." followed within 4 lines by "Sent:"/"To:"/"Subject:": Outlook's header of the quoted mail."""
    if not OUTLOOK_FROM.match(lines[i]):
        return False
    return any(OUTLOOK_NEXT.match(line) for line in lines[i + 1 : i + 5])


@dataclass(frozen=True)
class Thread:
    """What a reply needs to stay in the buyer's thread."""

    address: str
    name: str
    subject: str
    last_id: str  # the message we answer (In-Reply-To)
    references: List[str]  # the thread's ids before last_id, oldest first


def reply_subject(subject: str) -> str:
    subject = subject.strip() or "(no subject)"
    return subject if REPLY_PREFIX_RE.match(subject) else f"Re: {subject}"


def build_reply(thread: Thread, text: str, sender: str, automatic: bool = True) -> EmailMessage:
    """A plain-text reply in the thread: In-Reply-To the last message, References the thread up to it."""
    refs = [r for r in thread.references if r != thread.last_id] + ([thread.last_id] if thread.last_id else [])
    if len(refs) > MAX_REFERENCES:
        refs = refs[:1] + refs[-(MAX_REFERENCES - 1) :]
    msg = EmailMessage()
    msg["From"] = sender
    msg["To"] = formataddr((thread.name, thread.address))
    msg["Subject"] = reply_subject(thread.subject)
    msg["Date"] = formatdate(localtime=False, usegmt=True)
    msg["Message-ID"] = make_msgid(domain=sender_domain(sender))
    if thread.last_id:
        msg["In-Reply-To"] = thread.last_id
        msg["References"] = " ".join(refs)
    if automatic:  # the bot's: an autoresponder on the other side must not answer it (RFC 3834)
        msg["Auto-Submitted"] = "auto-replied"
    msg.set_content(text)
    return msg


def sender_domain(sender: str) -> str:
    address = parseaddr(sender)[1]
    return address.rpartition("@")[2] or "kefu.invalid"


def without_attachments(raw: bytes) -> Optional[bytes]:
    """The message with only its text parts (a photo of a parcel makes a mail too big for the channel), or None
    if it cannot be read. The attachments' names stay in a header, so the transcript says there were some."""
    try:
        msg = BytesParser(policy=policy.default).parsebytes(raw)
        names = attachment_names(msg)
        body = msg.get_body(preferencelist=("plain", "html"))
        slim = EmailMessage()
        for name in ("From", "To", "Subject", "Date", "Message-ID", "In-Reply-To", "References", "Auto-Submitted",
                     "Precedence", "List-Id"):  # fmt: skip
            if msg.get(name) is not None:
                slim[name] = str(msg[name])
        if names:
            slim[DROPPED] = ", ".join(names)[:500]
        content = _decoded(body) if body is not None else ""
        html = body is not None and body.get_content_subtype() == "html"
        slim.set_content(content, subtype="html" if html else "plain")
        return bytes(slim)
    except Exception:  # noqa: BLE001 - a mail we cannot even read is refused by the caller
        return None
