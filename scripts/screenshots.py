"""The README's screenshots (docs/widget.png, console.png, marketplace.png, widget-phone.png, rasa-webchat.png,
photo-phone.png, photo-console.png, email.png, search.png) from a real run of the stack.

python -m scripts.screenshots
"""

from __future__ import annotations

import io
import re
import smtplib
import tempfile
import time
from email.message import EmailMessage
from pathlib import Path

import requests
from PIL import Image, ImageDraw
from playwright.sync_api import Browser, Page, expect, sync_playwright

from scripts import rasa_webchat
from scripts.browser import launch, open_console, open_widget, owner_of, session_of
from scripts.shop_site import PHONE, ShopSite
from scripts.stack import ROOT, Stack, free_port

DOCS = ROOT / "docs"


def main() -> None:
    var = Path(tempfile.mkdtemp(prefix="kefu-shots-"))
    site = ShopSite(f"http://127.0.0.1:{free_port()}")  # a shop's own site, which embeds rasa-webchat
    stack = Stack.on_free_ports(var_dir=var, extra_env={"KEFU_WEBCHAT_ORIGINS": site.origin}, mail_sink=True)
    stack.start(timeout=240)
    try:
        with sync_playwright() as p:
            browser = launch(p)
            buyer = open_widget(browser, stack, height=820)
            turns = [
                ("这件碎花连衣裙M码合适吗 我165cm 55kg", "li.bot"),
                ("the zipper broke after one day, I want to complain", "li.bot:has-text('has your chat')"),
            ]
            for text, wait_for in turns:
                count = buyer.locator("#kefu-messages li.bot").count()
                buyer.fill("#kefu-input", text)
                buyer.keyboard.press("Enter")
                buyer.locator("#kefu-messages li.bot").nth(count).wait_for()
                buyer.wait_for_selector(f"#kefu-messages {wait_for}")
            session = session_of(buyer)
            console = open_console(browser, stack, owner_of(stack, session), height=820)
            console.locator(f'#mine li[data-conversation="{session}"]').click()
            console.wait_for_selector("#transcript li.buyer")
            console.fill("#reply", "/sorry")
            console.keyboard.press("Enter")
            expect(console.locator("#reply")).not_to_have_value(re.compile("^/"))  # the quick reply is filled in
            console.keyboard.press("Enter")
            buyer.wait_for_selector("#kefu-messages li.agent")
            console.fill("#note", "photos received by email; replacement approved")
            console.click("#note-form button")
            console.wait_for_selector("#notes li")
            console.fill("#reply", "/shi")
            console.wait_for_selector("#shortcuts div")
            market = browser.new_context(viewport={"width": 700, "height": 640}).new_page()
            market.goto(f"{stack.marketplace_url}/?buyer=mkt-buyer-1001")
            for n, text in enumerate(["where is my order A10002?", "有优惠码吗"], start=1):
                market.fill("#text", text)
                market.keyboard.press("Enter")
                market.wait_for_function("(n) => document.querySelectorAll('#thread .shop').length >= n", arg=n)
            DOCS.mkdir(exist_ok=True)
            buyer.screenshot(path=str(DOCS / "widget.png"))
            console.screenshot(path=str(DOCS / "console.png"))
            market.screenshot(path=str(DOCS / "marketplace.png"))
            phone_widget(browser, stack).screenshot(path=str(DOCS / "widget-phone.png"))
            rasa_webchat_page(browser, stack, site).screenshot(path=str(DOCS / "rasa-webchat.png"))
            phone, console = photo_pages(browser, stack)
            phone.screenshot(path=str(DOCS / "photo-phone.png"))
            console.screenshot(path=str(DOCS / "photo-console.png"))
            mail, search = email_and_search_pages(browser, stack)
            mail.screenshot(path=str(DOCS / "email.png"))
            search.screenshot(path=str(DOCS / "search.png"))
            browser.close()
    finally:
        stack.stop()
        site.close()
    print(
        f"wrote widget.png, console.png, marketplace.png, widget-phone.png, rasa-webchat.png, photo-phone.png, "
        f"photo-console.png, email.png and search.png in {DOCS}"
    )


def phone_widget(browser: Browser, stack: Stack) -> Page:
    """kefu's widget on the demo page on a phone: the open chat fills the screen."""
    page = browser.new_context(**PHONE).new_page()
    page.goto(f"{stack.rasa_url}/webhooks/webchat/")
    page.locator("#kefu-toggle").tap()
    for text in ("有优惠码吗", "what payment methods do you take?"):
        count = page.locator("#kefu-messages li.bot").count()
        page.fill("#kefu-input", text)
        page.keyboard.press("Enter")
        page.locator("#kefu-messages li.bot").nth(count).wait_for()
    return page


def drawn(kind: str) -> bytes:
    """A picture for the photo screenshots: a parcel with a split side, or a return label."""
    image = Image.new("RGB", (480, 360), "#f4efe6")
    draw = ImageDraw.Draw(image)
    if kind == "parcel":
        draw.polygon([(90, 120), (300, 90), (400, 140), (190, 175)], fill="#d8b27a")
        draw.polygon([(90, 120), (190, 175), (190, 320), (90, 260)], fill="#b98b4e")
        draw.polygon([(190, 175), (400, 140), (400, 280), (190, 320)], fill="#c99a5b")
        draw.line([(250, 170), (275, 215), (258, 250), (290, 300)], fill="#3b2a18", width=7)
    else:
        draw.rectangle([70, 60, 410, 300], fill="white", outline="#333", width=4)
        for y in range(100, 280, 34):
            draw.rectangle([100, y, 100 + (y * 7) % 260 + 40, y + 14], fill="#555")
    out = io.BytesIO()
    image.save(out, "JPEG", quality=88)
    return out.getvalue()


