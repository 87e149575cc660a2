"""Reading an agent's reply for the quality check (helpdesk/quality.py): numbers, durations and money amounts
in English and Chinese, and which topic (a return, a refund, a delivery, a price) each of them is about.

This is grammar, not policy: what the shop allows is in shop.yml, these only find what the reply says. Every
pattern here is linear in the text (no nested repeats), so a reply of any size is read in one pass.
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass
from functools import lru_cache
from typing import Dict, Iterator, List, Optional, Sequence, Tuple

from shop import formats

# -- numbers --------------------------------------------------------------------------------------------------
_EN_UNITS = ["zero", "one", "two", "three", "four", "five", "six", "seven", "eight", "nine", "ten", "eleven",
             "twelve", "thirteen", "fourteen", "fifteen", "sixteen", "seventeen", "eighteen", "nineteen"]  # fmt: skip
_EN_TENS = {"twenty": 20, "thirty": 30, "forty": 40, "fifty": 50, "sixty": 60, "seventy": 70, "eighty": 80,
            "ninety": 90}  # fmt: skip
_EN_WORDS = {**{w: i for i, w in enumerate(_EN_UNITS)}, **_EN_TENS, "a": 1, "an": 1, "one": 1, "a couple of": 2,
             "a couple": 2, "couple of": 2}  # fmt: skip
_ZH_DIGITS = {"零": 0, "〇": 0, "一": 1, "二": 2, "两": 2, "三": 3, "四": 4, "五": 5, "六": 6, "七": 7,
              "八": 8, "九": 9}  # fmt: skip
_ZH_UNITS = {"十": 10, "百": 100, "千": 1000}

_EN_NUMBER = (
    r"(?:(?:" + "|".join(_EN_TENS) + r")(?:[\s-](?:one|two|three|four|five|six|seven|eight|nine))?"
    r"|" + "|".join(sorted(_EN_UNITS[1:], key=len, reverse=True)) + r"|a couple(?: of)?|couple of|an?)"
)
_ZH_NUMERALS = "零〇一二两三四五六七八九十百千万"
# a numeral starts a run of them (not inside one: that would be quadratic) and is at most 9 characters long
_ZH_NUMBER = rf"(?<![{_ZH_NUMERALS}])[一二两三四五六七八九十][{_ZH_NUMERALS}]{{0,8}}(?![{_ZH_NUMERALS}])|半"
_DIGITS = r"\d+(?:\.\d+)?"
# a number as a word of its own: not the tail of an order number, a date or a longer token
NUMBER = rf"(?<![A-Za-z0-9.#第]){_DIGITS}|(?<![A-Za-z]){_EN_NUMBER}(?![A-Za-z])|(?<![第星期]){_ZH_NUMBER}"


def number_value(text: str) -> Optional[float]:
    """Its value: '30', '30.5', 'thirty', 'thirty-five', 'a', 'a couple of', '三十', '十五', '一百零五', '两',
    '半'."""
    t = text.strip().lower()
    if re.fullmatch(_DIGITS, t):
        return float(t)
    if t in _EN_WORDS:
        return float(_EN_WORDS[t])
    m = re.fullmatch(r"(\w+)[\s-](\w+)", t)
    if m and m.group(1) in _EN_TENS and m.group(2) in _EN_WORDS:
        return float(_EN_TENS[m.group(1)] + _EN_WORDS[m.group(2)])
    if t == "半":
        return 0.5
    return _zh_number(t)


def _zh_number(text: str) -> Optional[float]:
    """Chinese numerals: 三十 30, 十五 15, 一百零五 105, 两万 20000; 两三 (two or three) reads as the larger."""
    total, section, digit = 0, 0, 0
    for ch in text:
        if ch in _ZH_DIGITS:
            digit = _ZH_DIGITS[ch]
        elif ch in _ZH_UNITS:
            section += (digit or 1) * _ZH_UNITS[ch]
            digit = 0
        elif ch == "万":
            total += (section + digit) * 10000
            section = digit = 0
        else:
            return None
    return float(total + section + digit)


# -- the reply, sentence by sentence ---------------------------------------------------------------------------
@dataclass(frozen=True)
class Span:
    start: int  # in the normalised reply
    end: int
    text: str


@dataclass(frozen=True)
class Duration(Span):
    days: float  # math.inf: no time limit
    business: bool  # "business days", 工作日


@dataclass(frozen=True)
class Amount(Span):
    value: float


def normalise(text: str) -> str:
    """Full-width letters, digits and signs as ASCII (ＳＡＶＥ５０, ３０天, ￥), curly quotes straight."""
    return unicodedata.normalize("NFKC", text).replace("’", "'").replace("‘", "'")


_SENTENCE_END = re.compile(r"(?<=[.!?])\s+|[。！？；;\n]+")


def sentences(text: str) -> Iterator[Tuple[int, str]]:
    """(offset, sentence): a number belongs to the topic of its own sentence. Commas do not split: "Within 30
    days of delivery, you can return it" is one promise."""
    start = 0
    for m in _SENTENCE_END.finditer(text):
        if m.start() > start:
            yield start, text[start : m.start()]
        start = m.end()
    if start < len(text):
        yield start, text[start:]


