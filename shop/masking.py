"""Personal data out of a buyer's words, before a trainer sees them (the harvest of missed messages):
emails, phone numbers, order numbers and names become placeholders, so that a message can be read, counted and
turned into a training example without the buyer in it."""

from __future__ import annotations

import re
from typing import Sequence

from shop.formats import CJK, EMAIL, PHONES
from shop.parsing import Identifiers

EMAIL_MARK, PHONE_MARK, ORDER_MARK, NAME_MARK = "[email]", "[phone]", "[order]", "[name]"
# every country's phone shapes (a buyer abroad writes their own), and any other run of 7+ digits
_PHONE = re.compile("|".join([*PHONES.values(), r"(?<!\d)\+?\d[\d\s\-]{5,}\d(?!\d)"]))
# a name after the words that introduce one: "my name is Lily Chen", "this is Ben", "我叫陈静", "我是王先生"
_NAME_EN = re.compile(r"(?i:\b(?:my name is|my name's|name:|this is|i am|i'm|call me)\s+)((?-i:[A-Z][a-z]+)"
                      r"(?:\s+(?-i:[A-Z][a-z]+))?)")  # fmt: skip
_NAME_ZH = re.compile(rf"(?:我叫|我的名字是|名字是|姓名[:：]?|收件人[:：]?)\s*([{CJK}]{{2,4}})")


def mask(text: str, order_masks: Sequence[str]) -> str:
    """text with its emails, phones, order numbers (the shop's masks, shop.yml formats.order_numbers) and names
    replaced by placeholders."""
    text = re.sub(EMAIL, EMAIL_MARK, text)
    for order_format in Identifiers(order_masks, []).orders:  # before phones: some order numbers are all digits
        text = order_format.sub(ORDER_MARK, text)
    text = _PHONE.sub(PHONE_MARK, text)
    text = _NAME_EN.sub(lambda m: m.group(0)[: m.start(1) - m.start(0)] + NAME_MARK, text)
    return _NAME_ZH.sub(lambda m: m.group(0)[: m.start(1) - m.start(0)] + NAME_MARK, text)
