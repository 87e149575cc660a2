"""When the bot has not understood the buyer: the one definition the policy and the actions share.

A message is unclear when the NLU gave up (nlu_fallback), found it off-topic (out_of_scope), or
guessed with low confidence. The bot acts on a single unclear guess; a streak of them (shop.yml
``handoff.max_bot_failures``) goes to a person, whatever intent was guessed.

A message with one of shop.yml's ``handoff.complaint_words`` is a complaint, whatever was guessed.
"""

from __future__ import annotations

import re
from functools import lru_cache
from typing import Any, Dict, Iterable, Optional, Sequence, Tuple

FAILED_INTENTS = frozenset({"nlu_fallback", "out_of_scope"})
PERSON_INTENTS = frozenset({"complaint", "request_human"})  # these go to a person anyway
# events after which earlier messages no longer count: a new session, a handoff, the bot resumed
FRESH_START = frozenset({"session_started", "pause", "resume"})


def is_unclear(parse_data: Dict[str, Any], min_confidence: float) -> bool:
    intent = parse_data.get("intent") or {}
    if intent.get("name") in PERSON_INTENTS:
        return False  # on its way to a person: not the bot failing, whatever the confidence
    if intent.get("name") in FAILED_INTENTS:
        return True
    return float(intent.get("confidence") or 0.0) < min_confidence


def unclear_streak(newest_first: Iterable[Dict[str, Any]], min_confidence: float) -> int:
    """How many of the buyer's latest messages in a row were unclear, given events newest first."""
    count = 0
    for event in newest_first:
        kind = event.get("event")
        if kind in FRESH_START:
            break
        if kind != "user":
            continue
        if not is_unclear(event.get("parse_data") or {}, min_confidence):
            break
        count += 1
    return count


@lru_cache(maxsize=8)
def _complaint_pattern(words: Tuple[str, ...]) -> Optional[re.Pattern]:
    # Latin words whole ("torn" but not "tornado"); Chinese has no spaces to anchor on, so a plain substring
    parts = [rf"(?<![a-z]){re.escape(w)}(?![a-z])" if w.isascii() else re.escape(w) for w in words if w]
    return re.compile("|".join(sorted(parts, key=len, reverse=True)), re.IGNORECASE) if parts else None


def complaint_word(text: str, words: Sequence[str]) -> Optional[str]:
    """The first of shop.yml's complaint words in the text, or None."""
    pattern = _complaint_pattern(tuple(words))  # IGNORECASE: the words as the shop wrote them
    found = pattern.search(text.replace("’", "'")) if pattern else None
    return found.group(0).lower() if found else None