def photo_pages(browser: Browser, stack: Stack) -> tuple:
    """A buyer on a phone asks for an exchange and sends a photo, which goes to a person; the agent sees it and
    sends a return label back."""
    buyer = browser.new_context(**PHONE).new_page()
    buyer.goto(f"{stack.rasa_url}/webhooks/webchat/")
    buyer.locator("#kefu-toggle").tap()
    buyer.fill("#kefu-input", "I got the wrong colour, can I exchange it?")
    buyer.keyboard.press("Enter")
    buyer.locator("#kefu-messages li.bot").first.wait_for()
    buyer.set_input_files(
        "#kefu-file", files=[{"name": "parcel.jpg", "mimeType": "image/jpeg", "buffer": drawn("parcel")}]
    )
    buyer.locator("#kefu-messages li.bot", has_text="has your chat now").wait_for()
    session = session_of(buyer)
    console = open_console(browser, stack, owner_of(stack, session), height=900)
    console.locator(f'#mine li[data-conversation="{session}"]').click()
    console.locator("#transcript li.buyer img").wait_for()
    console.set_input_files("#attach-file", files=[{"name": "return-label.jpg", "mimeType": "image/jpeg",
                                                    "buffer": drawn("label")}])  # fmt: skip
    console.locator("#transcript li.agent img").wait_for()
    buyer.locator("#kefu-messages li.agent img").wait_for()
    for page, images in ((buyer, "#kefu-messages img"), (console, "#transcript img")):
        page.wait_for_function(f"() => [...document.querySelectorAll('{images}')].every((i) => i.naturalWidth > 0)")
    return buyer, console


def email_and_search_pages(browser: Browser, stack: Stack) -> tuple:
    """A buyer's complaint by email, handed to an agent who answers it (the reply leaves by SMTP, into the demo's
    sink); then a supervisor finds the chat in Search & history by its order number."""
    mail = EmailMessage()
    mail["From"], mail["To"], mail["Subject"] = "Lily Chen <lily.chen@example.com>", "help@shop.example", "Order A10002"
    mail["Message-ID"] = "<screenshot-1@mail.example>"
    mail.set_content(
        "Hello, the dress from order A10002 arrived torn and I want to complain.\n\nLily\n\n-- \n"
        "Lily Chen\nSent from my iPhone\n\nOn Mon, 30 Nov 2026, Lily's Closet wrote:\n> Your order shipped"
    )
    with smtplib.SMTP("127.0.0.1", stack.email_port, timeout=60) as smtp:
        smtp.send_message(mail)
    deadline = time.time() + 60
    while not (chats := [c for c in live_chats(stack) if c.startswith("email:")]):
        assert time.time() < deadline, "the mail was not handed to an agent"
        time.sleep(1)
    console = open_console(browser, stack, owner_of(stack, chats[0]), height=760)
    console.locator(f'#mine li[data-conversation="{chats[0]}"]').click()
    console.locator("#transcript li.buyer").first.wait_for()
    console.fill("#reply", "So sorry, Lily! A new dress goes out today; no need to send the torn one back.")
    console.keyboard.press("Enter")
    console.locator("#transcript li.agent").wait_for()
    headers = {"Authorization": f"Bearer {stack.helpdesk_token}"}
    while not requests.get(f"{stack.helpdesk_url}/search", params={"q": "A10002"}, headers=headers).json()["total"]:
        assert time.time() < deadline + 60, "the handoff never reached the record"
        time.sleep(0.5)  # the sweeper copies the handoff into SQL within a moment
    search = open_console(browser, stack, "amy", height=700)
    search.click("#history-tab")
    search.select_option("#hs-state", "")  # the tab opens on the History (resolved): any state, for a live chat
    search.fill("#hs-q", "A10002")
    search.click("#hs-form button[type=submit]")
    search.locator("#hs-results li").first.wait_for()
    return console, search


def live_chats(stack: Stack) -> list:
    """Every live chat's id: waiting, or with an agent (GET /queue, with the service token)."""
    headers = {"Authorization": f"Bearer {stack.helpdesk_token}"}
    queue = requests.get(f"{stack.helpdesk_url}/queue", headers=headers, timeout=10).json()
    return [w["conversation_id"] for w in queue["waiting"]] + [c for a in queue["agents"] for c in a["chats"]]


def rasa_webchat_page(browser: Browser, stack: Stack, site: ShopSite) -> Page:
    """The unmodified rasa-webchat widget on a shop's own site, talking to kefu."""
    site.put(rasa_webchat.SCRIPT, rasa_webchat.fetch().read_bytes(), "text/javascript")
    url = site.put("/", rasa_webchat.host_page(stack.rasa_url, title="Lily's Closet",
                                               subtitle="rasa-webchat 1.0.1 → kefu"))  # fmt: skip
    page = browser.new_context(viewport={"width": 700, "height": 760}).new_page()
    page.goto(url)
    page.locator(".rw-launcher").click()
    page.locator(".rw-response").first.wait_for()
    page.fill(".rw-new-message", "where is my order A10002")
    page.locator(".rw-send").click()
    page.locator(".rw-response", has_text="email or phone").wait_for()
    return page


if __name__ == "__main__":
    main()
