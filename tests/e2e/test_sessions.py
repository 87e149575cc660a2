"""Conversations that survive: a restart of the Rasa server, and an hour (or a night) of silence.

The clock is moved by ageing a conversation's events in the SQL tracker store, as if the buyer had
been silent that long: Rasa then starts a new session on the next message (domain session_config)."""

from __future__ import annotations

import json
import re
import uuid

import requests
import sqlalchemy

from tests.polling import wait_for

HOUR = 3600


def joined(replies):
    return "\n".join(replies)


def age(stack, sender: str, seconds: float) -> None:
    """Move every stored event of the conversation `seconds` into the past."""
    engine = sqlalchemy.create_engine(stack.env()["TRACKER_DATABASE_URL"])
    with engine.begin() as conn:
        rows = conn.execute(sqlalchemy.text("SELECT id, data FROM events WHERE sender_id = :s"), {"s": sender})
        for row_id, data in rows.fetchall():
            event = json.loads(data)
            event["timestamp"] -= seconds
            conn.execute(
                sqlalchemy.text("UPDATE events SET timestamp = :t, data = :d WHERE id = :i"),
                {"t": event["timestamp"], "d": json.dumps(event), "i": row_id},
            )
    engine.dispose()


def history(stack, session_id: str) -> list:
    r = requests.get(f"{stack.rasa_url}/webhooks/webchat/history", params={"session_id": session_id}, timeout=10)
    assert r.status_code == 200, r.text
    return [(t["who"], t["text"]) for t in r.json()["turns"]]


def test_a_chat_with_an_agent_stays_paused_after_the_session_expires(stack, chat, helpdesk):
    c = chat()
    conversation = f"{stack.helpdesk_url}/conversations/{c.sender}"
    assert any("has your chat now" in r for r in c.say("the dress arrived torn, this is unacceptable 😡"))
    agent = helpdesk.get(conversation, timeout=10).json()["live"]["agent"]

    age(stack, c.sender, 2 * HOUR)  # back after lunch
    assert c.say("hello? any news on my dress?") == []  # the agent answers, not the bot
    tracker = c.tracker()
    assert tracker["paused"] is True
    assert [e["event"] for e in tracker["events"]].count("session_started") >= 2
    live = wait_for(lambda: helpdesk.get(conversation, timeout=10).json()["live"].get("unreplied_since") and
                    helpdesk.get(conversation, timeout=10).json()["live"])  # fmt: skip
    assert live["state"] == "assigned" and live["agent"] == agent  # and it owes the buyer an answer

    r = helpdesk.post(f"{conversation}/reply", json={"agent": agent, "text": "A new dress ships today."})
    assert r.status_code == 200, r.text
    assert helpdesk.post(f"{conversation}/resolve", json={"agent": agent}).json()["bot_resumed"] is True
    assert c.tracker()["paused"] is False


def test_a_chat_nobody_holds_is_the_bots_again_after_the_expiry(stack, chat):
    c = chat()
    assert "Hi" in joined(c.say("hello"))
    age(stack, c.sender, 2 * HOUR)
    assert "SAVE10" in joined(c.say("do you have any coupon codes?"))
    assert c.tracker()["paused"] is False


def test_language_and_recent_proof_carry_over_a_new_session(stack, chat):
    c = chat()
    assert "邮箱" in joined(c.say("订单A10002到哪了"))
    assert "SwiftParcel" in joined(c.say("lily.chen@example.com"))

    age(stack, c.sender, 2 * HOUR)  # the next morning, within sessions.keep_proof_h (24 h)
    again = joined(c.say("A10002"))
    assert "SwiftParcel" in again and "邮箱" not in again and re.search(r"[\u4e00-\u9fff]", again)

    age(stack, c.sender, 25 * HOUR)  # the proof is too old now: ask again, still in Chinese
    later = joined(c.say("A10002"))
    assert "SwiftParcel" not in later and "邮箱" in later


def test_a_restarted_rasa_server_keeps_transcripts_pauses_and_the_widgets_history(stack, chat, helpdesk):
    proved = chat("proved")
    proved.say("where is my order A10002")
    assert "SwiftParcel" in joined(proved.say("lily.chen@example.com"))
    held = chat("held")
    held.say("I want to speak to a human")
    assert held.tracker()["paused"] is True
    widget = uuid.uuid4().hex  # a web-chat session id
    requests.post(f"{stack.rasa_url}/webhooks/rest/webhook", json={"sender": widget, "message": "hello"}, timeout=30)
    before = {c.sender: c.tracker()["events"] for c in (proved, held)}
    widget_before = history(stack, widget)
    assert ("buyer", "hello") in widget_before

    stack.restart("rasa")

    for c in (proved, held):
        assert [(e["event"], e.get("text")) for e in c.tracker()["events"]] == [
            (e["event"], e.get("text")) for e in before[c.sender]
        ]
    assert history(stack, widget) == widget_before
    assert held.tracker()["paused"] is True and held.say("still there?") == []
    assert "SwiftParcel" in joined(proved.say("A10002"))  # proof kept: no second email asked
