"""The trainer's loop in the console, in a real browser (Debian's chromium driven by Playwright) against the
running stack: an agent flags a buyer's line the bot misunderstood ("Bot misunderstood" on the transcript), and
the trainer reviews the Trainer view's inbox (the flagged line, and the messages the bot missed, harvested from the
stored conversations), accepts one into the reviewed-examples file, ignores another, and undoes.
The stack's reviewed-examples file is a temporary one (KEFU_REVIEWED_NLU), never data/nlu/reviewed.yml."""

from __future__ import annotations

import re
import uuid
from pathlib import Path
from typing import List, Set, Tuple

import pytest
import requests
from playwright.sync_api import Page, expect
from rasa.shared.nlu.training_data.loading import load_data

from scripts.browser import open_console
from scripts.stack import ROOT
from tests.e2e.conftest import Chat

# what the buyers say, and what the demo model made of them when this was written
MISSED = "where can I see what I bought last month"  # the bot falls back; ben flags it as order_status
KNOWN = "how long till it arrives"  # an example of shipping_time in data/nlu/order.yml already; ben flags it anyway
UNSURE = "快递怎么还没到 急死了"  # a guess below the shop's unclear_below (0.6), or a fallback: harvested either way
PHONE = "13812345678"
WITH_PHONE = f"the parcel went to my old flat, ring me on {PHONE}"  # low confidence, with a phone to mask


@pytest.fixture(scope="module")
def reviewed(stack) -> Path:
    """The session stack's reviewed-examples file (a temporary one: KEFU_REVIEWED_NLU, tests/e2e/conftest.py)."""
    path = Path(stack.extra_env["KEFU_REVIEWED_NLU"])
    assert ROOT not in path.parents
    return path


@pytest.fixture(scope="module")
def handed_to_ben(stack, helpdesk) -> str:
    """A buyer the bot did not understand once, who then asks a known question and for a person: ben's chat.
    Two more buyers, each missed once."""
    run = uuid.uuid4().hex[:8]
    buyer = Chat(stack, f"trainer-flags-{run}")
    for text in (MISSED, KNOWN, "I want to talk to a human"):
        buyer.say(text)
    owner = helpdesk.get(f"{stack.helpdesk_url}/conversations/{buyer.sender}", timeout=10).json()["live"]["agent"]
    if owner != "ben":
        r = helpdesk.post(f"{stack.helpdesk_url}/conversations/{buyer.sender}/transfer",
                          json={"agent": "amy", "as_supervisor": True, "to_agent": "ben"}, timeout=10)  # fmt: skip
        assert r.status_code == 200, r.text
    for n, text in enumerate((UNSURE, WITH_PHONE)):
        Chat(stack, f"trainer-missed-{run}-{n}").say(text)
    return buyer.sender


@pytest.fixture(scope="module")
def unsure_guess(stack, handed_to_ben) -> Tuple[str, str]:
    """Why UNSURE was harvested and what the bot guessed, as the model of this run understood it: a retrained
    model may guess another intent, or fall back, and the Trainer view must show what it did."""
    said = next(c for c in Chat(stack, f"{handed_to_ben.replace('flags', 'missed')}-0").tracker()["events"]
                if c["event"] == "user")  # fmt: skip
    intent = said["parse_data"]["intent"]["name"]
    why = {"nlu_fallback": "fallback", "out_of_scope": "out_of_scope"}.get(intent, "low_confidence")
    return why, intent


def examples(path: Path) -> Set[Tuple[str, str]]:
    """(intent, text) of every example in a file, as Rasa's own loader reads it."""
    if not path.exists():
        return set()
    return {(m.get("intent"), m.get("text")) for m in load_data(str(path)).intent_examples}


def examples_text(n: int) -> str:
    return f"{n} example" if n == 1 else f"{n} examples"


def watch(page: Page) -> List[str]:
    """Every console message of a page that reports a Content-Security-Policy violation, or an uncaught error."""
    problems: List[str] = []
    page.on("console", lambda m: problems.append(m.text) if "Content Security Policy" in m.text else None)
    page.on("pageerror", lambda e: problems.append(str(e)))
    return problems


def entry(page: Page, text: str):
    return page.locator("#tr-inbox li.tr-entry", has=page.locator(".tr-text", has_text=text))


