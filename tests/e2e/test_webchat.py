"""The web chat widget in a real browser: the bot answers, a complaint hands off, an agent answers from
the console into the same widget window, resolves, and the buyer rates; reloads lose and repeat nothing."""

from __future__ import annotations

import re

import pytest
from playwright.sync_api import Page, expect

from connectors.webchat import NOTICES
from scripts import browser as pages
from tests.e2e.test_console import XSS, log_in
from tests.polling import wait_for

NOTICE_TOO_LONG_ZH, NOTICE_MISCONFIGURED_EN = NOTICES["bad_text"]["zh"], NOTICES["bad_custom_data"]["en"]


def open_widget(browser, stack) -> Page:
    page = pages.open_widget(browser, stack)
    page.on("dialog", lambda d: pytest.fail(f"a dialog opened: {d.message}"))
    return page


def with_raw_socket_io(page: Page, stack) -> Page:
    """The page, with socket.io's client as window.io (the widget keeps its own out of the page's globals)."""
    page.add_script_tag(url=f"{stack.rasa_url}/webhooks/webchat/static/socket.io.min.js")
    return page


def say(page: Page, text: str) -> None:
    page.fill("#kefu-input", text)
    page.keyboard.press("Enter")


def test_the_bot_answers_in_the_widget_and_a_reload_keeps_the_conversation(browser, stack):
    page = open_widget(browser, stack)
    say(page, "where is my order A10002")
    expect(page.locator("#kefu-messages li.bot").last).to_contain_text("email or phone")
    say(page, "lily.chen@example.com")
    expect(page.locator("#kefu-messages li.bot").last).to_contain_text("SP000000002")
    say(page, XSS)
    expect(page.locator("#kefu-messages li.buyer", has_text="<img src=x")).to_be_visible()
    assert page.locator("#kefu-messages img, #kefu-messages script").count() == 0
    expect(page.locator("#kefu-messages li.bot")).to_have_count(3)
    before = page.locator("#kefu-messages li").all_inner_texts()
    page.reload()
    expect(page.locator("#kefu-status")).to_have_text("online")
    expect(page.locator("#kefu-messages li")).to_have_count(len(before))  # nothing lost, nothing twice
    assert page.locator("#kefu-messages li").all_inner_texts() == before


def test_a_resent_message_is_answered_once(browser, stack):
    page = with_raw_socket_io(open_widget(browser, stack), stack)
    session = wait_for(lambda: pages.session_of(page))
    # the same message id twice, as a widget does when the ack was lost in a reconnect
    acks = page.evaluate(
        """async (session) => {
            const socket = io({ path: "/webhooks/webchat/socket.io", transports: ["websocket"] });
            await new Promise((ok) => socket.on("connect", ok));
            const send = () => socket.timeout(10000).emitWithAck("user_uttered",
                { session_id: session, message: "hello", message_id: "resend-test-1" });
            return [await send(), await send()];
        }""",
        session,
    )
    assert acks == [{"ok": True}, {"ok": True, "duplicate": True}]
    page.reload()
    expect(page.locator("#kefu-messages li.buyer", has_text="hello")).to_have_count(1)


def test_handoff_in_the_widget_agent_reply_resolve_and_rating(browser, stack, helpdesk):
    buyer = open_widget(browser, stack)
    say(buyer, "the dress arrived torn, I want to complain")
    expect(buyer.locator("#kefu-messages li.bot", has_text="has your chat now")).to_be_visible()
    session = pages.session_of(buyer)
    agent = helpdesk.get(f"{stack.helpdesk_url}/conversations/{session}", timeout=10).json()["live"]["agent"]
    say(buyer, "hello? is anyone there?")
    expect(buyer.locator("#kefu-messages li.buyer", has_text="anyone there")).not_to_have_class(re.compile("pending"))

    console = log_in(browser, stack, agent)
    console.locator(f'#mine li[data-conversation="{session}"]').click()
    expect(console.locator("#transcript li.buyer", has_text="anyone there")).to_be_visible()
    expect(console.locator("#transcript li.buyer").first).to_contain_text("arrived torn")
    say(buyer, "I have photos too")  # the open console shows a new buyer message without a reload
    expect(console.locator("#transcript li.buyer", has_text="I have photos too")).to_be_visible()
    name = helpdesk.get(f"{stack.helpdesk_url}/agents/{agent}", timeout=10).json()["name"]
    console.fill("#reply", "/hello")
    console.keyboard.press("Enter")
    filled = f"Hi dear customer, this is {name}. I'm reading your messages now."  # {name} and {agent} filled
    expect(console.locator("#reply")).to_have_value(filled)
    console.keyboard.press("Enter")

    from_agent = buyer.locator("#kefu-messages li.agent")
    expect(from_agent).to_contain_text(filled)
    expect(from_agent.locator(".from")).to_have_text(f"agent {name}")

    console.click("#resolve")
    expect(buyer.locator("#kefu-messages li.bot", has_text="I'm back")).to_be_visible()
    buyer.locator("#kefu-messages li.bot button", has_text="5").last.click()
    expect(buyer.locator("#kefu-messages li.bot").last).to_contain_text("5/5")
    record = wait_for(lambda: (h := helpdesk.get(f"{stack.helpdesk_url}/conversations/{session}",
                                                 timeout=10).json()["handoffs"]) and h[-1]["rating"] and h)  # fmt: skip
    assert record[-1]["rating"] == 5