# -- durations --------------------------------------------------------------------------------------------------
_EN_DURATION = re.compile(
    rf"(?P<n>{NUMBER})\s*-?\s*(?P<biz>(?:business|working|work|bank)\s*-?\s*)?(?:calendar\s+)?"
    r"(?P<unit>days?|weeks?|fortnights?|months?|hours?|hrs?|h)(?![A-Za-z])",
    re.IGNORECASE,
)
_ZH_DURATION = re.compile(rf"(?<!月)(?P<n>{NUMBER})\s*(?P<ge>个)?(?P<unit>工作日|天|日|周|星期|礼拜|月|小时|钟头)")
_DAYS = {"day": 1, "week": 7, "fortnight": 14, "month": 30, "hour": 1 / 24, "hr": 1 / 24, "h": 1 / 24,
         "天": 1, "日": 1, "工作日": 1, "周": 7, "星期": 7, "礼拜": 7, "月": 30,
         "小时": 1 / 24, "钟头": 1 / 24}  # fmt: skip
# "30 days ago", "30天前": a time in the past, not a promise
_PAST = re.compile(r"\s*(?:ago\b|before\b|earlier\b|前|以前|之前)", re.IGNORECASE)


def durations(text: str) -> List[Duration]:
    """Every "30 days", "thirty-day", "5 business days", "48 hours", "两周", "5个工作日", "一个月" in text."""
    found: List[Duration] = []
    for pattern in (_EN_DURATION, _ZH_DURATION):
        for m in pattern.finditer(text):
            unit = m.group("unit").lower().rstrip("s") if m.group("unit").isascii() else m.group("unit")
            if unit == "月" and not m.group("ge") and m.group("n") != "半":  # 3月 is March; 3个月 three months
                continue
            n = number_value(m.group("n"))
            if n is None or _PAST.match(text, m.end()):
                continue
            business = bool(m.groupdict().get("biz")) or unit == "工作日"
            found.append(Duration(m.start(), m.end(), m.group(0).strip(), n * _DAYS.get(unit, 1), business))
    return found


# -- money ------------------------------------------------------------------------------------------------------
_AMOUNT = r"\d{1,3}(?:,\d{3})+(?:\.\d+)?|\d+(?:\.\d+)?"
_SYMBOL_BEFORE = r"US\$|CA\$|A\$|HK\$|S\$|\$|¥|€|£|(?:USD|CNY|RMB|EUR|GBP|JPY|CAD|AUD|HKD|SGD)\s?"
_WORD_AFTER = r"dollars?|bucks|usd|cny|rmb|yuan|euros?|eur|gbp|美元|美金|块钱|块|元|刀|人民币"
_MONEY = re.compile(
    rf"(?<![A-Za-z0-9])(?:{_SYMBOL_BEFORE})\s?(?P<a>{_AMOUNT})"
    rf"|(?<![A-Za-z0-9.,])(?P<b>{_AMOUNT}|{_ZH_NUMBER})\s?(?:{_WORD_AFTER})(?![A-Za-z])",
    re.IGNORECASE,
)
# a bare number right after the word refund: "refund 80", "退款80", "退您80" (not "refund in 5 days")
_BARE_REFUND = re.compile(
    r"(?:refund(?:ed|ing)?|退款|退您|退给您|退还|补偿|赔偿|返还|赔您)\s*(?:of|you|金额|为|:)?\s*"
    rf"(?P<c>{_AMOUNT})(?!\s*(?:%|[A-Za-z]|[天日周月个小时工]|\d))",
    re.IGNORECASE,
)


def amounts(text: str) -> List[Amount]:
    """Every sum of money: "$80", "USD 80", "80 dollars", "¥500", "500元", "五百块", and "refund 80"."""
    found: List[Amount] = []
    numbers = set()  # where each sum's number starts: "退款80元" is one sum, not also a bare "退款80"
    for pattern in (_MONEY, _BARE_REFUND):
        for m in pattern.finditer(text):
            group = next(g for g in ("a", "b", "c") if m.groupdict().get(g))
            raw = m.group(group)
            value = number_value(raw.replace(",", "")) if raw[0].isdigit() else _zh_number(raw)
            if value is not None and m.start(group) not in numbers:
                numbers.add(m.start(group))
                shown = raw if group == "c" else m.group(0).strip()  # "refund 80" offers "80"
                found.append(Amount(m.start(), m.end(), shown, value))
    return sorted(found, key=lambda a: a.start)


