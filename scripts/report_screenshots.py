"""The README's screenshots of the supervisors' Reports view (docs/screenshots/reports.png), of a reply
the quality check warned about (docs/screenshots/qa-warning.png) and of the Trainer view (docs/trainer.png),
from a real run of the stack.

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
DOCS = ROOT / "docs"
# buyers' messages the demo model misses (fallback, off-topic, or a guess below the shop's unclear_below), each
# said by that many buyers; a few an agent flags with what the buyer meant
MISSED = [
    ("快递怎么还没到 急死了", 3, None),
    ("is it ok for a 5 year old", 3, None),
    ("where can I see what I bought last month", 2, "order_status"),
    ("我要的不是这个颜色啊", 2, "exchange_request"),
    ("I paid twice by accident", 2, None),
    ("the parcel went to my old flat, ring me on 13812345678", 1, None),
    ("我朋友买的价格不一样 13812345678", 1, None),
    ("这个适合送长辈吗", 1, None),
    ("is there a store in shanghai", 1, None),
]


def _qa_warning(browser, stack: Stack) -> None:
    """A buyer asks for a person; the agent promises a return window the shop does not have."""
    sender = f"qa-shot-{int(time.time())}"
    url = f"{stack.rasa_url}/webhooks/rest/webhook"
    requests.post(url, json={"sender": sender, "message": "I want to return this dress, can I talk to a human?"},
                  timeout=30).raise_for_status()  # fmt: skip
    console = open_console(browser, stack, owner_of(stack, sender), height=760)
    console.locator(f'#mine li[data-conversation="{sender}"]').click()
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


def _flag(console, stack: Stack, sender: str, text: str, intent: str) -> None:
    """What an agent's "Bot misunderstood" button does, from the agent's logged-in console page."""
    service = {"Authorization": f"Bearer {stack.helpdesk_token}"}
    turns = requests.get(f"{stack.helpdesk_url}/conversations/{sender}/transcript", headers=service, timeout=10)
    at = next(t["at"] for t in turns.json()["turns"] if t["who"] == "buyer" and t["text"] == text)
    flag = "([cid, at, intent]) => api('POST', `/conversations/${encodeURIComponent(cid)}/flags`, {at, intent})"
    console.evaluate(flag, [sender, at, intent])


def _trainer(browser, stack: Stack) -> None:
    """Buyers the bot misunderstood (MISSED) over the REST channel, ben's flags, and Tina's inbox after one accept."""
    url = f"{stack.rasa_url}/webhooks/rest/webhook"
    ben = open_console(browser, stack, "ben")
    for n, (text, buyers, flag) in enumerate(MISSED):
        for b in range(buyers):
            sender = f"trainer-shot-{n}-{b}-{int(time.time())}"
            requests.post(url, json={"sender": sender, "message": text}, timeout=30).raise_for_status()
            if flag and b == 0:
                _flag(ben, stack, sender, text, flag)
    console = open_console(browser, stack, "tina", width=1400, height=1040)
    expect(console.locator("#trainer")).to_have_attribute("aria-busy", "false")
    kid = console.locator("#tr-inbox li.tr-entry", has_text="is it ok for a 5 year old")
    kid.locator("select").select_option("size_advice")
    kid.locator(".tr-accept").click()
    expect(console.locator("#tr-status")).to_be_visible()
    expect(console.locator("#tr-decided li")).to_have_count(1)
    console.mouse.move(0, 0)
    console.screenshot(path=str(DOCS / "trainer.png"))


def main() -> None:
    var = Path(tempfile.mkdtemp(prefix="kefu-shots-"))
    weeks = load_shop_config(Settings.from_env().shop_config).staffing.weeks
    # as `make demo` seeds it; what the Trainer view accepts goes to a file of this run, not data/nlu/
    stack = Stack.on_free_ports(
        var_dir=var, history_weeks=weeks, extra_env={"KEFU_REVIEWED_NLU": str(var / "reviewed.yml")}
    ).start(timeout=240)
    try:
        SHOTS.mkdir(parents=True, exist_ok=True)
        with sync_playwright() as p:
            browser = launch(p)
            _qa_warning(browser, stack)
            _reports(browser, stack)
            _trainer(browser, stack)
            browser.close()
    finally:
        stack.stop()
    print(f"wrote reports.png and qa-warning.png in {SHOTS}, trainer.png in {DOCS}")


if __name__ == "__main__":
    main()
