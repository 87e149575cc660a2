"""An agent's reply, from pressing Send in the console to the text on the buyer's screen (the widget).

    python -m benchmarks.reply_latency [--replies 40]

Starts the whole stack on free ports, opens the widget and the console in Debian's chromium (one
browser, so both pages read the same clock), hands a chat off, and sends replies from the console;
the widget page notes when each one appears. Path: console -> helpdesk -> Rasa HTTP API (transcript
+ the widget's socket.io channel) -> widget. Baseline in the same run: the bot's own answer to "hi"
in the widget (socket -> NLU -> rules -> socket). Target: p95 < 300 ms. Writes benchmarks/out/reply_latency.json.
"""

from __future__ import annotations

import argparse
import json
import statistics
import tempfile
from pathlib import Path
from typing import Dict

from playwright.sync_api import Page, sync_playwright

from benchmarks.stats import percentile
from scripts.browser import launch, open_console, open_widget, owner_of, session_of
from scripts.stack import ROOT, Stack

OUT = ROOT / "benchmarks" / "out"
WATCH = """() => {
  window.seen = [];   // every bot or agent message as it appears: {text, at}
  const chat = document.querySelector('kefu-chat').shadowRoot;   // the widget's own shadow root
  const noted = new WeakSet();
  new MutationObserver(() => {
    for (const li of chat.querySelectorAll('#kefu-messages li.agent, #kefu-messages li.bot')) {
      if (noted.has(li)) continue;
      noted.add(li);
      window.seen.push({ text: li.querySelector('.text').textContent, at: Date.now() });
    }
  }).observe(chat.getElementById('kefu-messages'), { childList: true, subtree: true });
}"""


def widget(browser, stack: Stack) -> Page:
    page = open_widget(browser, stack)
    page.evaluate(WATCH)
    return page


def buyer_says(page: Page, text: str) -> float:
    return page.evaluate("""(t) => { const chat = document.querySelector('kefu-chat').shadowRoot;
        chat.getElementById('kefu-input').value = t; const s = Date.now();
        chat.getElementById('kefu-form').requestSubmit(); return s; }""", text)  # fmt: skip


def seen_at(page: Page, text: str) -> float:
    found = "(t) => (window.seen.find((m) => m.text === t) || {}).at"
    page.wait_for_function(found, arg=text, timeout=15000)
    return page.evaluate(found, text)


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--replies", type=int, default=40)
    args = ap.parse_args()
    var = Path(tempfile.mkdtemp(prefix="kefu-latency-"))
    stack = Stack.on_free_ports(var_dir=var).start(timeout=240)
    results: Dict[str, Dict[str, float]] = {}
    try:
        with sync_playwright() as p:
            browser = launch(p)
            # baseline: the bot's own answers in the widget
            bot = widget(browser, stack)
            bot_ms = []
            for i in range(args.replies):
                before = bot.evaluate("window.seen.length")
                sent = buyer_says(bot, "hi" if i % 2 else "hello")
                bot.wait_for_function("(n) => window.seen.length > n", arg=before, timeout=15000)
                bot_ms.append(bot.evaluate("(n) => window.seen[n].at", before) - sent)
            # an agent's replies to a handed-off buyer
            buyer = widget(browser, stack)
            buyer_says(buyer, "the dress arrived torn, I want to complain")
            buyer.wait_for_selector("#kefu-messages li.bot:has-text('has your chat now')")
            session = session_of(buyer)
            console = open_console(browser, stack, owner_of(stack, session))
            console.locator(f'#mine li[data-conversation="{session}"]').click()
            console.wait_for_selector("#transcript li.buyer")
            agent_ms = []
            for i in range(args.replies):
                text = f"reply {i}: we are on it"
                sent = console.evaluate("""(t) => { document.getElementById('reply').value = t; const s = Date.now();
                    document.getElementById('reply-form').requestSubmit(); return s; }""", text)  # fmt: skip
                agent_ms.append(seen_at(buyer, text) - sent)
            browser.close()
    finally:
        stack.stop()
    for name, ms in (("agent_reply", agent_ms), ("bot_answer_baseline", bot_ms)):
        results[name] = {"n": len(ms), "p50_ms": statistics.median(ms), "p95_ms": percentile(ms, 95), "max_ms": max(ms)}
    ratio = results["agent_reply"]["p95_ms"] / results["bot_answer_baseline"]["p95_ms"]
    print(f"\nreply latency, console Send -> buyer's widget ({args.replies} replies):")
    for name, r in results.items():
        print(f"  {name:<20} p50 {r['p50_ms']:6.0f} ms   p95 {r['p95_ms']:6.0f} ms   max {r['max_ms']:6.0f} ms")
    verdict = "met" if results["agent_reply"]["p95_ms"] < 300 else "MISSED"
    print(f"  agent p95 / bot p95 = {ratio:.2f}; target p95 < 300 ms: {verdict}")
    OUT.mkdir(parents=True, exist_ok=True)
    (OUT / "reply_latency.json").write_text(json.dumps(results, indent=2))


if __name__ == "__main__":
    main()
