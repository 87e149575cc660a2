"""Reading buyers' mails and writing replies (connectors/email/mail.py), with mails written here in the shapes
common clients send: Gmail, Apple Mail, Outlook, QQ/Foxmail, HTML-only, with attachments, broken, huge."""

from __future__ import annotations

from email import message_from_bytes, policy
from email.message import EmailMessage

import pytest

from connectors.email.mail import BadMail, Thread, build_reply, parse, reply_subject, strip_reply, without_attachments


def mail(body: str = "Where is my order A10002?", subtype: str = "plain", **headers: str) -> bytes:
    msg = EmailMessage()
    msg["From"] = headers.pop("From", "Lily Chen <Lily.Chen@example.com>")
    msg["To"] = "help@shop.example"
    msg["Subject"] = headers.pop("Subject", "My order")
    msg["Message-ID"] = headers.pop("Message_ID", "<m1@mail.example.com>")
    for name, value in headers.items():
        msg[name.replace("_", "-")] = value
    msg.set_content(body, subtype=subtype)
    return bytes(msg)


def test_a_first_mail():
    m = parse(mail())
    assert (m.address, m.name, m.subject) == ("lily.chen@example.com", "Lily Chen", "My order")
    assert (m.message_id, m.in_reply_to, m.references) == ("<m1@mail.example.com>", "", [])
    assert m.root_id == "<m1@mail.example.com>"
    assert m.text == "Where is my order A10002?" and not m.automatic and m.attachments == []


def test_gmail_reply_loses_the_quote_and_the_signature():
    body = (
        "lily.chen@example.com\n\nThanks!\n-- \nLily Chen\nShanghai\n\n"
        "On Mon, 30 Nov 2026 at 10:00, Shop <help@shop.example>\nwrote:\n> Please give the email on the order.\n"
    )
    m = parse(mail(body, In_Reply_To="<r1@shop.example>", References="<m1@mail.example.com> <r1@shop.example>"))
    assert m.text == "lily.chen@example.com"  # the closing "Thanks!" goes with the signature
    assert m.references == ["<m1@mail.example.com>", "<r1@shop.example>"] and m.root_id == "<m1@mail.example.com>"
    assert m.thread_ids == ["<r1@shop.example>", "<m1@mail.example.com>"]


def test_in_reply_to_without_references_still_names_the_thread():
    m = parse(mail("ok", In_Reply_To="<r1@shop.example>"))
    assert m.references == ["<r1@shop.example>"] and m.in_reply_to == "<r1@shop.example>"


@pytest.mark.parametrize(
    "body, expected",
    [
        (
            "我的订单到哪了?\n\n发自我的iPhone\n\n在 2026年11月30日 10:00,客服 <help@shop.example> 写道:\n> 您好",
            "我的订单到哪了?",
        ),
        (
            "好的,谢谢\n\n------------------ 原始邮件 ------------------\n发件人: 客服\n"
            "发送时间: 2026年11月30日\n主题: 订单",
            "好的,谢谢",
        ),
        (
            "Yes please.\n\n________________________________\nFrom: Shop <help@shop.example>\n"
            "Sent: Monday, 30 November 2026 10:00\nTo: Lily Chen\nSubject: RE: My order\n\nShall I open the return?",
            "Yes please.",
        ),
        ("Hi\n\n-----Original Message-----\nFrom: Shop\nwhatever", "Hi"),
        ("Is it shipped?\n\nSent from my iPhone", "Is it shipped?"),
        ("Answer inline:\n> Which size?\nM please\n> Which colour?\nblue", "Answer inline:\nM please\nblue"),
        ("From: here to Berlin, how long does shipping take?", "From: here to Berlin, how long does shipping take?"),
        ("a\n\n\n\n\nb\x00\x07", "a\n\nb"),
        ("Hi, where is my order A10002?\n\nThanks\n-- \nLily Chen", "Hi, where is my order A10002?"),
        ("Has it shipped?\n\nKind regards,\nLily Chen\nShanghai", "Has it shipped?"),
        ("我的订单到哪了\n谢谢!\n王伟", "我的订单到哪了"),
        ("Thanks!", "Thanks!"),  # the whole message: kept
        (
            "Thanks\n\nbut it still has not arrived, can you check again?",
            "Thanks\n\nbut it still has not arrived, can you check again?",
        ),  # words after it are more than a name
    ],
    ids=[
        "qq-zh",
        "foxmail-zh",
        "outlook",
        "original-message",
        "iphone",
        "inline-quotes",
        "from-in-text",
        "blank-runs",
        "sign-off-en",
        "regards-name-city",
        "sign-off-zh",
        "only-thanks",
        "thanks-then-more",
    ],
)
def test_quotes_and_signatures_are_stripped(body, expected):
    assert strip_reply(body) == expected


