"""The email channel between two real mail servers: buyers' mail goes by SMTP to kefu's gateway
(scripts/email_gateway.py, a process), which posts it to the channel (connectors/email/, in a sanic process with a
stand-in for Rasa's bot: tests/connectors/email_channel_proc.py); the replies leave by SMTP to an aiosmtpd server
that stands for the buyers' mail provider. Redis is real. The whole stack with the trained bot:
tests/e2e/test_email.py."""

from __future__ import annotations

import json
import os
import smtplib
import subprocess
import sys
from typing import Iterator

import pytest
import redis
import requests
from aiosmtpd.controller import Controller

from connectors.email.channel import EmailInput
from helpdesk import keys
from scripts.stack import ROOT, free_port, wait_http, wait_tcp
from tests.mailbox import Mailbox, buyer_mail, content, send
from tests.polling import wait_for

SECRET = "test-gateway-secret"


@pytest.fixture
def mail_world(redis_url, tmp_path) -> Iterator[dict]:
    box = Mailbox()
    outside = Controller(box, hostname="127.0.0.1", port=free_port())
    outside.start()
    channel_port, gateway_port = free_port(), free_port()
    env = {**os.environ, "PYTHONPATH": str(ROOT), "REDIS_URL": redis_url, "KEFU_VAR_DIR": str(tmp_path),
           "EMAIL_GATEWAY_SECRET": SECRET, "SMTP_HOST": "127.0.0.1", "SMTP_PORT": str(outside.port),
           "RASA_URL": f"http://127.0.0.1:{channel_port}"}  # fmt: skip
    log = open(tmp_path / "procs.log", "a")
    procs = [
        subprocess.Popen(
            [sys.executable, "-m", "tests.connectors.email_channel_proc", str(channel_port)],
            cwd=ROOT,
            env=env,
            stdout=log,
            stderr=subprocess.STDOUT,
        ),  # fmt: skip
        subprocess.Popen(
            [sys.executable, "-m", "scripts.email_gateway", "--port", str(gateway_port)],
            cwd=ROOT,
            env=env,
            stdout=log,
            stderr=subprocess.STDOUT,
        ),  # fmt: skip
    ]
    try:
        wait_http(f"http://127.0.0.1:{channel_port}/health", 60, procs[0])
        wait_tcp(gateway_port, 30, procs[1])
        yield {"box": box, "gateway": gateway_port, "channel": f"http://127.0.0.1:{channel_port}", "outside": outside,
               "redis": redis_url}  # fmt: skip
    finally:
        for p in procs:
            p.kill()
            p.wait()
        if outside.loop.is_running():
            outside.stop()


def test_a_thread_is_answered_once_per_mail_in_the_thread(mail_world):
    box, port = mail_world["box"], mail_world["gateway"]
    first = buyer_mail("Where is my order?\n\nSent from my iPhone", "<m1@lily.example>")
    send(port, first)
    [reply] = wait_for(lambda: box.to("lily@example.com"))
    assert reply["In-Reply-To"] == "<m1@lily.example>" and reply["References"] == "<m1@lily.example>"
    assert reply["Subject"] == "Re: My order" and reply["Auto-Submitted"] == "auto-replied"
    body = content(reply)
    conversation = body.split(" of ")[1].split()[0]
    assert body.startswith(f"turn 1 of {conversation}\n\nyou said: Where is my order?") and "iPhone" not in body

    # the buyer answers our reply, quoting it: the same conversation, the quote is not read
    second = buyer_mail(f"rate\n\nOn Mon, Shop wrote:\n> {body}", "<m2@lily.example>", reply_to=reply)
    send(port, second)
    wait_for(lambda: len(box.to("lily@example.com")) == 2)
    reply2 = box.to("lily@example.com")[1]
    assert reply2["In-Reply-To"] == "<m2@lily.example>"
    assert reply2["References"] == f"<m1@lily.example> {reply['Message-ID']} <m2@lily.example>"
    text2 = content(reply2)
    assert text2.startswith(f"turn 2 of {conversation}\n\nyou said: rate\nReply with one of: 1 / 5"), text2

    # the buyer answers with an option's title: the bot gets its payload
    send(port, buyer_mail("5", "<m3@lily.example>", reply_to=reply2))
    wait_for(lambda: len(box.to("lily@example.com")) == 3)
    assert 'you said: /rate{"rating": "5"}' in content(box.to("lily@example.com")[2])

    # an agent's message goes out at once, in the thread, under the agent's name, as a person's mail
    r = requests.post(f"{mail_world['channel']}/agent", json={"conversation_id": conversation, "text": "Amy here."})
    assert r.status_code == 200
    wait_for(lambda: len(box.to("lily@example.com")) == 4)
    agent_mail = box.to("lily@example.com")[3]
    assert agent_mail["From"] == "Amy Zhou <help@shop.example>" and agent_mail["Auto-Submitted"] is None
    assert agent_mail["In-Reply-To"] == "<m3@lily.example>" and content(agent_mail) == "Amy here."


