"""Bounded work per message: a message at the length limit (10,000 characters, Chinese or Latin) costs
the server about what a short one costs, in time and in memory, because the NLU reads only its first
tokens (components/mixed_tokenizer.py max_tokens). The buyer still gets an answer and the transcript
keeps the whole text for the agent."""

from __future__ import annotations

import statistics
import time

import pytest

from benchmarks.traffic import QUESTIONS, at_limit, rss_mb
from shop.formats import MAX_BUYER_TEXT


def timed(c, text: str) -> tuple[float, list]:
    started = time.perf_counter()
    replies = c.say(text)
    return time.perf_counter() - started, replies


@pytest.mark.parametrize("alphabet", sorted(QUESTIONS))
def test_a_message_at_the_limit_costs_about_what_a_short_one_costs(stack, chat, alphabet):
    rasa = stack.procs["rasa"].pid
    text = at_limit(QUESTIONS[alphabet])
    timed(chat(), text)  # the first long message may allocate what any later one reuses
    short = statistics.median(timed(chat(), QUESTIONS[alphabet])[0] for _ in range(5))
    before = rss_mb(rasa)
    for _ in range(3):
        c = chat()
        seconds, replies = timed(c, text)
        assert replies and all(r.strip() for r in replies)  # a polite answer
        kept = [e["text"] for e in c.tracker()["events"] if e["event"] == "user"][-1]
        assert len(kept) == MAX_BUYER_TEXT  # the agent sees all of it
        # before the bound, 10,000 Chinese characters held the event loop 2.6 s (about 30 short turns)
        assert seconds < 3 * short + 1.0, (seconds, short)
    grown = rss_mb(rasa) - before
    assert grown < 100, f"RSS grew {grown:.0f} MB over three long messages (it was +1 GB before the bound)"
