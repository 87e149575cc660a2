"""The unmodified rasa-webchat widget (npm, scripts/rasa_webchat.py), embedded in a shop's own site on another
origin, holds a conversation with the bot and then with an agent, on a desktop and on a phone.

kefu's web-chat channel speaks Rasa's socketio protocol: no message ids, customData, session_confirm, and
bot_uttered in the shapes rasa-webchat shows. Only the origins listed (KEFU_WEBCHAT_ORIGINS here,
credentials.yml otherwise) may open the chat from another site."""

from __future__ import annotations

import json

import pytest
import requests
from playwright.sync_api import Page, expect

from scripts import rasa_webchat
from scripts.shop_site import DESKTOP, PHONE
from scripts.stack import free_port
from tests.e2e.conftest import SHOP_SITE
from tests.polling import wait_for

CUSTOM_DATA = {"language": "en", "page": "/products/linen-dress"}
# rasa-webchat shows each bot message after a "typing" pause of 0.8-3 s (its customMessageDelay), one after another
SHOWN_WITHIN_MS = 20_000


@pytest.fixture(scope="module")
def site_page_url(stack, shop_site) -> str:
    shop_site.put(rasa_webchat.SCRIPT, rasa_webchat.fetch().read_bytes(), "text/javascript")
    page = rasa_webchat.host_page(
        stack.rasa_url, customData=CUSTOM_DATA, title="Linen & Co", params={"storage": "local"}
    )
    return shop_site.put("/with-rasa-webchat", page)


def open_chat(browser, site: str, device: dict) -> Page:
    page = browser.new_context(**device).new_page()
    page.goto(site)
    launcher = page.locator(".rw-launcher")  # shown only once the socket is connected (hideWhenNotConnected)
    launcher.tap() if device.get("has_touch") else launcher.click()
    expect(page.locator(".rw-new-message")).to_be_visible()
    return page


def say(page: Page, text: str) -> None:
    page.fill(".rw-new-message", text)
    page.locator(".rw-send").click()


def session_of(page: Page) -> str:
    return wait_for(lambda: json.loads(page.evaluate("localStorage.getItem('chat_session')") or "{}").get("session_id"))


def user_events(stack, session: str) -> list:
    url = f"{stack.rasa_url}/conversations/{session}/tracker?token={stack.rasa_token}"
    return [e for e in requests.get(url, timeout=10).json()["events"] if e["event"] == "user"]


@pytest.mark.parametrize("device", [DESKTOP, PHONE], ids=["desktop", "phone"])
def test_rasa_webchat_talks_with_the_bot_and_an_agent(browser, stack, helpdesk, site_page_url, device):
    page = open_chat(browser, site_page_url, device)
    replies = page.locator(".rw-response")
    expect(replies.filter(has_text="assistant")).to_be_visible(timeout=SHOWN_WITHIN_MS)  # to initPayload "/greet"
    say(page, "where is my order A10002")
    expect(replies.last).to_contain_text("email or phone", timeout=SHOWN_WITHIN_MS)
    assert page.evaluate("document.documentElement.scrollWidth") <= device["viewport"]["width"]

    session = session_of(page)
    assert {"message_id"} not in [set(e.get("metadata") or {}) for e in user_events(stack, session)]
    assert user_events(stack, session)[-1]["metadata"]["custom_data"] == CUSTOM_DATA

    say(page, "the dress arrived torn, I want to complain")
    expect(page.locator(".rw-response", has_text="has your chat now")).to_be_visible(timeout=SHOWN_WITHIN_MS)
    conversation = f"{stack.helpdesk_url}/conversations/{session}"
    agent = wait_for(lambda: helpdesk.get(conversation, timeout=10).json()["live"]["agent"])
    r = helpdesk.post(f"{conversation}/reply", json={"agent": agent, "text": "So sorry! A new dress ships today."})
    assert r.status_code == 200, r.text
    expect(page.locator(".rw-response", has_text="A new dress ships today")).to_be_visible(timeout=SHOWN_WITHIN_MS)

    say(page, "thank you, which courier?")  # the chat is the agent's now: it reaches them, the bot stays quiet
    wait_for(lambda: user_events(stack, session)[-1]["text"] == "thank you, which courier?")
    page.reload()  # rasa-webchat keeps its own copy of the conversation, and the same session
    expect(page.locator(".rw-response", has_text="A new dress ships today")).to_be_visible(timeout=SHOWN_WITHIN_MS)
    assert session_of(page) == session


def test_only_listed_origins_may_open_the_chat(stack):
    handshake = f"{stack.rasa_url}/webhooks/webchat/socket.io/?EIO=4&transport=polling"
    own, other = stack.rasa_url, f"http://127.0.0.1:{free_port()}"
    for origin in (own, SHOP_SITE):
        r = requests.get(handshake, headers={"Origin": origin}, timeout=10)
        assert r.status_code == 200, (origin, r.text)
    assert requests.get(handshake, headers={"Origin": SHOP_SITE}, timeout=10).headers[
        "Access-Control-Allow-Origin"] == SHOP_SITE  # fmt: skip
    r = requests.get(handshake, headers={"Origin": other}, timeout=10)
    assert r.status_code == 400 and "Access-Control-Allow-Origin" not in r.headers
