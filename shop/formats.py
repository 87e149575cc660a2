"""The shapes and sizes every part of kefu agrees on: ids, codes and text limits, each written once.

A pattern here is the whole rule: config validation, the HTTP checks, the OpenAPI spec and the
channels all use these, so a change here changes them all. A pattern the spec carries spells its
classes out: Python, JavaScript (whose regular expressions JSON Schema's "pattern" means) and other
engines each read \\s and \\w differently.
"""

from __future__ import annotations

import re

# -- ids ----------------------------------------------------------------------------------------
# whitespace, inside a character class: Python's (str.isspace), and the byte-order mark JavaScript adds
SPACE = r"\t\n\v\f\r\x1c-\x20\x85\xa0\u1680\u2000-\u200a\u2028\u2029\u202f\u205f\u3000\ufeff"
# an agent id goes into Redis keys and URLs: lower-case letters, digits, "_", "." and "-"
AGENT_ID = r"^[a-z0-9][a-z0-9_.-]{0,39}$"
# a conversation id is a Rasa sender id: anything printable but "/" and whitespace
CONVERSATION_ID = r"^[^/\x00-\x1f\x7f-\x9f" + SPACE + r"]{1,255}$"
# a quick reply's shortcut is typed after a "/": letters, Chinese characters, digits, "_" and "-"
SHORTCUT = r"^[A-Za-z0-9_\u4e00-\u9fff-]{1,30}$"
# a channel's id of one buyer message (the widget's, a REST caller's): a retry or resend names it again
MESSAGE_ID = r"^[\w-]{1,64}$"
# what a buyer types to prove who they are: an email, or a phone of a country shop.yml formats.phones names.
# The order numbers' shapes are the shop's own (shop.yml formats.order_numbers, read by shop/parsing.py).
EMAIL = r"[A-Za-z0-9._%+\-]+@[A-Za-z0-9.\-]+\.[A-Za-z]{2,}"
_NOT_AFTER_DIGIT = r"(?<![\d+])"
PHONES = {  # ISO country -> how its numbers (mobiles, where buyers give those) are written; +code optional
    "CN": _NOT_AFTER_DIGIT + r"(?:\+?86[\s\-]?)?1[3-9]\d[\s\-]?\d{4}[\s\-]?\d{4}(?!\d)",
    "US": r"(?<![\dA-Za-z+])(?:\+?1[\s.\-]?)?\(?\d{3}\)?[\s.\-]?\d{3}[\s.\-]\d{4}(?!\d)",  # and Canada
    "GB": _NOT_AFTER_DIGIT + r"(?:\+44[\s\-]?|0)7\d{3}[\s\-]?\d{3}[\s\-]?\d{3}(?!\d)",
    "HK": _NOT_AFTER_DIGIT + r"(?:\+852[\s\-]?)[4-9]\d{3}[\s\-]?\d{4}(?!\d)",
    "SG": _NOT_AFTER_DIGIT + r"(?:\+65[\s\-]?)[89]\d{3}[\s\-]?\d{4}(?!\d)",
    "TW": _NOT_AFTER_DIGIT + r"(?:\+886[\s\-]?|0)9\d{2}[\s\-]?\d{3}[\s\-]?\d{3}(?!\d)",
    "JP": _NOT_AFTER_DIGIT + r"(?:\+81[\s\-]?|0)[789]0[\s\-]?\d{4}[\s\-]?\d{4}(?!\d)",
    "AU": _NOT_AFTER_DIGIT + r"(?:\+61[\s\-]?|0)4\d{2}[\s\-]?\d{3}[\s\-]?\d{3}(?!\d)",
    "DE": _NOT_AFTER_DIGIT + r"(?:\+49[\s\-]?|0)1[5-7]\d[\s\-]?\d{7,8}(?!\d)",
}
CALLING_CODES = {"CN": "86", "US": "1", "GB": "44", "HK": "852", "SG": "65", "TW": "886", "JP": "81", "AU": "61",
                 "DE": "49"}  # fmt: skip

# Chinese (and other CJK) characters: a message with one is Chinese; a run of them is segmented by Jieba
CJK = r"\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff"
HAS_CJK = re.compile(f"[{CJK}]")  # Chinese in a text: the buyer's language is zh

# -- sizes --------------------------------------------------------------------------------------
MAX_BODY_BYTES = 64 * 1024  # any HTTP body we take: a webhook, a REST message, a helpdesk call
MAX_BUYER_TEXT = 10_000  # one buyer message, on every channel
MAX_CUSTOM_DATA_BYTES = 2 * 1024  # a web-chat page's customData (rasa-webchat), as JSON
MAX_AGENT_TEXT = 4_000  # one agent reply, note or handoff summary
MAX_NAME = 80  # a person's name as shown: an agent's beside their message or "typing", a buyer's as a chat's title
MAX_EXAMPLE_CHARS = 300  # a training example the Trainer view writes: a longer message is rarely one intent
MAX_LABEL = 40  # a channel, category, reason or group name in a handoff record
MAX_FILE_NAME = 80  # a photo's or file's name as its sender called it, shown beside it
MAX_FILES_PER_MESSAGE = 4  # photos in one buyer message (a marketplace sends one per message)
MAX_URL = 2048  # an address a channel gives us to fetch (a marketplace image's URL)
MAX_CUSTOMER_ID = 80  # a channel-verified customer id (a marketplace buyer id)
MAX_SEARCH_TEXT = 100  # what an agent types into the console's search box (GET /search ?q=)
MAX_MAIL_BYTES = 25 * 1024 * 1024  # one mail the email gateway takes by SMTP (a photo or two; bigger: 552)
MAX_MAIL_TEXT_BYTES = 256 * 1024  # one mail the email channel takes: the gateway sends only its text parts

# control characters a buyer's message loses before the bot sees it (tab and newlines stay)
CONTROL_CHARS = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f]")
