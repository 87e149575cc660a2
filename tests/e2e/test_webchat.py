"""The web chat widget in a real browser: the bot answers, a complaint hands off, an agent answers from
the console into the same widget window, resolves, and the buyer rates; reloads lose and repeat nothing."""

from __future__ import annotations

import re

from playwright.sync_api import Page, expect

from tests.e2e.test_console import XSS, browser, log_in  # noqa: F401 - the browser fixture
from tests.polling import wait_for


def open_widget(browser, stack) -> Page:  # noqa: F811
    page = browser.new_page(viewport={"width": 1200, "height": 800})
    page.on("dialog", lambda d: (_ for _ in ()).throw(AssertionError(f"a dialog opened: {d.message}")))
    page.goto(f"{stack.rasa_url}/webhooks/webchat/")
    page.click("#kefu-toggle")
    expect(page.locator("#kefu-status")).to_have_text("online")
    return page


def say(page: Page, text: str) -> None:
    page.fill("#kefu-input", text)
    page.keyboard.press("Enter")


def test_the_bot_answers_in_the_widget_and_a_reload_keeps_the_conversation(browser, stack):  # noqa: F811
    page = open_widget(browser, stack)
    say(page, "do you have any coupon codes?")
    expect(page.locator("#kefu-messages li.bot").last).to_contain_text("SAVE10")
    say(page, XSS)
    expect(page.locator("#kefu-messages li.buyer", has_text="<img src=x")).to_be_visible()
    assert page.locator("#kefu-messages img, #kefu-messages script").count() == 0
    expect(page.locator("#kefu-messages li.bot")).to_have_count(2)
    before = page.locator("#kefu-messages li").all_inner_texts()
    page.reload()
    expect(page.locator("#kefu-status")).to_have_text("online")
    expect(page.locator("#kefu-messages li")).to_have_count(len(before))  # nothing lost, nothing twice
    assert page.locator("#kefu-messages li").all_inner_texts() == before
    page.close()


def test_a_resent_message_is_answered_once(browser, stack):  # noqa: F811
    page = open_widget(browser, stack)
    wait_for(lambda: page.evaluate("localStorage.getItem('kefu_session_id')"))
    session = page.evaluate("localStorage.getItem('kefu_session_id')")
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
    page.close()


def test_handoff_in_the_widget_agent_reply_resolve_and_rating(browser, stack, helpdesk):  # noqa: F811
    buyer = open_widget(browser, stack)
    say(buyer, "the dress arrived torn, I want to complain")
    expect(buyer.locator("#kefu-messages li.bot", has_text="has your chat now")).to_be_visible()
    session = buyer.evaluate("localStorage.getItem('kefu_session_id')")
    agent = helpdesk.get(f"{stack.helpdesk_url}/conversations/{session}", timeout=10).json()["live"]["agent"]
    say(buyer, "hello? is anyone there?")
    expect(buyer.locator("#kefu-messages li.buyer", has_text="anyone there")).not_to_have_class(re.compile("pending"))

    console = log_in(browser, stack, agent)
    console.locator("#mine li", has_text=session).click()
    expect(console.locator("#transcript li.buyer", has_text="anyone there")).to_be_visible()
    expect(console.locator("#transcript li.buyer").first).to_contain_text("arrived torn")
    console.fill("#reply", "/sorry")
    console.keyboard.press("Enter")
    expect(console.locator("#reply")).to_have_value(re.compile("dear customer"))
    console.keyboard.press("Enter")

    from_agent = buyer.locator("#kefu-messages li.agent")
    expect(from_agent).to_contain_text("I'm very sorry about this, dear customer.")
    name = helpdesk.get(f"{stack.helpdesk_url}/agents/{agent}", timeout=10).json()["name"]
    expect(from_agent.locator(".from")).to_have_text(f"agent {name}")

    console.click("#resolve")
    expect(buyer.locator("#kefu-messages li.bot", has_text="I'm back")).to_be_visible()
    buyer.locator("#kefu-messages li.bot button", has_text="5").last.click()
    expect(buyer.locator("#kefu-messages li.bot").last).to_contain_text("5/5")
    record = wait_for(lambda: (h := helpdesk.get(f"{stack.helpdesk_url}/conversations/{session}",
                                                 timeout=10).json()["handoffs"]) and h[-1]["rating"] and h)  # fmt: skip
    assert record[-1]["rating"] == 5
    buyer.close()
    console.close()
