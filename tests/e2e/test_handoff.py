"""A handoff through the running stack: complaint -> queued -> assigned to a demo agent -> the bot
stays silent -> the agent answers -> resolved -> the bot is back, asks for a rating -> stored in SQL."""

from __future__ import annotations

from tests.polling import wait_for


def test_complaint_to_agent_to_resolve_to_rating(stack, chat, helpdesk):
    c = chat()
    conversation = f"{stack.helpdesk_url}/conversations/{c.sender}"
    replies = c.say("the dress arrived torn and dirty, this is unacceptable 😡")
    assert any("sorry" in r.lower() for r in replies)
    assert any("has your chat now" in r for r in replies)  # assigned at once to an online demo agent
    assert c.tracker()["paused"] is True
    live = helpdesk.get(conversation, timeout=10).json()["live"]
    assert live["state"] == "assigned" and live["category"] == "complaint" and int(live["priority"]) >= 10
    agent = live["agent"]
    assert agent in ("amy", "ben", "chen")

    # while the agent owns the chat the bot says nothing, but every message is kept
    assert c.say("hello? anyone there?") == []
    assert "hello? anyone there?" in [e.get("text") for e in c.tracker()["events"] if e["event"] == "user"]

    r = helpdesk.post(f"{conversation}/reply", json={"agent": agent, "text": "So sorry! A new dress ships today."})
    assert r.status_code == 200, r.text
    bot = [e for e in c.tracker()["events"] if e["event"] == "bot"]
    assert bot[-1]["text"] == "So sorry! A new dress ships today." and bot[-1]["metadata"]["kefu_agent"]["id"] == agent

    # the buyer writes again: Rasa's event broker restarts the agent's reply clock
    assert c.say("thanks, and the tracking number?") == []
    wait_for(lambda: helpdesk.get(conversation, timeout=10).json()["live"].get("unreplied_since"))

    someone_else = next(a for a in ("amy", "ben", "chen") if a != agent)
    refused = helpdesk.post(f"{conversation}/resolve", json={"agent": someone_else})
    assert refused.status_code == 409 and refused.json()["error"] == "not_yours"
    r = helpdesk.post(f"{conversation}/resolve", json={"agent": agent})
    assert r.status_code == 200 and r.json()["bot_resumed"] is True
    tracker = c.tracker()
    assert tracker["paused"] is False and tracker["slots"]["awaiting_rating"] is True
    asked = [e["text"] for e in tracker["events"] if e["event"] == "bot"][-2:]
    assert "I'm back" in asked[0] and "1 (poor) to 5 (great)" in asked[1]

    assert any("5/5" in r for r in c.say("5"))

    def rated_record() -> list:
        handoffs = helpdesk.get(conversation, timeout=10).json()["handoffs"]
        return handoffs if handoffs and handoffs[-1]["rating"] else []

    record = wait_for(rated_record)
    kinds = [e["kind"] for e in record[-1]["events"]]
    assert kinds[:3] == ["queued", "assigned", "first_reply"] and kinds[-2:] == ["resolved", "rating"]
    assert record[-1]["rating"] == 5 and record[-1]["agent"] == agent


def test_a_request_for_a_person_in_chinese_hears_the_agents_name(chat, helpdesk, stack):
    c = chat()
    replies = c.say("转人工")
    assert any("已接入" in r for r in replies), replies
    names = {"amy": "Amy Zhou", "ben": "Ben Carter", "chen": "陈静"}
    live = helpdesk.get(f"{stack.helpdesk_url}/conversations/{c.sender}", timeout=10).json()["live"]
    assert any(names[live["agent"]] in r for r in replies)


def test_the_helpdesk_api_needs_its_token(stack):
    import requests

    assert requests.get(f"{stack.helpdesk_url}/queue", timeout=5).status_code == 401