def test_html_only_mail_is_read_as_text_without_its_blockquote():
    html = (
        "<html><head><style>p{color:red}</style></head><body><p>Where is my <b>order</b>&nbsp;A10002?</p>"
        "<div>Thanks</div><div class='gmail_quote'>On Mon ... wrote:<blockquote>old text</blockquote></div>"
        "<script>alert(1)</script></body></html>"
    )
    assert parse(mail(html, subtype="html")).text == "Where is my order A10002?"


def test_multipart_prefers_plain_and_lists_attachments():
    msg = EmailMessage()
    msg["From"], msg["Subject"], msg["Message-ID"] = "lily.chen@example.com", "Broken", "<m2@x>"
    msg.set_content("The dress arrived torn.")
    msg.add_alternative("<p>The dress arrived <i>torn</i>.</p>", subtype="html")
    msg.add_attachment(b"\xff\xd8" + b"\0" * 300_000, maintype="image", subtype="jpeg", filename="torn.jpg")
    raw = bytes(msg)
    m = parse(raw)
    assert m.text == "The dress arrived torn." and m.attachments == ["torn.jpg"]
    slim = without_attachments(raw)
    assert slim is not None and len(slim) < 2_000 < len(raw)
    s = parse(slim)
    assert (s.text, s.message_id, s.attachments) == ("The dress arrived torn.", "<m2@x>", ["torn.jpg"])


@pytest.mark.parametrize(
    "raw, reason",
    [
        (b"", "From"),
        (b"this is not a mail at all\x00\xff", "From"),
        (mail(From="nobody"), "From"),
        (mail(From="<script>@x"), "From"),
    ],
)
def test_malformed_mail_is_refused_with_a_reason(raw, reason):
    with pytest.raises(BadMail, match=reason):
        parse(raw)


def test_a_lying_charset_and_a_missing_message_id_do_not_break_it():
    raw = (
        b"From: a@example.com\r\nSubject: =?utf-8?B?5L2g5aW9?=\r\nContent-Type: text/plain; charset=klingon\r\n\r\n"
        b"hello \xe4\xbd\xa0\r\n"
    )
    m = parse(raw)
    assert m.subject == "你好" and m.text.startswith("hello") and m.message_id.endswith("@kefu.invalid>")
    assert parse(raw).message_id == m.message_id  # the same bytes, the same made-up id: a replay is still one


def test_huge_mail_is_read_in_time():
    m = parse(mail("where is my parcel " * 200_000))  # 3.8 MB of text; the channel cuts it to MAX_BUYER_TEXT
    assert m.text.startswith("where is my parcel")


@pytest.mark.parametrize(
    "headers",
    [
        {"Auto_Submitted": "auto-replied"},
        {"Precedence": "bulk"},
        {"List_Id": "<news.example.com>"},
        {"From": "MAILER-DAEMON@mx.example.com"},
    ],
)
def test_automatic_mail_is_marked(headers):
    assert parse(mail(**headers)).automatic


def test_reply_stays_in_the_thread():
    thread = Thread(
        address="lily.chen@example.com",
        name="Lily Chen",
        subject="My order",
        last_id="<m2@x>",
        references=["<m1@x>", "<r1@shop.example>", "<m2@x>"],
    )
    msg = message_from_bytes(
        bytes(build_reply(thread, "你好, A10002 已发货", "Shop <help@shop.example>")), policy=policy.default
    )
    assert msg["In-Reply-To"] == "<m2@x>" and msg["References"] == "<m1@x> <r1@shop.example> <m2@x>"
    assert msg["Subject"] == "Re: My order" and msg["To"] == "Lily Chen <lily.chen@example.com>"
    assert msg["Message-ID"].endswith("@shop.example>") and msg["Auto-Submitted"] == "auto-replied"
    assert msg.get_content().strip() == "你好, A10002 已发货"
    agent = build_reply(thread, "hi", "Amy <help@shop.example>", automatic=False)
    assert agent["Auto-Submitted"] is None


def test_long_threads_keep_the_root_and_the_newest():
    refs = [f"<m{i}@x>" for i in range(40)]
    msg = build_reply(Thread("a@example.com", "", "s", refs[-1], refs), "x", "help@shop.example")
    kept = str(msg["References"]).split()
    assert len(kept) == 20 and kept[0] == "<m0@x>" and kept[-1] == "<m39@x>"


@pytest.mark.parametrize(
    "subject, expected",
    [
        ("My order", "Re: My order"),
        ("RE: My order", "RE: My order"),
        ("回复:订单", "回复:订单"),
        ("", "Re: (no subject)"),
    ],
)
def test_reply_subject(subject, expected):
    assert reply_subject(subject) == expected