def test_replays_forgeries_and_bad_mail(mail_world):
    box, port, channel = mail_world["box"], mail_world["gateway"], mail_world["channel"]
    mail = buyer_mail("hello", "<once@lily.example>")
    send(port, mail)
    wait_for(lambda: box.to("lily@example.com"))
    send(port, mail)  # the buyer's server delivers it again: taken (250), not answered twice
    raw = bytes(mail)
    replay = requests.post(f"{channel}/webhooks/email/inbound", data=raw, headers={"Authorization": f"Bearer {SECRET}"})
    assert replay.status_code == 200 and replay.json() == {"status": "duplicate"}
    for headers in ({}, {"Authorization": "Bearer guess"}, {"Authorization": SECRET}):
        forged = requests.post(f"{channel}/webhooks/email/inbound", data=raw.replace(b"once@", b"forged@"),
                               headers=headers)  # fmt: skip
        assert forged.status_code == 401 and set(forged.json()) == {"error"}
    with pytest.raises(smtplib.SMTPDataError) as refused:  # no From: the sender's server hears why, no bounce loop
        send(port, buyer_mail("hi", "<nofrom@x>", sender="not an address"))
    assert refused.value.smtp_code == 550 and b"From" in refused.value.smtp_error
    auto = buyer_mail("I am out of office", "<auto@lily.example>")
    auto["Auto-Submitted"] = "auto-replied"
    send(port, auto)  # taken, never answered: two autoresponders would write to each other forever
    zh = buyer_mail("rate 请问", "<zh@wang.example>", sender="王伟 <wang@example.com>")
    send(port, zh)
    [answer] = wait_for(lambda: box.to("wang@example.com"))
    assert answer["To"] == "王伟 <wang@example.com>"
    assert len(box.to("lily@example.com")) == 1  # one answer to the first mail, none to the replay or the auto-reply
    turns = requests.get(f"{channel}/health").json()["turns"]
    assert sum(turns.values()) == 2


def test_a_big_mail_with_a_photo_is_answered_without_the_photo(mail_world):
    box, port = mail_world["box"], mail_world["gateway"]
    msg = buyer_mail("The dress arrived torn, photo attached.", "<photo@lily.example>")
    msg.add_attachment(os.urandom(2_000_000), maintype="image", subtype="jpeg", filename="torn.jpg")
    send(port, msg)
    [reply] = wait_for(lambda: box.to("lily@example.com"), timeout=30)
    assert "you said: The dress arrived torn, photo attached." in content(reply)


def test_chinese_options_are_offered_in_chinese(mail_world):
    from connectors.email.channel import compose, language_of

    buttons = [{"title": "确定", "payload": "/affirm"}, {"title": "不用了", "payload": "/deny"}]
    text, options = compose([{"text": "要取消订单吗?", "buttons": buttons}], "zh")
    assert text == "要取消订单吗?\n请直接回复以下选项之一:确定 / 不用了" and options == buttons
    assert language_of("我的订单", "en") == "zh" and language_of("lily@example.com", "zh") == "zh"
    assert language_of("where is it", "zh") == "en"


def test_the_demo_sink_keeps_each_mail(tmp_path):
    port = free_port()
    command = [sys.executable, "-m", "scripts.email_gateway", "sink", "--port", str(port), "--dir", str(tmp_path)]
    proc = subprocess.Popen(command, cwd=ROOT, env={**os.environ, "PYTHONPATH": str(ROOT)})
    try:
        wait_tcp(port, 30, proc)
        send(port, buyer_mail("kept?", "<sink@x>"))
        [kept] = list(tmp_path.glob("*.eml"))
        assert b"Message-ID: <sink@x>" in kept.read_bytes()
    finally:
        proc.kill()
        proc.wait()


def test_without_its_secret_the_channel_is_off_even_in_production(monkeypatch):
    """Like the marketplace's: a shop without email keeps the channel in credentials.yml, and it answers 503."""
    monkeypatch.setenv("KEFU_ENV", "production")
    monkeypatch.delenv("EMAIL_GATEWAY_SECRET", raising=False)
    assert not EmailInput.from_credentials({"from": "Shop <help@shop.example>"}).configured
    monkeypatch.setenv("EMAIL_GATEWAY_SECRET", SECRET)
    assert EmailInput.from_credentials({}).configured


def test_a_mail_the_provider_refuses_is_shown_to_the_agents(mail_world):
    box, port = mail_world["box"], mail_world["gateway"]
    send(port, buyer_mail("hello", "<lost@lily.example>"))
    [reply] = wait_for(lambda: box.to("lily@example.com"))
    conversation = content(reply).split(" of ")[1].split()[0]
    mail_world["outside"].stop()  # the provider is gone: three tries, then a delivery failure
    r = requests.post(f"{mail_world['channel']}/agent", json={"conversation_id": conversation, "text": "Still there?"})
    assert r.status_code == 200
    client = redis.Redis.from_url(mail_world["redis"], decode_responses=True)
    [failure] = [json.loads(x) for x in client.lrange(keys.delivery_failed(conversation), 0, -1)]
    assert failure["text"] == "Still there?" and failure["agent"] == "amy" and failure["channel"] == "email"
    assert client.hget(keys.OUTBOX_FAILED, "email") == "1"