def test_a_client_without_message_ids_is_answered_and_told_what_was_refused(browser, stack):
    """Rasa's socketio protocol as rasa-webchat speaks it: no ids, customData, and no reading of acks, so a
    refused message is explained in a bot message, in the buyer's language."""
    page = with_raw_socket_io(open_widget(browser, stack), stack)
    session = wait_for(lambda: pages.session_of(page))
    found = page.evaluate(
        """async (session) => {
            const socket = io({ path: "/webhooks/webchat/socket.io", transports: ["websocket"] });
            await new Promise((ok) => socket.on("connect", ok));
            const confirmed = new Promise((ok) => socket.on("session_confirm", ok));
            socket.emit("session_request", { session_id: session });
            await confirmed;
            const said = [];
            socket.on("bot_uttered", (m) => said.push(m));
            const send = (data) => socket.timeout(30000).emitWithAck("user_uttered", { session_id: session, ...data });
            const acks = [
                await send({ message: "太长了".repeat(4000) }),
                await send({ message: "hi", customData: "x".repeat(10) }),
                await send({ message: "hi", customData: { language: "en", note: "y".repeat(5000) } }),
                await send({ message: "hi", customData: { language: "en" } }),
            ];
            return { acks, said };
        }""",
        session,
    )
    acks, said = found["acks"], found["said"]
    assert [a["ok"] for a in acks] == [False, False, False, True]
    assert "10000" in acks[0]["error"] and "customData" in acks[1]["error"] == acks[2]["error"]
    texts = [m["text"] for m in said]
    assert texts[:3] == [NOTICE_TOO_LONG_ZH, NOTICE_MISCONFIGURED_EN, NOTICE_MISCONFIGURED_EN]
    assert len(texts) > 3  # and "hi" was answered
    assert all(set(m) == {"text", "metadata"} for m in said if "buttons" not in m)  # rasa-webchat's text shape


def test_the_buyer_sees_the_agent_typing_and_the_agent_sees_the_reply_read(browser, stack, helpdesk):
    buyer = open_widget(browser, stack)
    say(buyer, "my parcel never arrived, I want to make a complaint")
    expect(buyer.locator("#kefu-messages li.bot", has_text="has your chat now")).to_be_visible()
    session = pages.session_of(buyer)
    agent = wait_for(lambda: helpdesk.get(f"{stack.helpdesk_url}/conversations/{session}",
                                          timeout=10).json()["live"]["agent"])  # fmt: skip
    name = helpdesk.get(f"{stack.helpdesk_url}/agents/{agent}", timeout=10).json()["name"]
    console = log_in(browser, stack, agent)
    console.locator(f'#mine li[data-conversation="{session}"]').click()
    expect(console.locator("#transcript li.buyer", has_text="never arrived")).to_be_visible()

    console.locator("#reply").press_sequentially("Let me look at the tracking", delay=20)
    expect(buyer.locator("#kefu-typing")).to_have_text(f"{name} is typing…")
    console.keyboard.press("Enter")
    expect(buyer.locator("#kefu-messages li.agent", has_text="Let me look at the tracking")).to_be_visible()
    expect(buyer.locator("#kefu-typing")).to_be_hidden()
    # the buyer has the chat open: their widget reports it seen, and the open console marks the reply read
    reply = console.locator("#transcript li.agent", has_text="Let me look at the tracking")
    expect(reply.locator(".read")).to_have_text("✓ read 已读")
