"""The README's screenshots of the supervisors' Reports view (docs/screenshots/reports.png) and of a reply
the quality check warned about (docs/screenshots/qa-warning.png), from a real run of the stack.

python -m scripts.report_screenshots

The stack starts as `make demo` does, with weeks of past chats seeded into its record (scripts/seed_history.py),
so that the charts, the QA report and the staffing heatmap have something to show.
"""

from __future__ import annotations

import tempfile
import time
from pathlib import Path

import requests
from playwright.sync_api import expect, sync_playwright

from scripts.browser import launch, open_console, owner_of
from scripts.stack import ROOT, Stack
from shop.config import load_shop_config
from shop.settings import Settings

SHOTS = ROOT / "docs" / "screenshots"


def _qa_warning(browser, stack: Stack) -> None:
    """A buyer asks for a person; the agent promises a return window the shop does not have."""
    sender = f"qa-shot-{int(time.time())}"
    url = f"{stack.rasa_url}/webhooks/rest/webhook"
    requests.post(url, json={"sender": sender, "message": "I want to return this dress, can I talk to a human?"},
                  timeout=30).raise_for_status()  # fmt: skip
    console = open_console(browser, stack, owner_of(stack, sender), height=760)
    console.locator("#mine li", has_text=sender).click()
    console.wait_for_selector("#transcript li.buyer")
    console.fill("#reply", "No problem, you can return it within 30 days and we pay the return shipping.")
    console.keyboard.press("Enter")
    expect(console.locator("#qa-notice")).to_be_visible()
    console.screenshot(path=str(SHOTS / "qa-warning.png"))


def _reports(browser, stack: Stack) -> None:
    console = open_console(browser, stack, "amy", height=2000)
    console.click("#reports-tab")
    expect(console.locator("#reports")).to_have_attribute("aria-busy", "false")
    expect(console.locator("#heatmap td.heat")).to_have_count(168)
    console.screenshot(path=str(SHOTS / "reports.png"), full_page=True)


def main() -> None:
    var = Path(tempfile.mkdtemp(prefix="kefu-shots-"))
    weeks = load_shop_config(Settings.from_env().shop_config).staffing.weeks
    stack = Stack.on_free_ports(var_dir=var, history_weeks=weeks).start(timeout=240)  # as `make demo` seeds it
    try:
        SHOTS.mkdir(parents=True, exist_ok=True)
        with sync_playwright() as p:
            browser = launch(p)
            _qa_warning(browser, stack)
            _reports(browser, stack)
            browser.close()
    finally:
        stack.stop()
    print(f"wrote reports.png and qa-warning.png in {SHOTS}")


if __name__ == "__main__":
    main()
