"""The email channel through the running stack: a buyer's mail goes by SMTP to the stack's gateway
(scripts/email_gateway.py), which posts it to Rasa's email channel; the bot's and the agent's answers leave by SMTP
to an aiosmtpd server standing for the buyer's mail provider (on the stack's SMTP_PORT), each in the thread."""

from __future__ import annotations

import re
import time
from typing import Iterator, List

import pytest
import requests
from aiosmtpd.controller import Controller

from connectors.email.threads import digest
from tests.mailbox import Mailbox, buyer_mail, content, send
from tests.polling import wait_for

CJK = re.compile(r"[\u4e00-\u9fff]")


@pytest.fixture(scope="module")
def mailbox(stack) -> Iterator[Mailbox]:
    box = Mailbox()
    provider = Controller(box, hostname="127.0.0.1", port=stack.smtp_port)
    provider.start()
    yield box
    provider.stop()


def user_texts(stack, conversation: str) -> List[str]:
    url = f"{stack.rasa_url}/conversations/{conversation}/tracker"
    events = requests.get(url, params={"token": stack.rasa_token}, timeout=30).json()["events"]
    return [e["text"] for e in events if e["event"] == "user"]


def test_a_thread_answered_by_the_bot_then_by_an_agent(stack, mailbox, helpdesk):
    buyer = f"lily-{time.time_ns()}@example.com"  # a new address: a thread of its own
    got = lambda n: wait_for(lambda: len(mailbox.to(buyer)) >= n and mailbox.to(buyer), timeout=60)  # noqa: E731
    first = buyer_mail("Hi, where is my order A10002?\n\nThanks\n-- \nLily Chen\nShanghai", f"<a1-{buyer}>",
                       subject="Order A10002", sender=f"Lily Chen <{buyer}>")  # fmt: skip
    send(stack.email_port, first)
    reply = got(1)[0]
    assert reply["In-Reply-To"] == first["Message-ID"] and reply["References"] == first["Message-ID"]
    assert reply["Subject"] == "Re: Order A10002" and "kefu-demo.example" in reply["From"]
    text = content(reply)
    assert ("email" in text.lower() or "phone" in text.lower()) and not CJK.search(text), text  # proof first

    # the buyer answers our reply from their mail client, quoting it: the same conversation
    second = buyer_mail(f"lily.chen@example.com\n\nOn Mon, 30 Nov 2026, kefu wrote:\n> {text}", f"<a2-{buyer}>",
                        reply_to=reply, sender=f"Lily Chen <{buyer}>")  # fmt: skip
    send(stack.email_port, second)
    reply2 = got(2)[1]
    assert reply2["In-Reply-To"] == second["Message-ID"]
    assert reply2["References"].split() == [first["Message-ID"], reply["Message-ID"], second["Message-ID"]]
    conversation = f"email:{digest(buyer, first['Message-ID'])}"
    assert user_texts(stack, conversation)[-1] == "lily.chen@example.com"  # no quote, no signature
    assert "SP000000002" in content(reply2), content(reply2)  # A10002's tracking number: proven hers

    third = buyer_mail("I want to talk to a human please", f"<a3-{buyer}>", reply_to=reply2, sender=f"<{buyer}>")
    send(stack.email_port, third)
    reply3 = got(3)[2]
    assert "has your chat now" in content(reply3) and reply3["In-Reply-To"] == third["Message-ID"]
    live = helpdesk.get(f"{stack.helpdesk_url}/conversations/{conversation}", timeout=10).json()["live"]
    assert live["state"] == "assigned" and live["channel"] == "email"
    agent = live["agent"]

    fourth = buyer_mail("hello? anyone?", f"<a4-{buyer}>", reply_to=reply3, sender=f"<{buyer}>")
    send(stack.email_port, fourth)  # taken (the SMTP answer comes after the turn): the bot keeps quiet
    assert user_texts(stack, conversation)[-1] == "hello? anyone?" and len(mailbox.to(buyer)) == 3

    r = helpdesk.post(f"{stack.helpdesk_url}/conversations/{conversation}/reply",
                      json={"agent": agent, "text": "Hi Lily, it's out for delivery today."})  # fmt: skip
    assert r.status_code == 200, r.text
    from_agent = got(4)[3]
    assert content(from_agent) == "Hi Lily, it's out for delivery today."
    assert from_agent["In-Reply-To"] == fourth["Message-ID"] and from_agent["Auto-Submitted"] is None
    assert fourth["Message-ID"] in from_agent["References"] and first["Message-ID"] in from_agent["References"]
    assert from_agent["From"] != reply["From"] and "kefu-demo.example" in from_agent["From"]  # the agent's name

    # resolved: the bot is back and asks for a rating, with the options as text; "5" is understood as the button
    r = helpdesk.post(f"{stack.helpdesk_url}/conversations/{conversation}/resolve", json={"agent": agent})
    assert r.status_code == 200, r.text
    rating_mail = wait_for(lambda: [m for m in mailbox.to(buyer) if "How would you rate" in content(m)], timeout=60)[0]
    assert "Reply with one of: 1 / 2 / 3 / 4 / 5" in content(rating_mail)
    send(stack.email_port, buyer_mail("5", f"<a5-{buyer}>", reply_to=rating_mail, sender=f"<{buyer}>"))
    thanks = wait_for(lambda: [m for m in mailbox.to(buyer) if "(5/5)" in content(m)], timeout=60)[0]
    assert thanks["In-Reply-To"] == f"<a5-{buyer}>"


def test_a_chinese_mail_is_answered_in_chinese(stack, mailbox):
    buyer = f"wang-{time.time_ns()}@example.com"
    send(stack.email_port, buyer_mail("你们支持哪些付款方式?\n\n发自我的iPhone", f"<z1-{buyer}>", subject="付款",
                                      sender=f"王伟 <{buyer}>"))  # fmt: skip
    [reply] = wait_for(lambda: mailbox.to(buyer), timeout=60)
    assert CJK.search(content(reply)) and reply["In-Reply-To"] == f"<z1-{buyer}>", content(reply)


def test_forged_posts_are_refused_and_a_replay_is_answered_once(stack, mailbox):
    buyer = f"once-{time.time_ns()}@example.com"
    mail = buyer_mail("what is your return policy?", f"<r1-{buyer}>", sender=f"<{buyer}>")
    inbound = f"{stack.rasa_url}/webhooks/email/inbound"
    for headers in ({}, {"Authorization": "Bearer guessed"}, {"Authorization": f"Bearer {stack.rasa_token}"}):
        r = requests.post(inbound, data=bytes(mail), headers=headers, timeout=30)
        assert r.status_code == 401 and set(r.json()) == {"error"} and "Traceback" not in r.text
    conversation = f"email:{digest(buyer, mail['Message-ID'])}"
    assert user_texts(stack, conversation) == []  # nothing got in
    send(stack.email_port, mail)
    wait_for(lambda: mailbox.to(buyer), timeout=60)
    send(stack.email_port, mail)  # delivered again by the buyer's server
    r = requests.post(inbound, data=bytes(mail), headers={"Authorization": f"Bearer {stack.email_secret}"}, timeout=30)
    assert r.status_code == 200 and r.json() == {"status": "duplicate"}
    assert user_texts(stack, conversation) == ["what is your return policy?"] and len(mailbox.to(buyer)) == 1