def test_an_agent_flags_a_line_the_bot_misunderstood(browser, stack, handed_to_ben):
    page = open_console(browser, stack, "ben")
    problems = watch(page)
    expect(page.locator("#trainer-tab")).to_be_hidden()  # an agent: chats, and search & history
    expect(page.locator("#reports-tab")).to_be_hidden()
    expect(page.locator("#history-tab")).to_be_visible()
    page.locator(f'#mine li[data-conversation="{handed_to_ben}"]').click()
    line = page.locator("#transcript li.buyer", has_text=MISSED)
    expect(line.locator(".bot-guess")).to_contain_text("bot: ")  # what the bot thought, small
    expect(page.locator("#transcript li.bot .flag-turn")).to_have_count(0)  # buyer lines only
    expect(line.locator(".flagged")).to_be_hidden()

    line.locator(".flag-turn").click()
    picker = line.locator(".flag-form select")
    expect(picker).to_be_focused()  # the keyboard goes on from the button
    assert "order" in picker.locator("optgroup").evaluate_all("gs => gs.map(g => g.label)")
    line.locator(".flag-form button[type=submit]").click()  # nothing picked yet
    expect(line.locator(".flag-form .error")).to_contain_text("Pick an intent")
    picker.select_option("order_status")
    picker.focus()
    Chat(stack, handed_to_ben).say("hello? anyone there")  # a live event redraws the transcript ...
    expect(page.locator("#transcript li.buyer", has_text="anyone there")).to_be_visible()
    expect(picker).to_have_value("order_status")  # ... and the open picker stays as it was, focused
    expect(picker).to_be_focused()
    page.keyboard.press("Tab")  # to the Flag button
    page.keyboard.press("Enter")
    expect(line.locator(".flagged")).to_have_text("flagged: order_status")
    expect(line.locator(".flag-form")).to_have_count(0)
    known = page.locator("#transcript li.buyer", has_text=KNOWN)
    known.locator(".flag-turn").click()
    known.locator(".flag-form select").select_option("shipping_time")
    known.locator(".flag-form button[type=submit]").click()
    expect(known.locator(".flagged")).to_have_text("flagged: shipping_time")

    # the flags are the server's: the transcript says so after a reload, and the API too
    page.reload()
    page.wait_for_selector("#app:not([hidden])")
    page.locator(f'#mine li[data-conversation="{handed_to_ben}"]').click()
    expect(page.locator("#transcript li.buyer", has_text=MISSED).locator(".flagged")).to_have_text(
        "flagged: order_status"
    )
    headers = {"Authorization": f"Bearer {stack.helpdesk_token}"}
    turns = requests.get(f"{stack.helpdesk_url}/conversations/{handed_to_ben}/transcript", headers=headers,
                         timeout=10).json()["turns"]  # fmt: skip
    assert {t["text"]: t["flagged"] for t in turns if t["who"] == "buyer" and t["flagged"]} == {
        MISSED: "order_status",
        KNOWN: "shipping_time",
    }
    status = page.evaluate("fetch('/training/inbox', {credentials: 'same-origin'}).then(r => r.status)")
    assert status == 403  # an agent flags, a trainer decides
    assert problems == []