# -- topics -----------------------------------------------------------------------------------------------------
# What a number in a sentence is about: the nearest of these words. A delivery takes its numbers away from the
# other topics ("it arrives in 10 days and you can return it"); a word that is only the point a time counts
# from ("30 days after delivery", "收到退货后") is not a topic.
TOPICS: Dict[str, re.Pattern] = {
    "return": re.compile(
        r"(?<![A-Za-z])(?:returns?(?! (?:your|the) (?:money|payment|funds))|returned|returning|send (?:it|them|"
        r"the \w+) back|exchanges?|exchanged)(?![A-Za-z])"
        r"|退货|退换|换货|包退|保退|无理由|寄回|退回来|退掉|(?:可以|能|可)退(?!款|钱|费)|(?:可以|能|可)换",
        re.IGNORECASE,
    ),
    "refund": re.compile(
        r"(?<![A-Za-z])(?:refund\w*|reimburs\w*|money|credited|back (?:on|to|in) your (?:card|account|wallet))"
        r"(?![A-Za-z])|退款|退钱|退费|款项|到账|原路|返还|退还|打款|返款|补偿|赔偿",
        re.IGNORECASE,
    ),
    "price": re.compile(
        r"(?<![A-Za-z])(?:price[sd]?|costs?|charged?|paid|pay|total|compensat\w*|credit)(?![A-Za-z])"
        r"|价格|价钱|差价|付款|支付|实付|收您|金额|售价|原价",
        re.IGNORECASE,
    ),
    "delivery": re.compile(
        r"(?<![A-Za-z])(?:arriv\w*|deliver\w*|ship\w*|dispatch\w*|transit|in stock|restock\w*)(?![A-Za-z])"
        r"|到货|发货|送达|到达|签收|物流|快递|配送|运输|补货",
        re.IGNORECASE,
    ),
}
MAX_GAP = 40  # characters between a number and the word it is about
_LONGEST_WORD = 40  # no topic word is longer ("back on your account")
_POINT_BEFORE = re.compile(
    r"(?<![A-Za-z])(?:of|after|from|since|upon|following|once)\s+(?:(?:we|you)\s+(?:receive|get)\s+)?"
    r"(?:the\s+|your\s+|our\s+|its\s+)?$",
    re.IGNORECASE,
)
_POINT_AFTER = re.compile(r"(?:后|以后|之后|起|之日)")
# a number and a word with one of these between them are in different clauses: "return it within 30 days and we
# pay the return shipping" — the 30 days are the return's, not the paying's
_CLAUSE_BREAK = re.compile(r"(?<![A-Za-z])(?:and|but|so|then|while|also)(?![A-Za-z])|并且|而且|但是|然后|另外|同时",
                           re.IGNORECASE)  # fmt: skip


def topic_of(sentence: str, span: Span, topics: Sequence[str] = tuple(TOPICS)) -> Optional[Span]:
    """The nearest topic word (within MAX_GAP) to a number at span of the sentence, as a Span over both whose
    text is the topic's name; None if there is none."""
    best: Optional[Tuple[int, Span]] = None
    lo, hi = max(0, span.start - MAX_GAP - _LONGEST_WORD), span.end + MAX_GAP
    for name in topics:
        # only the words near it, so a long reply stays linear (a word starting by hi is read whole)
        for m in TOPICS[name].finditer(sentence, lo, hi + _LONGEST_WORD):
            if m.start() > hi:
                break
            if _counted_from(sentence, m) or (name == "delivery" and _refund_arrives(sentence, m)):
                continue
            between = sentence[m.end() : span.start] if m.end() <= span.start else sentence[span.end : m.start()]
            if _CLAUSE_BREAK.search(between):
                continue
            gap = span.start - m.end() if m.end() <= span.start else max(0, m.start() - span.end)
            if gap <= MAX_GAP and (best is None or gap < best[0]):
                best = (gap, Span(min(m.start(), span.start), max(m.end(), span.end), name))
    return best[1] if best else None


def _refund_arrives(sentence: str, m: re.Match) -> bool:
    """The delivery word is what a refund does: "your refund arrives in 2 days" is a refund promise."""
    return TOPICS["refund"].search(sentence, max(0, m.start() - 20), m.start()) is not None


def _counted_from(sentence: str, m: re.Match) -> bool:
    """The word is the point a time counts from: "30 days after delivery", "收到退货后", "自签收之日起"."""
    before = sentence[max(0, m.start() - 30) : m.start()]
    return bool(_POINT_BEFORE.search(before) or _POINT_AFTER.match(sentence, m.end()) or before.endswith(("自", "从")))


# -- word lists -------------------------------------------------------------------------------------------------
@lru_cache(maxsize=32)
def word_pattern(words: Tuple[str, ...]) -> Optional[re.Pattern]:
    """A shop.yml word list as one pattern, any case: a word with a Chinese character is found anywhere (Chinese
    has no spaces to anchor on), others as whole words ("dumb" not in "dumbbell"), spaces as any spacing."""
    parts = []
    for word in sorted({w.strip() for w in words if w.strip()}, key=len, reverse=True):
        body = r"\s+".join(re.escape(normalise(p)) for p in word.split())
        parts.append(body if re.search(f"[{formats.CJK}]", word) else rf"(?<![A-Za-z0-9]){body}(?![A-Za-z0-9])")
    return re.compile("|".join(parts), re.IGNORECASE) if parts else None


def words_in(text: str, words: Sequence[str]) -> List[str]:
    """The list's words found in text, as written there, each once, in order."""
    pattern = word_pattern(tuple(words))
    seen: Dict[str, str] = {}
    for m in pattern.finditer(text) if pattern else ():
        seen.setdefault(m.group(0).lower(), m.group(0))
    return list(seen.values())
