"""The agent console in a real browser (Debian's chromium driven by Playwright) against the running stack."""

from __future__ import annotations

import re

import pytest
import requests
from playwright.sync_api import Page, expect

from scripts.browser import open_console
from tests.polling import wait_for

XSS = '<img src=x onerror="window.pwned=1"><script>window.pwned=1</script>'


def log_in(browser, stack, agent: str) -> Page:
    page = open_console(browser, stack, agent)
    page.on("dialog", lambda d: pytest.fail(f"a dialog opened: {d.message}"))
    expect(page.locator("#live-state")).to_have_text("live")
    return page


def test_an_agent_answers_with_a_quick_reply_and_resolves_in_the_browser(browser, stack, chat, helpdesk):
    buyer = chat()
    buyer.say(f"{XSS} the zipper broke on day one, I want to complain")
    live = helpdesk.get(f"{stack.helpdesk_url}/conversations/{buyer.sender}", timeout=10).json()["live"]
    agent = live["agent"]
    page = log_in(browser, stack, agent)

    item = page.locator(f'#mine li[data-conversation="{buyer.sender}"]')
    expect(item).to_have_class(re.compile(r"\bred\b"))  # unreplied
    item.click()
    expect(page.locator("#transcript li.buyer").first).to_contain_text("<img src=x")  # shown as text ...
    assert page.locator("#transcript img, #transcript script").count() == 0  # ... never as HTML
    assert page.evaluate("window.pwned") is None

    page.fill("#reply", "/sor")
    expect(page.locator("#shortcuts")).to_contain_text("/sorry")
    page.keyboard.press("Enter")
    filled = "I'm very sorry about this, dear customer. Let me put it right for you."
    expect(page.locator("#reply")).to_have_value(filled)
    page.keyboard.press("Enter")
    expect(page.locator("#transcript li.agent")).to_contain_text("I'm very sorry about this, dear customer.")
    sent = [e for e in buyer.tracker()["events"] if e["event"] == "bot"][-1]
    assert sent["metadata"]["kefu_agent"]["id"] == agent
    expect(item).to_have_class(re.compile(r"\bgreen\b"))  # replied

    page.fill("#note", "buyer sent photos by email; refund approved")  # internal: never to the buyer
    page.click("#note-form button")
    expect(page.locator("#notes li")).to_contain_text("refund approved")
    assert not any("refund approved" in (e.get("text") or "") for e in buyer.tracker()["events"])

    page.click("#my-replies summary")  # an agent's own quick reply, made in the console and used at once
    page.fill("#qr-shortcut", "photos")
    page.fill("#qr-en", "Could you send a photo of {order_no} please, {name}?")
    page.click("#reply-editor button")
    expect(page.locator("#personal-replies li")).to_contain_text("/photos")
    page.fill("#reply", "/phot")
    expect(page.locator("#shortcuts div.active")).to_contain_text("/photos")
    page.keyboard.press("Enter")
    expect(page.locator("#reply")).to_have_value(re.compile("^Could you send a photo of"))
    page.fill("#reply", "")

    page.click("#resolve")
    expect(page.locator(f'#mine li[data-conversation="{buyer.sender}"]')).to_have_count(0)
    wait_for(lambda: buyer.tracker()["slots"]["awaiting_rating"] is True)
    assert any("5/5" in r for r in buyer.say("5"))


def test_a_chat_moved_to_an_agent_shows_up_live_and_the_supervisor_sees_everyone(browser, stack, chat, helpdesk):
    amy = log_in(browser, stack, "amy")
    expect(amy.locator("#supervisor")).to_be_visible()
    expect(amy.locator("#agents tbody tr")).to_have_count(3)
    buyer = chat()
    buyer.say("can I talk to a human please")
    owner = helpdesk.get(f"{stack.helpdesk_url}/conversations/{buyer.sender}", timeout=10).json()["live"]["agent"]
    if owner != "amy":  # a supervisor moves it to herself; her open console shows it without a reload
        r = helpdesk.post(f"{stack.helpdesk_url}/conversations/{buyer.sender}/transfer",
                          json={"agent": "amy", "as_supervisor": True, "to_agent": "amy"}, timeout=10)  # fmt: skip
        assert r.status_code == 200, r.text
    expect(amy.locator(f'#mine li[data-conversation="{buyer.sender}"]')).to_be_visible()
    amy.click("#list-assigned")  # every agent's chats, the unanswered first: the supervisor's manual reassign
    row = amy.locator(f'#chat-list li[data-conversation="{buyer.sender}"]')
    row.locator("select").select_option("ben")
    row.locator("button", has_text="Reassign").click()
    expect(amy.locator(f'#mine li[data-conversation="{buyer.sender}"]')).to_have_count(0)
    live = helpdesk.get(f"{stack.helpdesk_url}/conversations/{buyer.sender}", timeout=10).json()["live"]
    assert live["agent"] == "ben"


def test_a_wrong_password_is_refused_in_the_page(browser, stack):
    page = browser.new_page()
    page.goto(f"{stack.helpdesk_url}/console")
    page.fill("#login-agent", "ben")
    page.fill("#login-password", "not the password")
    page.click("#login-form button[type=submit]")
    expect(page.locator("#login-error")).to_have_text("wrong agent or password")
    expect(page.locator("#app")).to_be_hidden()
    assert requests.get(f"{stack.helpdesk_url}/queue", timeout=5).status_code == 401


def test_the_quality_check_blocks_or_warns_a_reply_in_the_page(browser, stack, chat, helpdesk):
    """shop.yml quality: a banned word blocks the reply (not sent, it stays in the box, the reason in red), a
    longer return window only warns (sent, the reason in yellow); the next send clears the notice."""
    buyer = chat()
    buyer.say("can I talk to a human please")
    agent = helpdesk.get(f"{stack.helpdesk_url}/conversations/{buyer.sender}", timeout=10).json()["live"]["agent"]
    page = log_in(browser, stack, agent)
    page.locator(f'#mine li[data-conversation="{buyer.sender}"]').click()
    notice = page.locator("#qa-notice")

    page.fill("#reply", "Read the size chart, you idiot.")
    page.keyboard.press("Enter")
    expect(notice.locator("li.qa-block")).to_have_text("Words the shop never uses with buyers: idiot.")
    expect(page.locator("#reply")).to_have_value("Read the size chart, you idiot.")
    assert not any("idiot" in (e.get("text") or "") for e in buyer.tracker()["events"])

    page.fill("#reply", "You can return it within 30 days.")
    page.keyboard.press("Enter")
    expect(notice.locator("li.qa-warn")).to_have_text("Our return window is 7 days; the reply promises 30 days.")
    expect(notice.locator("li.qa-block")).to_have_count(0)
    expect(page.locator("#transcript li.agent").last).to_contain_text("You can return it within 30 days.")
    expect(page.locator("#reply")).to_have_value("")

    page.fill("#reply", "Is there anything else I can help with?")
    page.keyboard.press("Enter")
    expect(page.locator("#transcript li.agent").last).to_contain_text("anything else")
    expect(notice).to_be_hidden()
    r = helpdesk.post(f"{stack.helpdesk_url}/conversations/{buyer.sender}/resolve", json={"agent": agent}, timeout=10)
    assert r.status_code == 200, r.text