def test_the_trainer_accepts_ignores_and_undoes(browser, stack, handed_to_ben, reviewed, unsure_guess):
    page = open_console(browser, stack, "tina")
    problems = watch(page)
    expect(page.locator("#trainer")).to_be_visible()  # a trainer: the Trainer view only
    expect(page.locator("#chats")).to_be_hidden()
    expect(page.locator("#views")).to_be_hidden()
    expect(page.locator("#status-label")).to_be_hidden()
    expect(page.locator("#trainer")).to_have_attribute("aria-busy", "false")
    before = examples(reviewed)  # what other tests accepted, if any

    flagged = entry(page, MISSED)
    expect(flagged.locator(".tr-suggested")).to_contain_text("order_status — flagged by ben")
    expect(flagged.locator("select")).to_have_value("order_status")  # the agent's suggestion, pre-selected
    expect(flagged.locator(".tag.why-flagged")).to_be_visible()
    unsure = entry(page, UNSURE)
    why, guessed = unsure_guess
    expect(unsure.locator(f".tag.why-{why}")).to_be_visible()
    expect(unsure.locator(".tr-guess")).to_contain_text(f"{guessed} ×1")
    expect(unsure.locator("select")).to_have_value("")  # nobody suggested anything
    masked = entry(page, "the parcel went to my old flat")
    expect(masked.locator(".tr-text")).to_contain_text("[phone]")
    assert PHONE not in page.locator("#trainer").inner_text()
    counts = [int(c[1:]) for c in page.locator("#tr-inbox .tr-count").all_inner_texts()]
    assert counts == sorted(counts, reverse=True)  # as served: the most frequent first

    # the conversation, read only, in a dialog; Escape closes it and gives the focus back
    flagged.locator(".tr-convs button", has_text=handed_to_ben).click()
    dialog = page.locator("#tr-dialog")
    expect(dialog).to_be_visible()
    expect(dialog.locator("li.buyer", has_text=KNOWN)).to_be_visible()
    expect(dialog.locator("li.buyer", has_text=MISSED).locator(".flagged")).to_have_text("flagged: order_status")
    assert dialog.locator(".flag-turn").count() == 0
    page.keyboard.press("Escape")
    expect(dialog).to_be_hidden()
    expect(flagged.locator(".tr-convs button", has_text=handed_to_ben)).to_be_focused()

    # accept the flagged line with the suggestion: it leaves the inbox, the file has it, Rasa loads the file
    flagged.locator(".tr-accept").click()
    expect(flagged).to_have_count(0)
    expect(page.locator("#tr-status")).to_contain_text("written to ")
    expect(page.locator("#tr-status")).to_contain_text(f"({examples_text(len(before) + 1)})")
    expect(page.locator("#tr-status")).to_contain_text("make train")
    expect(page.locator("#tr-decided li").first).to_contain_text("order_status")
    assert examples(reviewed) == before | {("order_status", MISSED)}

    # the known line: already an example, so the server refuses, and the entry says why and stays
    known = entry(page, KNOWN)
    expect(known.locator("select")).to_have_value("shipping_time")
    known.locator(".tr-accept").click()
    expect(known.locator(".tr-entry-error")).to_contain_text("Already an example")
    expect(known.locator(".tr-entry-error")).to_contain_text("order.yml")
    expect(known).to_have_count(1)

    # ignore one: it leaves; nothing is written
    unsure.locator(".tr-ignore").click()
    expect(unsure).to_have_count(0)
    expect(page.locator("#tr-status")).to_contain_text("Ignored")
    expect(page.locator("#tr-decided li").first).to_contain_text("ignored")
    expect(page.locator("#tr-decided li").first).to_contain_text(UNSURE)
    expect(page.locator("#tr-decided li").nth(1)).to_contain_text(MISSED)
    assert examples(reviewed) == before | {("order_status", MISSED)}

    # a supervisor has the four tabs; one decides an entry meanwhile: the trainer's click says it is gone
    amy = open_console(browser, stack, "amy")
    for tab in ("#chats-tab", "#history-tab", "#reports-tab", "#trainer-tab"):
        expect(amy.locator(tab)).to_be_visible()
    amy.click("#trainer-tab")
    expect(amy.locator("#chats")).to_be_hidden()
    entry(amy, "the parcel went to my old flat").locator(".tr-ignore").click()
    expect(entry(amy, "the parcel went to my old flat")).to_have_count(0)
    masked.locator(".tr-ignore").click()
    expect(masked.locator(".tr-entry-error")).to_contain_text("No longer in the inbox")

    # undo the accepted one: its line leaves the file and the entry returns to the inbox, still suggested
    page.locator("#tr-decided li", has_text=MISSED).locator(".tr-undo").click()
    expect(page.locator("#tr-status")).to_contain_text("Undone")
    expect(entry(page, MISSED).locator("select")).to_have_value("order_status")
    assert examples(reviewed) == before
    expect(page.locator("#tr-summary")).to_contain_text(f": {examples_text(len(before))}")

    # another period: the inbox is asked again, for the last 24 hours
    with page.expect_response(re.compile(r"/training/inbox\?since=24h")) as answer:
        page.select_option("#tr-since", "24h")
    assert answer.value.ok
    expect(entry(page, MISSED)).to_have_count(1)
    assert problems == []


def test_the_trainer_view_is_usable_with_the_keyboard(browser, stack, handed_to_ben, reviewed):
    """From an entry's picker, Tab reaches Accept and Enter accepts; the next entry's picker takes the focus."""
    page = open_console(browser, stack, "tina")
    expect(page.locator("#trainer")).to_have_attribute("aria-busy", "false")
    flagged = entry(page, MISSED)
    flagged.locator("select").focus()
    expect(flagged.locator("select")).to_have_value("order_status")
    page.keyboard.press("Tab")
    expect(flagged.locator(".tr-accept")).to_be_focused()
    page.keyboard.press("Enter")
    expect(flagged).to_have_count(0)
    expect(page.locator("#tr-inbox li.tr-entry select:focus")).to_have_count(1)  # the next entry's
    page.locator("#tr-decided li", has_text=MISSED).locator(".tr-undo").click()  # the file as it was
    expect(entry(page, MISSED)).to_have_count(1)
    assert ("order_status", MISSED) not in examples(reviewed)
