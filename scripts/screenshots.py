"""The README's screenshots (docs/widget.png, console.png, marketplace.png) from a real run of the stack.

python -m scripts.screenshots
"""

from __future__ import annotations

import re
import tempfile
from pathlib import Path

from playwright.sync_api import expect, sync_playwright

from scripts.browser import launch, open_console, open_widget, owner_of, session_of
from scripts.stack import ROOT, Stack

DOCS = ROOT / "docs"


def main() -> None:
    var = Path(tempfile.mkdtemp(prefix="kefu-shots-"))
    stack = Stack.on_free_ports(var_dir=var).start(timeout=240)
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
            console.locator("#mine li", has_text=session).click()
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
            browser.close()
    finally:
        stack.stop()
    print(f"wrote widget.png, console.png and marketplace.png in {DOCS}")


if __name__ == "__main__":
    main()
