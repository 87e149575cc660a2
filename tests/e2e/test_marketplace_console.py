"""The demo's marketplace conversation in two browser pages: a buyer on the fake marketplace's chat page and the
agent in the console. The agent's reply reaches the marketplace; a reply the marketplace refuses shows as
not delivered in the console; the buyer's read receipt shows too."""

from __future__ import annotations

import re
import uuid

import requests
from playwright.sync_api import expect

from scripts.browser import owner_of
from tests.e2e.test_console import log_in


def test_marketplace_buyer_and_agent_in_the_browser(browser, stack):
    buyer = f"b{uuid.uuid4().hex[:10]}"
    shop = browser.new_context().new_page()
    shop.goto(f"{stack.marketplace_url}/?buyer={buyer}")
    shop.fill("#text", "the parcel arrived broken, this is unacceptable, I want to complain")
    shop.keyboard.press("Enter")
    expect(shop.locator("#thread .shop").last).to_contain_text("has your chat now", timeout=20000)

    conversation = f"marketplace:c-{buyer}"
    agent = owner_of(stack, conversation)
    page = log_in(browser, stack, agent)
    item = page.locator(f'#mine li[data-conversation="{conversation}"]')
    expect(item).to_contain_text("marketplace")  # the channel tag
    item.click()
    expect(page.locator("#transcript li.buyer").first).to_contain_text("arrived broken")

    page.fill("#reply", "So sorry! A new one ships today.")
    page.keyboard.press("Enter")
    reply = shop.locator("#thread .shop", has_text="So sorry! A new one ships today.")
    expect(reply).to_be_visible(timeout=10000)
    names = {"amy": "Amy Zhou", "ben": "Ben Carter", "chen": "陈静"}
    expect(reply).to_contain_text(names[agent])

    requests.post(f"{stack.marketplace_url}/_send", json={"events": [{"buyer_id": buyer, "type": "read"}]},
                  timeout=30).raise_for_status()  # fmt: skip
    item.click()
    expect(page.locator("#transcript li.status")).to_contain_text("read by the buyer")

    requests.post(f"{stack.marketplace_url}/_control", json={"fail_status": 404}, timeout=5).raise_for_status()
    try:
        page.fill("#reply", "Here is your tracking number.")
        page.keyboard.press("Enter")
        failed = page.locator("#transcript li.undelivered")
        expect(failed).to_contain_text("Here is your tracking number.", timeout=10000)  # live, no reload
        expect(failed).to_contain_text("HTTP 404")
        expect(page).to_have_title(re.compile("not delivered"))
    finally:
        requests.post(f"{stack.marketplace_url}/_control", json={}, timeout=5)
    expect(shop.locator("#thread .shop", has_text="Here is your tracking number.")).to_have_count(0)
