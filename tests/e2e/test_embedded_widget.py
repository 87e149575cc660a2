"""kefu's widget as a shop embeds it: one <script> tag on the shop's own site (another origin), on a desktop and
on a phone, with a page whose styles would wreck any widget they reached."""

from __future__ import annotations

import re

import pytest
import requests
from playwright.sync_api import Page, expect

from scripts.shop_site import DESKTOP, PHONE
from scripts.stack import free_port
from tests.e2e.conftest import SHOP_SITE
from tests.polling import wait_for

# a shop's own rules, on the very tags and names the widget uses: none may reach into it
HOSTILE_CSS = """
body { font: 40px/1 serif; color: rgb(1, 2, 3); }
li, ol, form, input, button, header, section, span { display: none !important; color: rgb(1, 2, 3) !important; }
#kefu-messages, #kefu-input, #kefu-toggle { font-size: 33px !important; background: rgb(1, 2, 3) !important; }
"""


def site_page(rasa_url: str, **data: str) -> bytes:
    attrs = "".join(f' data-{k}="{v}"' for k, v in data.items())
    return f"""<!doctype html>
<html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width, initial-scale=1">
<title>Linen &amp; Co</title><style>{HOSTILE_CSS}</style>
<script src="{rasa_url}/webhooks/webchat/embed.js"{attrs} async></script></head>
<body><h1>Linen dress</h1><p class="status">In stock</p></body></html>""".encode()


@pytest.fixture(scope="module")
def page_url(stack, shop_site) -> str:
    return shop_site.put("/with-kefu", site_page(stack.rasa_url, lang="en", color="#1565c0"))


def open_chat(browser, url: str, device: dict) -> Page:
    page = browser.new_context(**device).new_page()
    page.goto(url)
    launcher = page.locator("#kefu-toggle")
    expect(launcher).to_be_visible()
    assert within(page, launcher), "the launcher is off-screen"
    launcher.tap() if device.get("has_touch") else launcher.click()
    expect(page.locator("#kefu-status")).to_have_text("online")
    return page


def within(page: Page, locator) -> bool:
    box, view = locator.bounding_box(), page.viewport_size
    return bool(box) and box["x"] >= 0 and box["y"] >= 0 and box["x"] + box["width"] <= view["width"] + 0.5 \
        and box["y"] + box["height"] <= view["height"] + 0.5  # fmt: skip


def say(page: Page, text: str) -> None:
    page.fill("#kefu-input", text)
    page.keyboard.press("Enter")


@pytest.mark.parametrize("device", [DESKTOP, PHONE], ids=["desktop", "phone"])
def test_the_snippet_holds_a_conversation_on_the_shops_own_site(browser, stack, helpdesk, page_url, device):
    page = open_chat(browser, page_url, device)
    say(page, "where is my order A10002")
    expect(page.locator("#kefu-messages li.bot").last).to_contain_text("email or phone")
    width = device["viewport"]["width"]
    assert page.evaluate("document.documentElement.scrollWidth") <= width
    for part in ("#kefu-input", "#kefu-send", "#kefu-panel header"):
        assert within(page, page.locator(part)), part
    if device is PHONE:  # the open chat is the whole screen, and can be closed from there
        panel = page.locator("#kefu-panel").bounding_box()
        assert panel["width"] >= width - 1 and panel["height"] >= device["viewport"]["height"] - 1
        expect(page.locator("#kefu-close")).to_be_visible()

    say(page, "the dress arrived torn, I want to complain")
    expect(page.locator("#kefu-messages li.bot", has_text="has your chat now")).to_be_visible()
    session = page.evaluate("localStorage.getItem('kefu_session_id')")
    conversation = f"{stack.helpdesk_url}/conversations/{session}"
    agent = wait_for(lambda: helpdesk.get(conversation, timeout=10).json()["live"]["agent"])
    r = helpdesk.post(f"{conversation}/reply", json={"agent": agent, "text": "So sorry! A new dress ships today."})
    assert r.status_code == 200, r.text
    expect(page.locator("#kefu-messages li.agent", has_text="A new dress ships today")).to_be_visible()

    before = page.locator("#kefu-messages li").all_inner_texts()
    page.reload()  # the history comes back from kefu, across origins
    expect(page.locator("#kefu-status")).to_have_text("online")
    expect(page.locator("#kefu-messages li")).to_have_count(len(before))

    if device is PHONE:  # the on-screen keyboard takes half the screen: the input stays above it
        page.set_viewport_size({"width": width, "height": 420})
        page.locator("#kefu-input").tap()
        page.wait_for_function("() => window.visualViewport.height <= 420")
        expect(page.locator("#kefu-input")).to_be_in_viewport()
        assert within(page, page.locator("#kefu-input"))
        page.locator("#kefu-close").tap()
        assert within(page, page.locator("#kefu-toggle"))


def test_the_widget_and_the_page_keep_their_styles_apart(browser, page_url):
    page = open_chat(browser, page_url, DESKTOP)
    say(page, "hi")
    bot = page.locator("#kefu-messages li.bot").first
    expect(bot).to_be_visible()  # the page hides every li, button and input it has; not ours
    assert bot.evaluate("e => getComputedStyle(e).color") != "rgb(1, 2, 3)"
    assert page.locator("#kefu-input").evaluate("e => getComputedStyle(e).fontSize") == "16px"
    assert page.locator("#kefu-toggle").evaluate("e => getComputedStyle(e).backgroundColor") == "rgb(21, 101, 192)"
    assert page.locator("p.status").evaluate("e => getComputedStyle(e).fontSize") == "40px"  # the page's; ours: 12px
    assert page.evaluate("[typeof window.io, typeof window.KEFU_CSS, document.querySelectorAll('kefu-chat').length]") \
        == ["undefined", "undefined", 1]  # fmt: skip
    assert re.fullmatch(r"Customer service", page.locator("#kefu-title").inner_text())  # data-lang="en"


def test_only_a_listed_site_reads_a_conversation(stack):
    assert requests.get(f"{stack.rasa_url}/webhooks/webchat/embed.js", timeout=10).headers["Content-Type"].startswith(
        "text/javascript")  # fmt: skip
    history = f"{stack.rasa_url}/webhooks/webchat/history?session_id={'0' * 32}"
    r = requests.get(history, headers={"Origin": SHOP_SITE}, timeout=10)
    assert r.status_code == 200 and r.headers["Access-Control-Allow-Origin"] == SHOP_SITE
    r = requests.get(history, headers={"Origin": f"http://127.0.0.1:{free_port()}"}, timeout=10)
    assert r.status_code == 200 and "Access-Control-Allow-Origin" not in r.headers
